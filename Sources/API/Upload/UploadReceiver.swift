import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Streams an upload to files in its folder as the bytes arrive: a raw audio body, or
/// `multipart/form-data` with `file` (or `audio`), optional `subtitles` and text fields.
///
/// Limits are enforced on the bytes as they arrive; the caller removes the folder when
/// this throws.
enum UploadReceiver {
    /// Form fields a dub request may carry.
    static let fieldNames: Set<String> = ["target_language", "source_language", "voice", "background", "original", "speakers", "voices"]

    static func receive(_ request: Request, into folder: String, limits: UploadLimits) async throws -> ReceivedUpload {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        // A raw body is the audio itself; a multipart body also carries subtitles and framing.
        let fileLimit = limits.arrivingLimit(declaredVideo: UploadLimits.declaresVideo(contentType: mediaType, filename: nil))
        let maxBytes = mediaType == "multipart/form-data" ? limits.maxBodyBytes : fileLimit
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length > maxBytes {
            throw APIError.payloadTooLarge(limitBytes: mediaType == "multipart/form-data" ? limits.maxFileBytes : fileLimit)
        }
        if mediaType == "multipart/form-data" {
            guard let boundary = boundary(in: contentType) else {
                throw APIError.invalidRequest("multipart/form-data needs a boundary parameter")
            }
            var upload = try await receiveMultipart(request.body, boundary: boundary, folder: folder, limits: limits)
            // Query fields count with a form too (the form's own win); a query value the
            // form overrides is kept aside to be checked as well: a field is checked
            // wherever it is sent, never silently ignored.
            for (name, value) in try queryFields(of: request, limits: limits) {
                if let formValue = upload.fields[name] {
                    if formValue != value { upload.overriddenQueryFields[name] = value }
                } else {
                    upload.fields[name] = value
                }
            }
            return upload
        }
        guard mediaType.hasPrefix("audio/") || mediaType.hasPrefix("video/") || mediaType == "application/octet-stream" else {
            throw APIError.unsupportedMedia(
                "send the audio as multipart/form-data (field `file`) or as a raw audio/*, video/* or application/octet-stream body")
        }
        return try await receiveRaw(request, folder: folder, limits: limits, fileLimit: fileLimit)
    }

    private static func receiveRaw(_ request: Request, folder: String, limits: UploadLimits, fileLimit: Int64) async throws -> ReceivedUpload {
        let sink = try FileSink(path: (folder as NSString).appendingPathComponent("source"), limitBytes: fileLimit)
        for try await chunk in request.body {
            guard try sink.write(chunk) else { throw APIError.payloadTooLarge(limitBytes: fileLimit) }
        }
        let digest = try sink.finish()
        return ReceivedUpload(
            audioPath: sink.path, audioBytes: sink.writtenBytes, subtitlesPath: nil, fields: try queryFields(of: request, limits: limits),
            audioDigest: digest, subtitlesDigest: nil)
    }

    private static func queryFields(of request: Request, limits: UploadLimits) throws -> [String: String] {
        var fields: [String: String] = [:]
        for name in fieldNames {
            if let value = request.uri.queryParameters[Substring(name)] {
                guard value.utf8.count <= limits.maxFieldBytes else { throw APIError.invalidRequest("\(name) is too long") }
                fields[name] = String(value)
            }
        }
        return fields
    }

    private static func receiveMultipart(
        _ body: RequestBody, boundary: String, folder: String, limits: UploadLimits
    ) async throws -> ReceivedUpload {
        let collector = MultipartCollector(folder: folder, limits: limits)
        var parser = MultipartFormParser(boundary: boundary, maxHeaderLineBytes: limits.maxPartHeaderBytes)
        var receivedBytes: Int64 = 0
        for try await chunk in body {
            receivedBytes += Int64(chunk.readableBytes)
            guard receivedBytes <= limits.maxBodyBytes else { throw APIError.payloadTooLarge(limitBytes: limits.maxFileBytes) }
            do {
                try parser.execute(chunk) { event in
                    switch event {
                    case .header(let name, let value): collector.header(name: name, value: value)
                    case .body(let bytes): collector.body(bytes)
                    case .partEnd: collector.partComplete()
                    }
                    if let failure = collector.failure { throw failure }
                }
            } catch let malformed as MultipartFormParser.Malformed {
                throw APIError.invalidRequest("the multipart body is malformed: \(malformed.reason)")
            }
        }
        guard parser.isComplete else { throw APIError.invalidRequest("the multipart body ends before its closing delimiter") }
        return try collector.result()
    }

