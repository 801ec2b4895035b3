import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// One connection to PostgreSQL, used the way `SQLiteConnection` is: each statement
/// blocks its caller until the server answers.
///
/// `PostgreSQLDatabase` runs every use on the serial queue it dedicates to this
/// connection (which is what makes the `@unchecked Sendable` below safe), so the wait
/// never lands on Swift's cooperative pool or on an event loop. Blocking is what lets the
/// ledger's and the queue's rules, written as synchronous transaction bodies, run
/// unchanged on both databases (docs/ARCHITECTURE.md, "The store boundary").
public final class PostgreSQLConnection: SQLConnection, @unchecked Sendable {
    let connection: PostgresConnection
    private let logger: Logger
    /// Each statement's SQL with `?` placeholders rewritten to `$N`, found once.
    private var rewrittenSQL: [String: String] = [:]
    public private(set) var isInTransaction = false
    /// Inside `transaction(begin: nil, …)`: the statements the body may still send (one).
    private var statementsLeft: Int?
    public var dialect: SQLDialect { .postgresql }

    /// Connects (with `PostgreSQLURL`'s session limits).
    static func connect(to url: PostgreSQLURL, id: Int, logger: Logger) throws -> PostgreSQLConnection {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: url.connectionConfiguration(),
                id: id, logger: logger
            ).wait()
        } catch {
            throw DatabaseError(sqlState: "08001", message: "cannot connect to \(url): \(Self.reason(error))")
        }
        return PostgreSQLConnection(connection: connection, logger: logger)
    }

    private init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    deinit {
        // The closure keeps the connection alive until it is closed: PostgresNIO traps
        // when a connection is released open.
        let connection = connection
        connection.close().whenComplete { _ in _ = connection }
    }

    /// Whether the server or the network closed the connection: it must be replaced.
    var isClosed: Bool { connection.isClosed }

    @discardableResult
    public func execute(_ sql: String, _ arguments: (any DatabaseValueConvertible)?...) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    public func query<T>(_ sql: String, _ arguments: (any DatabaseValueConvertible)?..., map: (Row) throws -> T) throws -> [T] {
        try run(sql, arguments).rows.map { row in try map(Row(storage: .postgresql(row.makeRandomAccess()))) }
    }

    public func queryFirst<T>(_ sql: String, _ arguments: (any DatabaseValueConvertible)?..., map: (Row) throws -> T) throws
        -> T?
    {
        try run(sql, arguments).rows.first.map { row in try map(Row(storage: .postgresql(row.makeRandomAccess()))) }
    }

    /// Runs the script's statements one by one: PostgresNIO sends every statement as a
    /// prepared one, and a prepared statement holds one command.
    public func executeScript(_ sql: String) throws {
        for statement in SQLScript.statements(in: sql) {
            try execute(statement)
        }
    }

    public func notify(channel: String) throws {
        precondition(isInTransaction, "a notification goes out with the transaction that commits it")
        try execute("SELECT pg_notify(?, '')", channel)
    }

    /// Runs `body` in a transaction opened by `begin`, again when PostgreSQL fails it to
    /// keep concurrent transactions serializable, up to `maxAttempts` times.
    ///
    /// With `begin` nil, `body` sends exactly one statement and no BEGIN or COMMIT goes
    /// with it: the statement is a transaction of its own, committed by the server before
    /// it answers (at the session's READ COMMITTED, synchronously), so one round trip
    /// where BEGIN, the statement and COMMIT were three. A second statement traps.
    func transaction<T>(begin: String?, maxAttempts: Int, _ body: (any SQLConnection) throws -> T) throws -> T {
        precondition(!isInTransaction, "transactions do not nest")
        var attempt = 1
        while true {
            do {
                if let begin { try execute(begin) } else { statementsLeft = 1 }
                isInTransaction = true
                let value = try body(self)
                statementsLeft = nil
                if begin != nil { try execute("COMMIT") }
                isInTransaction = false
                return value
            } catch {
                statementsLeft = nil
                if isInTransaction {
                    // The one statement of `begin: nil` rolled itself back when it failed.
                    if begin != nil { _ = try? execute("ROLLBACK") }
                    isInTransaction = false
                }
                guard let failure = error as? DatabaseError, failure.isSerializationFailure, attempt < maxAttempts else {
                    throw error
                }
                // Jittered and growing (up to 100 ms), so transactions that collided spread
                // out: with 16 concurrent enqueues on 4 accounts, 0.5 ms steps livelocked.
                usleep(UInt32.random(in: 0...(UInt32(min(attempt, 20)) * 5_000)))
                attempt += 1
            }
        }
    }

    private func run(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?]) throws -> PostgresQueryResult {
        if let left = statementsLeft {
            precondition(left > 0, "a transaction without BEGIN sends one statement")
            statementsLeft = left - 1
        }
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            if let argument { argument.append(to: &bindings) } else { bindings.appendNull() }
        }
        let query = PostgresQuery(unsafeSQL: rewritten(sql), binds: bindings)
        do {
            return try bounded(connection.query(query, logger: logger)).wait()
        } catch {
            throw Self.databaseError(error, sql: sql)
        }
    }

    /// How long one statement may wait for its answer on our side: the server's own
    /// `statement_timeout` (30 s) plus a margin, for a connection that died without
    /// the network telling (the waiting thread would otherwise wait for ever).
    static let answerTimeout: TimeAmount = .seconds(40)

    /// `future`, failed and the connection closed when no answer came in `answerTimeout`.
    private func bounded<T>(_ future: EventLoopFuture<T>) -> EventLoopFuture<T> {
        let promise = future.eventLoop.makePromise(of: T.self)
        let connection = connection
        // Both closures run on the future's event loop; the flag keeps the promise from
        // being completed twice.
        let settled = OnceFlag()
        let timeout = future.eventLoop.scheduleTask(in: Self.answerTimeout) {
            guard settled.claim() else { return }
            promise.fail(DatabaseError(sqlState: "08006", message: "no answer from the server in 40 s"))
            connection.close().whenComplete { _ in _ = connection }
        }
        future.whenComplete { result in
            timeout.cancel()
            guard settled.claim() else { return }
            promise.completeWith(result)
        }
        return promise.futureResult
    }

    private func rewritten(_ sql: String) -> String {
        if let cached = rewrittenSQL[sql] { return cached }
        let text = PostgreSQLPlaceholders.rewrite(sql)
        rewrittenSQL[sql] = text
        return text
    }

    static func databaseError(_ error: any Error, sql: String?) -> DatabaseError {
        if let failure = error as? PSQLError, let state = failure.serverInfo?[.sqlState] {
            return DatabaseError(sqlState: state, message: failure.serverInfo?[.message] ?? "\(failure.code)", sql: sql)
        }
        // No answer from the server: the connection is gone (08006, connection_failure).
        return DatabaseError(sqlState: "08006", message: reason(error), sql: sql)
    }

    /// What went wrong, in words that never include the connection's password.
    private static func reason(_ error: any Error) -> String {
        if let failure = error as? PSQLError {
            return failure.serverInfo?[.message] ?? "\(failure.code)"
        }
        return "\(error)"
    }
}

/// True for the first `claim()` only.
private final class OnceFlag: Sendable {
    private let taken = Atomic<Bool>(false)
    func claim() -> Bool { !taken.exchange(true, ordering: .relaxed) }
}

/// SQLite's placeholders in PostgreSQL's spelling: `?N` becomes `$N`, and each bare `?`
/// the next number. Text in single quotes is left alone.
enum PostgreSQLPlaceholders {
    static func rewrite(_ sql: String) -> String {
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var bare = 0
        var inQuotes = false
        var characters = sql.makeIterator()
        var pending: Character? = characters.next()
        while let character = pending {
            pending = characters.next()
            if character == "'" { inQuotes.toggle() }
            guard character == "?", !inQuotes else {
                result.append(character)
                continue
            }
            var digits = ""
            while let next = pending, next.isASCII, next.isNumber {
                digits.append(next)
                pending = characters.next()
            }
            if digits.isEmpty {
                bare += 1
                digits = String(bare)
            }
            result += "$" + digits
        }
        return result
    }
}
