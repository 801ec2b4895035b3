import Billing
import Dubbing
import Foundation
import HTTPTypes
import Hummingbird
import MediaStore
import Queue

/// Status, list, result and cancel of an account's jobs. Another account's job is 404
/// on every route, as if it did not exist.
struct DubRoutes: Sendable {
    let configuration: APIConfiguration
    let queue: JobQueue

    func status(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let job = try await ownedJob(context)
        var body = JobView.json(job, publicURL: configuration.publicURL)
        body["ok"] = .bool(true)
        return try JSONResponse.make(body)
    }

    func list(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let limitText = request.uri.queryParameters["limit"].map(String.init)
        guard let limit = Int(limitText ?? "20"), (1...100).contains(limit) else {
            throw APIError.invalidRequest("limit must be a whole number from 1 to 100")
        }
        var cursor: JobCursor?
        if let after = request.uri.queryParameters["cursor"].map(String.init) {
            guard (1...64).contains(after.utf8.count), after.utf8.allSatisfy({ Self.cursorBytes.contains($0) }) else {
                throw APIError.invalidRequest("cursor must be the next_cursor of a page")
            }
            // A well-formed cursor that names no job of this account: as for its status.
            guard let job = try await queue.job(id: after, account: account) else {
                throw APIError.notFound("no job \(after) to continue after")
            }
            cursor = JobCursor(createdAtMilliseconds: job.createdAtMilliseconds, id: job.id)
        }
        let jobs = try await queue.jobs(of: account, limit: limit, before: cursor)
        return try JSONResponse.make([
            "ok": .bool(true),
            "jobs": .array(jobs.map { .object(JobView.json($0, publicURL: configuration.publicURL)) }),
            "next_cursor": jobs.count == limit ? .optional(jobs.last?.id) : .null,
        ])
    }

    func result(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let job = try await ownedJob(context)
        guard job.state == .succeeded else {
            throw APIError.conflict("result_not_ready", "the job is \(job.state.rawValue); the result exists once it has succeeded")
        }
        let type = ResultContainer(payload: job.payload)
        let key = try MediaKey.result(jobID: job.id, fileExtension: type.fileExtension)
        let sizeBytes: Int64?
        do {
            sizeBytes = try await configuration.media.sizeBytes(of: key)
        } catch let error as MediaStoreError {
            throw APIError.mediaStoreUnavailable("the result cannot be read now (\(error.code)); try again")
        }
        guard let sizeBytes else {
            throw APIError(.gone, "result_expired", "the result was kept for its retention time and has been removed")
        }
        if let seconds = configuration.resultRedirectSeconds,
            let url = try configuration.media.presignedGetURL(for: key, expiresInSeconds: seconds)
        {
            return Response(status: .temporaryRedirect, headers: [.location: url, .cacheControl: "no-store"])
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: type.contentType,
                .contentLength: String(sizeBytes),
                .contentDisposition: "attachment; filename=\"\(job.id).\(type.fileExtension)\"",
                .cacheControl: "private, max-age=3600",
            ],
            body: MediaResponseBody.streaming(key, from: configuration.media))
    }

    func cancel(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let id = try jobID(context)
        switch try await queue.cancel(jobID: id, account: account) {
        case .canceled:
            return try JSONResponse.make(["ok": .bool(true), "id": .string(id), "status": .string(JobState.canceled.rawValue)])
        case .cancelRequested:
            return try JSONResponse.make(status: .accepted, [
                "ok": .bool(true), "id": .string(id), "status": .string(JobState.running.rawValue), "cancel_requested": .bool(true),
            ])
        case .alreadyFinished(let state):
            throw APIError.conflict("already_finished", "the job has already \(state.rawValue); there is nothing to cancel")
        case .notFound:
            throw APIError.notFound("no job \(id)")
        }
    }

    /// A job id's characters: ASCII letters, digits and `_`.
    private static let cursorBytes = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_".utf8))

    private func ownedJob(_ context: AurisRequestContext) async throws -> Job {
        let account = try context.requireAccount()
        let id = try jobID(context)
        guard let job = try await queue.job(id: id, account: account) else { throw APIError.notFound("no job \(id)") }
        return job
    }

    private func jobID(_ context: AurisRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), id.utf8.count <= 64 else { throw APIError.notFound() }
        return id
    }
}
