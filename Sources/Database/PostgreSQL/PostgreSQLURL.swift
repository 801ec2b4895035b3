import Foundation
import PostgresNIO
import NIOSSL

/// Where a PostgreSQL database is: `postgres://user:password@host:port/dbname`, with
/// `?host=/path/to/socket/folder` for a Unix socket and `sslmode=disable|require|verify-full`.
///
/// `description` never shows the password: the URL is printed in logs and errors.
public struct PostgreSQLURL: Sendable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The socket file itself: `<folder>/.s.PGSQL.<port>`.
        case unixSocket(path: String)
    }

    public enum TLSMode: String, Sendable {
        case disable
        /// Encrypted, the server's certificate not checked (libpq's `require`).
        case require
        /// Encrypted, the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public let endpoint: Endpoint
    public let user: String
    let password: String?
    public private(set) var database: String
    public let tls: TLSMode

    /// Whether `text` is meant as a PostgreSQL URL (rather than a mistake to report).
    public static func isPostgreSQL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// - Throws: `PostgreSQLURLError` naming what is wrong, without the password.
    public init(_ text: String) throws {
        guard Self.isPostgreSQL(text), let components = URLComponents(string: text) else {
            throw PostgreSQLURLError("expected postgres://user:password@host:port/dbname")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let unknown = Set(query.keys).subtracting(["host", "sslmode", "port"])
        guard unknown.isEmpty else {
            throw PostgreSQLURLError("unknown parameter \(unknown.sorted().joined(separator: ", ")) (known: host, port, sslmode)")
        }
        guard let user = components.user, !user.isEmpty else { throw PostgreSQLURLError("the URL names no user") }
        let name = String(components.path.drop(while: { $0 == "/" }))
        guard !name.isEmpty, !name.contains("/") else { throw PostgreSQLURLError("the URL names no database (…/dbname)") }
        let port = try query["port"].map { text in
            guard let port = Int(text), (1...65_535).contains(port) else { throw PostgreSQLURLError("bad port \(text)") }
            return port
        } ?? components.port ?? 5432
        guard let mode = TLSMode(rawValue: query["sslmode"] ?? "disable") else {
            throw PostgreSQLURLError("sslmode must be disable, require or verify-full")
        }
        if let folder = query["host"], folder.hasPrefix("/") {
            endpoint = .unixSocket(path: folder + "/.s.PGSQL.\(port)")
            guard mode == .disable else { throw PostgreSQLURLError("a Unix socket takes sslmode=disable") }
        } else {
            let host = query["host"] ?? components.host ?? ""
            guard !host.isEmpty else { throw PostgreSQLURLError("the URL names no host") }
            endpoint = .tcp(host: host, port: port)
        }
        self.user = user
        password = components.password
        database = name
        tls = mode
    }

    public var description: String {
        let credentials = user + (password == nil ? "" : ":***")
        return switch endpoint {
        case .tcp(let host, let port): "postgres://\(credentials)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
        case .unixSocket(let path): "postgres://\(credentials)@/\(database)?socket=\(path)"
        }
    }

    /// The same server and credentials, another database (tests make one per test).
    public func with(database name: String) -> PostgreSQLURL {
        var copy = self
        copy.database = name
        return copy
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        switch endpoint {
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: user, password: password, database: database)
        case .tcp(let host, let port):
            let tlsSetting: PostgresConnection.Configuration.TLS
            switch tls {
            case .disable:
                tlsSetting = .disable
            case .require:
                var settings = TLSConfiguration.makeClientConfiguration()
                settings.certificateVerification = .none
                tlsSetting = .require(try NIOSSLContext(configuration: settings))
            case .verifyFull:
                tlsSetting = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
        }
        configuration.options.connectTimeout = .seconds(10)
        // Bounds on one statement, one lock wait and one idle transaction, so a stuck peer
        // cannot hold a connection (and the rows it locked) for ever.
        configuration.options.additionalStartupParameters = [
            ("statement_timeout", "30000"), ("lock_timeout", "15000"),
            ("idle_in_transaction_session_timeout", "60000"), ("application_name", "auris"),
            // A statement sent without BEGIN (`writeOneStatement`) runs at READ COMMITTED
            // whatever the server's default, as `writeLockingRows` does.
            ("default_transaction_isolation", "read committed"),
        ]
        return configuration
    }
}

/// A PostgreSQL URL that cannot be used, and why (never with the password).
public struct PostgreSQLURLError: Error, CustomStringConvertible {
    public let description: String
    init(_ reason: String) { description = "AURIS_DATABASE_URL: " + reason }
}
