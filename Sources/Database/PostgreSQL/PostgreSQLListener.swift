import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Listens on one PostgreSQL channel (`LISTEN`) on a connection of its own, and calls back
/// for each notification, until stopped. A lost connection is made again after a pause,
/// and the callback then runs once, for what might have been sent while nobody listened.
final class PostgreSQLListener: NotificationSubscription {
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(url: PostgreSQLURL, channel: String, logger: Logger, onNotify: @escaping @Sendable () -> Void) {
        let task = Task {
            var connectedBefore = false
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(
                        on: MultiThreadedEventLoopGroup.singleton.next(), configuration: url.connectionConfiguration(),
                        id: 0, logger: logger
                    ).get()
                    if connectedBefore { onNotify() }
                    connectedBefore = true
                    do {
                        try await withTaskCancellationHandler {
                            try await connection.listen(on: channel) { notifications in
                                for try await _ in notifications { onNotify() }
                            }
                        } onCancel: {
                            connection.close().whenComplete { _ in _ = connection }
                        }
                    } catch {
                        logger.debug("listening stopped", metadata: ["error": "\(String(reflecting: error))"])
                    }
                    try? await connection.close()
                } catch {
                    logger.warning("cannot listen for wake-ups; polling only until it can", metadata: ["database": "\(url)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        self.task.withLock { $0 = task }
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }
}
