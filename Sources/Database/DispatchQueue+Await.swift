import Dispatch

extension DispatchQueue {
    /// Runs `body` on this queue and waits for its result without blocking the caller's
    /// thread: how a connection's blocking calls stay off Swift's cooperative pool.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            self.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
