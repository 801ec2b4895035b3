import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Wake-ups for idle workers the moment a job becomes runnable, across the processes
/// of one machine: each worker process binds a Unix datagram socket in `<data>/wake/`,
/// and whoever makes a job runnable (the API once an enqueue has committed, `auris up`
/// once it has released a dead worker's leases) sends one byte to each of them.
///
/// A lost wake-up costs only latency — workers still poll — so sending never blocks
/// and never fails its caller. On PostgreSQL, workers on every host also wake on
/// `LISTEN/NOTIFY` (`SQLDatabase.subscribe`).
///
/// ```swift
/// let wakeups = JobWakeups(dataDirectory: "data")
/// let listener = try wakeups.listen(name: "w123") { count in slots.wake(count) }  // a worker
/// wakeups.notifyAll()                                                  // after an enqueue commits
/// listener.stop()
/// ```
public struct JobWakeups: Sendable {
    /// `<data>/wake`: one socket per listening worker process.
    public let directory: String

    public init(dataDirectory: String) {
        directory = dataDirectory + "/wake"
    }

    private init(directory: String) {
        self.directory = directory
    }

    /// `<data>/wake-changes`: one socket per API process with open event streams, which
    /// workers wake after each progress report and settle, so a stream shows a change
    /// without polling (on PostgreSQL, `JobQueue.changeChannel` does it across hosts).
    public static func jobChanges(dataDirectory: String) -> JobWakeups {
        JobWakeups(directory: dataDirectory + "/wake-changes")
    }

    /// Sends a wake-up to every listening process, and removes the sockets of processes
    /// that died without removing their own (nobody is bound to them any more).
    public func notifyAll() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        for name in names where name.hasSuffix(".sock") {
            let path = directory + "/" + name
            var byte: UInt8 = 1
            let sent = UnixSocketAddress.with(path: path) { address, length in
                sendto(descriptor, &byte, 1, Int32(MSG_DONTWAIT), address, length)
            }
            // ECONNREFUSED: a socket file with no process behind it. EAGAIN (its queue
            // is full of wake-ups not yet read) needs nothing: the process is awake.
            if sent == -1 && errno == ECONNREFUSED { unlink(path) }
        }
    }

    /// Binds `<data>/wake/<name>.sock` and calls `onWake` with the number of wake-ups
    /// received, on a thread of its own (wake-ups waiting together make one call).
    ///
    /// - Throws: `JobWakeupsError` when the socket cannot be made (the caller then relies
    ///   on polling alone).
    public func listen(name: String, onWake: @escaping @Sendable (Int) -> Void) throws -> WakeListener {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try WakeListener(path: directory + "/" + name + ".sock", onWake: onWake)
    }
}

/// Why a wake-up socket could not be made.
public struct JobWakeupsError: Error, CustomStringConvertible {
    public let description: String
}

enum UnixSocketAddress {
    /// Calls `body` with `path` as a `sockaddr_un`, or returns -1 with `errno` =
    /// ENAMETOOLONG when the path does not fit (108 bytes on Linux).
    static func with(path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int) -> Int {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            errno = ENAMETOOLONG
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
