import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt at the operator's cost (`AURIS_BCRYPT_COST`), run on NIO's blocking thread
/// pool: a hash takes a quarter second at cost 12 and must never hold a thread of
/// Swift's cooperative pool or an event loop. The pool has one thread per core, so a
/// burst of sign-ins queues there instead of starting a thread each.
struct PasswordHasher: Sendable {
    let cost: UInt8

    func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`; with no hash (an unknown email) a dummy hash
    /// of the same cost is checked, so the answer takes as long as for a wrong password.
    func verify(_ password: String, hash: String?) async throws -> Bool {
        let checked = if let hash { hash } else { try await dummyHash() }
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: checked) }
        return hash != nil && matches
    }

    private static let dummies = Mutex<[UInt8: String]>([:])

    private func dummyHash() async throws -> String {
        if let known = Self.dummies.withLock({ $0[cost] }) { return known }
        let made = try await self.hash("not a password anyone has")
        Self.dummies.withLock { $0[cost] = made }
        return made
    }
}
