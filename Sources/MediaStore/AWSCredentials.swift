import Foundation

/// The keys S3 requests are signed with, read from the standard `AWS_*` variables.
/// Its description names the key id only: the secret and the session token never reach
/// a log line or an error.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public let accessKeyID: String
    let secretAccessKey: String
    let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// - Throws: `invalid_configuration` when `AWS_ACCESS_KEY_ID` or `AWS_SECRET_ACCESS_KEY`
    ///   is unset or empty.
    public init(environment: [String: String]) throws {
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        guard let accessKeyID = value("AWS_ACCESS_KEY_ID") else {
            throw MediaStoreError.invalidConfiguration("an s3:// media URL needs AWS_ACCESS_KEY_ID, which is not set")
        }
        guard let secretAccessKey = value("AWS_SECRET_ACCESS_KEY") else {
            throw MediaStoreError.invalidConfiguration("an s3:// media URL needs AWS_SECRET_ACCESS_KEY, which is not set")
        }
        self.init(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: value("AWS_SESSION_TOKEN"))
    }

    public var description: String {
        "AWSCredentials(\(accessKeyID)\(sessionToken == nil ? "" : ", with a session token"))"
    }
}
