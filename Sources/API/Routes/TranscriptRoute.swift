import Dubbing
import Foundation
import HTTPTypes
import Hummingbird
import MediaStore
import NIOCore
import Queue
import Synchronization

/// `GET /api/dub/{id}/transcript?format=json|srt|vtt&lang=source|target`: the final script
/// of a succeeded job, kept and expired with its result. Authorised as the result is:
/// another account's job is 404.
struct TranscriptRoute: Sendable {
    let configuration: APIConfiguration
    let queue: JobQueue

    /// Transcripts are small (a line per few seconds of audio); this bounds a damaged one.
    static let maxBytes = 16 << 20

    func handle(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        guard let id = context.parameters.get("id"), id.utf8.count <= 64 else { throw APIError.notFound() }
        let formatText = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard let format = TranscriptFormat(rawValue: formatText.lowercased()) else {
            throw APIError.invalidRequest("format must be json, srt or vtt")
        }
        let language = request.uri.queryParameters["lang"].map { String($0).lowercased() } ?? "target"
        guard language == "source" || language == "target" else {
            throw APIError.invalidRequest("lang must be source or target")
        }
        guard let job = try await queue.job(id: id, account: account) else { throw APIError.notFound("no job \(id)") }
        guard job.state == .succeeded else {
            throw APIError.conflict("transcript_not_ready", "the job is \(job.state.rawValue); the transcript exists once it has succeeded")
        }
        let transcript = try await self.read(jobID: job.id, resultExtension: ResultContainer(payload: job.payload).fileExtension)
        // Subtitle uploads are already in the target language: no source text was ever heard.
        if language == "source", !transcript.hasSourceText {
            throw APIError(
                .unprocessableContent, "no_source_transcript",
                "this job was dubbed from uploaded subtitles in the target language; it has no source-language transcript (ask for lang=target)")
        }
        let body: Data
        switch format {
        case .json:
            body = try transcript.encoded()
        case .srt, .vtt:
            body = Data(TranscriptFormat.subtitles(transcript, format: format, source: language == "source").utf8)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: format.contentType,
                .contentDisposition: "attachment; filename=\"\(job.id).\(language).\(format.rawValue)\"",
                .cacheControl: "private, max-age=3600",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func read(jobID: String, resultExtension: String) async throws -> DubbingTranscript {
        let key = try MediaKey.transcript(jobID: jobID)
        let bytes = Mutex(ByteBuffer())
        do {
            guard try await configuration.media.sizeBytes(of: key) != nil else {
                // The transcript expires with the result; a job dubbed before transcripts were kept has a result only.
                guard try await configuration.media.sizeBytes(of: MediaKey.result(jobID: jobID, fileExtension: resultExtension)) != nil else {
                    throw APIError(.gone, "transcript_expired", "the transcript was kept as long as the result and has been removed")
                }
                throw APIError.notFound("this job was dubbed before transcripts were kept")
            }
            _ = try await configuration.media.read(key) { chunk in
                try bytes.withLock { bytes in
                    guard bytes.readableBytes + chunk.readableBytes <= Self.maxBytes else {
                        throw APIError.mediaStoreUnavailable("the transcript is larger than \(Self.maxBytes) bytes")
                    }
                    var chunk = chunk
                    bytes.writeBuffer(&chunk)
                }
            }
        } catch let error as MediaStoreError {
            throw APIError.mediaStoreUnavailable("the transcript cannot be read now (\(error.code)); try again")
        }
        do {
            return try JSONDecoder().decode(DubbingTranscript.self, from: bytes.withLock { Data($0.readableBytesView) })
        } catch {
            throw APIError.mediaStoreUnavailable("the stored transcript cannot be read")
        }
    }
}
