import Foundation

/// Signs one request with AWS Signature Version 4 in the `Authorization` header, the way
/// every S3 call but a presigned GET is authenticated. Signs `host`, `x-amz-date`, the
/// session token and every header the caller passes (S3 needs `x-amz-content-sha256`).
struct SigV4Signer: Sendable {
    let credentials: AWSCredentials
    let region: String
    let service: String

    /// The headers to send: the caller's, plus `host`, `x-amz-date`,
    /// `x-amz-security-token` (with a session token) and `authorization`.
    /// - Parameters:
    ///   - encodedPath: the path as sent, from ``SigV4/encodedPath(_:)``.
    ///   - payloadHash: the body's SHA-256 in hex (or `UNSIGNED-PAYLOAD`).
    func signedHeaders(
        method: String, host: String, encodedPath: String, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], payloadHash: String, date: Date
    ) -> [(name: String, value: String)] {
        let timestamp = SigV4.Timestamp(date)
        var all = headers + [("host", host), ("x-amz-date", timestamp.amzDate)]
        if let token = credentials.sessionToken { all.append(("x-amz-security-token", token)) }
        let canonical = SigV4.canonicalHeaders(all)
        let request = SigV4.canonicalRequest(
            method: method, encodedPath: encodedPath, query: SigV4.canonicalQuery(query), headers: canonical,
            payloadHash: payloadHash)
        let signature = SigV4.signature(
            canonicalRequest: request, timestamp: timestamp, region: region, service: service,
            secret: credentials.secretAccessKey)
        let scope = SigV4.credentialScope(timestamp, region: region, service: service)
        let authorization =
            "\(SigV4.algorithm) Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(canonical.signed), Signature=\(signature)"
        return all + [("authorization", authorization)]
    }
}
