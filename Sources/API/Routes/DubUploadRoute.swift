import Billing
import Crypto
import Database
import Dubbing
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Media
import Queue

/// `POST /api/dub`: stream the upload to this host's spool, measure it, put it in the
/// media store, and reserve its credits and queue it in one transaction. Any refusal
/// leaves no file, no object, no hold and no job behind.
struct DubUploadRoute: Sendable {
    let configuration: APIConfiguration
    let queue: JobQueue
    let accounts: Accounts
    let engine: any DubbingEngine
    let probes: ProbeGate
    let uploadsInProgress: AccountSlots
    let wakeups: JobWakeups

    func handle(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let idempotencyKey = try IdempotencyKeyHeader.value(of: request)
        guard uploadsInProgress.acquire(account) else { throw APIError.tooManyUploads(limit: uploadsInProgress.limit) }
        defer { uploadsInProgress.release(account) }
        var phases = UploadPhases()
        // An account that cannot pay for the shortest job is refused before its body is
        // read: a key without credits must not make the server store and probe files. A
        // retry of a request already queued is answered with its job, whatever the balance.
        var isRetry = false
        if let idempotencyKey { isRetry = try await queue.hasJob(of: account, idempotencyKey: idempotencyKey) }
        if !isRetry {
            let balance = try await accounts.balance(of: account)
            guard balance.debt == 0 else { throw LedgerError.accountInDebt(credits: balance.debt) }
            guard balance.available >= CreditPricing.minimumCredits else {
                throw LedgerError.insufficientCredits(required: CreditPricing.minimumCredits, available: balance.available)
            }
        }
        phases.end(.checks)
        let uploadID = RandomIdentifier.make(prefix: "up", nowMilliseconds: SystemWallClock().nowMilliseconds)
        let folder = configuration.files.spoolFolder(uploadID: uploadID)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        // The upload's row must be committed before its first object is put (docs/ARCHITECTURE.md,
        // "Media store"). Written while the body arrives and is probed, its commit is off the
        // upload's path; a refusal before the put removes it again.
        let record = Task { try await queue.recordUpload(id: uploadID, account: account) }
        let upload: ReceivedUpload
        let fields: DubFields
        let info: AudioInfo
        let credits: Int64
        let payloadJSON: String
        let fingerprint: String
        do {
            let limits = configuration.uploadLimits
            upload = try await UploadReceiver.receive(request, into: folder, limits: limits)
            fields = try DubFields(upload.fields, hasSubtitles: upload.subtitlesPath != nil)
            // The form's values win, but what the query sent must be valid too.
            let queryFields = upload.overriddenQueryFields.isEmpty ? nil : try DubFields(
                upload.fields.merging(upload.overriddenQueryFields) { $1 }, hasSubtitles: upload.subtitlesPath != nil)
            guard upload.audioBytes > 0 else { throw APIError.invalidAudio("the audio file is empty") }
            phases.end(.receive)
            info = try await probes.probe(
                path: upload.audioPath, maxDurationSeconds: configuration.maxDurationSeconds, account: account)
            guard upload.audioBytes <= limits.limit(hasVideo: info.hasVideo) else {
                throw APIError.payloadTooLarge(limitBytes: limits.limit(hasVideo: info.hasVideo))
            }
            phases.end(.probe)
            for requested in [fields, queryFields].compactMap({ $0 }) {
                try refuseUnsupported(requested, hasSubtitles: upload.subtitlesPath != nil)
            }

            if let subtitlesPath = upload.subtitlesPath {
                try SpeechBudget.checkSubtitles(atPath: subtitlesPath, durationMilliseconds: info.durationMilliseconds)
            }
            credits = CreditPricing.credits(forDurationMilliseconds: info.durationMilliseconds)
            let payload = DubbingRequest(
                hasSubtitles: upload.subtitlesPath != nil, targetLanguage: fields.targetLanguage,
                sourceLanguage: fields.sourceLanguage, voice: fields.voice, keepBackground: fields.keepBackground,
                durationMilliseconds: info.durationMilliseconds, speakers: fields.speakers, voices: fields.voices,
                video: VideoResult(source: info, keepsOriginal: fields.keepOriginal, sourceLanguage: fields.sourceLanguage))
            payloadJSON = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
            fingerprint = fields.fingerprint(audioDigest: upload.audioDigest, subtitlesDigest: upload.subtitlesDigest)
        } catch {
            if (try? await record.value) != nil { try? await queue.forgetUpload(id: uploadID) }
            throw error
        }
        let stored = try await StoredUpload.put(upload, id: uploadID, recorded: record, queue: queue, media: configuration.media)
        phases.end(.store)
        let outcome: EnqueueOutcome
        do {
            outcome = try await queue.enqueue(EnqueueRequest(
                account: account, credits: credits, durationMilliseconds: info.durationMilliseconds, payload: payloadJSON,
                uploadID: uploadID, idempotencyKey: idempotencyKey, requestFingerprint: idempotencyKey == nil ? nil : fingerprint))
        } catch {
            await stored.remove()
            throw error
        }

        phases.end(.enqueue)
        let job = outcome.job
        context.logger.debug("upload accepted", metadata: phases.logMetadata.merging(["job": "\(job.id)"]) { $1 })
        let available: Int64
        switch outcome {
        case .created(_, let availableCredits):
            available = availableCredits
            // Committed: idle workers can start it now rather than at their next poll.
            wakeups.notifyAll()
        case .replayed:
            // The earlier request's job reads its own upload; this copy is not needed.
            await stored.remove()
            available = try await accounts.balance(of: account).available
        }
        var headers: HTTPFields = [.location: "/api/dub/\(job.id)"]
        if case .replayed = outcome { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return try JSONResponse.make(status: .accepted, [
            "ok": .bool(true),
            "id": .string(job.id),
            "status": .string(job.state.rawValue),
            "duration_seconds": .double(Double(job.durationMilliseconds) / 1_000),
            "credits_reserved": .integer(job.credits),
            "credits_available": .integer(available),
            "status_url": .string("\(configuration.publicURL)/api/dub/\(job.id)"),
        ], headers: headers)
    }

    /// 422 `engine_unsupported` when the engine cannot dub into the language or speak
    /// with a voice the request names.
    private func refuseUnsupported(_ fields: DubFields, hasSubtitles: Bool) throws {
        for voice in [fields.voice] + fields.voices.values.sorted().map(Optional.some) {
            if let reason = engine.unsupportedReason(targetLanguage: fields.targetLanguage, hasSubtitles: hasSubtitles, voice: voice) {
                throw APIError.engineUnsupported(reason)
            }
        }
    }
}