    static func boundary(in contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return MultipartFormParser.isValidBoundary(value) ? value : nil
        }
        return nil
    }
}

/// The parser's events land here. The receiver stops at the first `failure`, so no event
/// comes after one.
private final class MultipartCollector {
    private enum Part {
        case audio(FileSink), subtitles(FileSink), field(String, [UInt8])
    }

    let folder: String
    let limits: UploadLimits
    private(set) var failure: APIError?
    private var headers: [String: String] = [:]
    private var current: Part?
    private var partCount = 0
    private var headerCount = 0
    private var audio: (path: String, bytes: Int64, digest: String)?
    private var subtitles: (path: String, digest: String)?
    private var fields: [String: String] = [:]

    init(folder: String, limits: UploadLimits) {
        self.folder = folder
        self.limits = limits
    }

    func header(name: String, value: String) {
        headerCount += 1
        guard headerCount <= limits.maxPartHeaderCount else {
            failure = .invalidRequest("a part has more than \(limits.maxPartHeaderCount) headers")
            return
        }
        guard name.utf8.count + value.utf8.count <= limits.maxPartHeaderBytes else {
            failure = .invalidRequest("a part's headers are longer than \(limits.maxPartHeaderBytes) bytes")
            return
        }
        headers[name.lowercased()] = value
    }

    func body(_ buffer: ByteBuffer) {
        if current == nil { startPart() }
        guard failure == nil, let current else { return }
        do {
            switch current {
            case .audio(let sink):
                if try !sink.write(buffer) { failure = .payloadTooLarge(limitBytes: sink.limitBytes) }
            case .subtitles(let sink):
                if try !sink.write(buffer) {
                    failure = .invalidRequest("subtitles are larger than \(limits.maxSubtitleBytes) bytes")
                }
            case .field(let name, var bytes):
                guard bytes.count + buffer.readableBytes <= limits.maxFieldBytes else {
                    failure = .invalidRequest("\(name) is too long")
                    return
                }
                bytes.append(contentsOf: buffer.readableBytesView)
                self.current = .field(name, bytes)
            }
        } catch {
            failure = .internalError()
        }
    }

    func partComplete() {
        if current == nil { startPart() }  // a part with an empty body
        guard failure == nil, let current else { return }
        do {
            switch current {
            case .audio(let sink):
                audio = (sink.path, sink.writtenBytes, try sink.finish())
            case .subtitles(let sink):
                subtitles = (sink.path, try sink.finish())
            case .field(let name, let bytes):
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    failure = .invalidRequest("\(name) is not UTF-8 text")
                    return
                }
                fields[name] = text
            }
        } catch {
            failure = .internalError()
        }
        self.current = nil
        headers = [:]
        headerCount = 0
    }

    func result() throws -> ReceivedUpload {
        // Called once the closing delimiter was read: every part has ended, none failed.
        guard let audio else { throw APIError.invalidRequest("the audio is missing: send it in a part named `file`") }
        return ReceivedUpload(
            audioPath: audio.path, audioBytes: audio.bytes, subtitlesPath: subtitles?.path, fields: fields,
            audioDigest: audio.digest, subtitlesDigest: subtitles?.digest)
    }

    private func startPart() {
        partCount += 1
        guard partCount <= limits.maxParts else {
            failure = .invalidRequest("too many parts; at most \(limits.maxParts)")
            return
        }
        let disposition = ContentDisposition(parsing: headers["content-disposition"] ?? "")
        guard let name = disposition.name else {
            failure = .invalidRequest("every part needs Content-Disposition: form-data; name=\"…\"")
            return
        }
        do {
            switch name {
            case "file", "audio":
                guard audio == nil else {
                    failure = .invalidRequest("send one audio file, in a part named `file`")
                    return
                }
                let declaredVideo = UploadLimits.declaresVideo(contentType: headers["content-type"], filename: disposition.filename)
                current = .audio(try FileSink(path: path("source"), limitBytes: limits.arrivingLimit(declaredVideo: declaredVideo)))
            case "subtitles":
                guard subtitles == nil else {
                    failure = .invalidRequest("send one subtitles file")
                    return
                }
                current = .subtitles(try FileSink(path: path("subtitles"), limitBytes: limits.maxSubtitleBytes))
            case _ where UploadReceiver.fieldNames.contains(name):
                current = .field(name, [])
            default:
                failure = .invalidRequest(
                    "unknown field `\(name)`; expected file, subtitles, \(UploadReceiver.fieldNames.sorted().joined(separator: ", "))")
            }
        } catch {
            failure = .invalidRequest("the upload has the same part twice")
        }
    }

    private func path(_ name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }
}
