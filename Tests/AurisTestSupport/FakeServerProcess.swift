import UnixSignals

/// The body of a fake's executable (`fake-openai`, `fake-stripe`): serves until SIGTERM
/// or SIGINT, then lets the server stop gracefully.
public enum FakeServerProcess {
    public static func run(_ serve: @escaping @Sendable () async throws -> Void) async throws {
        let server = Task.detached { try await serve() }
        let signals = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                server.cancel()
                return
            }
        }
        try await server.value
        signals.cancel()
    }
}
