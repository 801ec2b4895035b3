import Foundation

/// Signs a GET in its query string (AWS SigV4 presigning), so a browser or a plain HTTP
/// client fetches a result straight from the store for a short while with no key of its
/// own. Only `host` is signed and the payload is `UNSIGNED-PAYLOAD`, as S3 requires.
struct SigV4Presigner: Sendable {
    /// S3 refuses presigned URLs valid for longer than seven days.
    static let maxExpiresSeconds = 7 * 24 * 3600

    let credentials: AWSCredentials
    let region: String
    let service: String

    /// The full URL, `scheme://host/path?…&X-Amz-Signature=…`.
    /// - Throws: `invalid_configuration` when `expiresSeconds` is not 1...604800.
    func presignedURL(
        method: String, scheme: String, host: String, encodedPath: String,
        query: [(name: String, value: String)] = [], expiresSeconds: Int, date: Date
    ) throws -> String {
        guard (1...Self.maxExpiresSeconds).contains(expiresSeconds) else {
            throw MediaStoreError.invalidConfiguration(
                "a presigned URL lives 1 to \(Self.maxExpiresSeconds) s, not \(expiresSeconds)")
        }
        let timestamp = SigV4.Timestamp(date)
        let scope = SigV4.credentialScope(timestamp, region: region, service: service)
        var items = query + [
            ("X-Amz-Algorithm", SigV4.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", timestamp.amzDate),
            ("X-Amz-Expires", String(expiresSeconds)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { items.append(("X-Amz-Security-Token", token)) }
        let canonicalQuery = SigV4.canonicalQuery(items)
        let request = SigV4.canonicalRequest(
            method: method, encodedPath: encodedPath, query: canonicalQuery,
            headers: SigV4.canonicalHeaders([("host", host)]), payloadHash: SigV4.unsignedPayload)
        let signature = SigV4.signature(
            canonicalRequest: request, timestamp: timestamp, region: region, service: service,
            secret: credentials.secretAccessKey)
        // The operation's parameters, then the signature's, in that order, as AWS's SDKs write them.
        let sentQuery = items.map { SigV4.uriEncode($0.name) + "=" + SigV4.uriEncode($0.value) }.joined(separator: "&")
        return "\(scheme)://\(host)\(encodedPath)?\(sentQuery)&X-Amz-Signature=\(signature)"
    }
}
