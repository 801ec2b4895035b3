import AurisTestSupport
import Foundation
import Queue
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The wake-up sockets idle workers listen on: a notify reaches every listener, and the
/// socket of a process that is gone is cleaned away rather than tried forever.
@Suite(.timeLimit(.minutes(5))) struct JobWakeupsTests {
    @Test func aNotifyReachesEveryListeningProcess() async throws {
        let directory = try TemporaryDirectory("auris-wake")
        defer { directory.remove() }
        let wakeups = JobWakeups(dataDirectory: directory.path)
        let counts = Mutex<[Int]>([0, 0])
        let listeners = try (0..<2).map { index in
            try wakeups.listen(name: "w\(index)") { count in counts.withLock { $0[index] += count } }
        }
        wakeups.notifyAll()
        wakeups.notifyAll()
        let deadline = ContinuousClock.now + .seconds(5)
        while counts.withLock({ $0 }) != [2, 2], ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(counts.withLock { $0 } == [2, 2])
        for listener in listeners { listener.stop() }
        try await Task.sleep(for: .milliseconds(600))
        #expect(!FileManager.default.fileExists(atPath: listeners[0].path), "a stopped listener removes its socket")
    }

    @Test func aSocketNobodyListensOnIsRemoved() async throws {
        let directory = try TemporaryDirectory("auris-wake")
        defer { directory.remove() }
        let wakeups = JobWakeups(dataDirectory: directory.path)
        let listener = try wakeups.listen(name: "alive") { _ in }
        defer { listener.stop() }
        // What a SIGKILLed worker leaves behind: a bound socket file whose socket is closed.
        let stale = wakeups.directory + "/dead.sock"
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(stale.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(descriptor)
        #expect(FileManager.default.fileExists(atPath: stale))

        wakeups.notifyAll()
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: listener.path), "a live listener keeps its socket")
    }
}
