/// Why the queue refused a request.
public struct QueueError: Error, CustomStringConvertible, Sendable, Equatable {
    private enum Code: Equatable, Sendable {
        case tooManyJobs(limit: Int)
        case idempotencyConflict(existingJobID: String)
        case invalidRequest(String)
        case brokenInvariant(String)
    }

    private let code: Code

    /// The account already has `limit` jobs waiting.
    public static func tooManyJobs(limit: Int) -> QueueError { QueueError(code: .tooManyJobs(limit: limit)) }
    /// The idempotency key was used before for a different request.
    public static func idempotencyConflict(existingJobID: String) -> QueueError {
        QueueError(code: .idempotencyConflict(existingJobID: existingJobID))
    }
    static func invalidRequest(_ reason: String) -> QueueError { QueueError(code: .invalidRequest(reason)) }
    static func brokenInvariant(_ reason: String) -> QueueError { QueueError(code: .brokenInvariant(reason)) }

    /// The account's limit of waiting jobs, when that limit is why the queue refused.
    public var queuedJobsLimit: Int? {
        if case .tooManyJobs(let limit) = code { return limit }
        return nil
    }

    public var isIdempotencyConflict: Bool {
        if case .idempotencyConflict = code { return true }
        return false
    }

    public var description: String {
        switch code {
        case .tooManyJobs(let limit): "the account already has \(limit) jobs waiting"
        case .idempotencyConflict(let id): "the idempotency key was already used for another request (job \(id))"
        case .invalidRequest(let reason): reason
        case .brokenInvariant(let reason): "broken invariant: \(reason)"
        }
    }
}
