import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A worker process's wake-up socket (see `JobWakeups`): a thread waits on it and calls
/// back with the count of each burst of wake-ups, until `stop()`, which also removes the socket file.
public final class WakeListener: Sendable {
    /// The socket's path in `<data>/wake/`.
    public let path: String
    private let stopped = Atomic<Bool>(false)

    /// How long the thread waits before it checks whether it was stopped.
    static let stopCheckMilliseconds: Int32 = 200

    init(path: String, onWake: @escaping @Sendable (Int) -> Void) throws {
        self.path = path
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw JobWakeupsError(description: "socket(): \(String(cString: strerror(errno)))") }
        unlink(path)
        let bound = UnixSocketAddress.with(path: path) { address, length in Int(bind(descriptor, address, length)) }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw JobWakeupsError(description: "bind(\(path)): \(reason)")
        }
        // The thread keeps the listener alive until `stop()`.
        let thread = Thread { [self] in
            serve(descriptor: descriptor, onWake: onWake)
            close(descriptor)
            unlink(path)
        }
        thread.name = "auris.wake-listener"
        thread.start()
    }

    /// Stops listening within `stopCheckMilliseconds`; the socket file goes with it.
    public func stop() {
        stopped.store(true, ordering: .releasing)
    }

    private func serve(descriptor: Int32, onWake: @Sendable (Int) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 64)
        while !stopped.load(ordering: .acquiring) {
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, Self.stopCheckMilliseconds)
            if ready < 0 && errno != EINTR { return }
            guard ready > 0 else { continue }
            // Drain every queued wake-up, then call back once with their count: one call
            // can wake as many idle slots as jobs arrived.
            var received = 0
            while recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 { received += 1 }
            if received > 0 { onWake(received) }
        }
    }
}
