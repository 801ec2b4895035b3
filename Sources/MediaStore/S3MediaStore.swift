import AsyncHTTPClient
public import Foundation
import HTTPTransport
public import NIOCore
import NIOHTTP1

/// The media store of several machines: objects in an S3-compatible bucket (AWS, MinIO,
/// Ceph, R2), every request signed with SigV4 and sent through `OutboundHTTP` (no
/// redirects, capped answers, deadlines). A put sends the body's SHA-256 both as the
/// signed payload hash and as `x-amz-checksum-sha256`, so the store refuses bytes that
/// differ from what the caller hashed; a get asks for that checksum back and checks it.
/// Transient failures are retried (``S3RetryPolicy``), refusals are not.
public struct S3MediaStore: MediaStore {
    public let configuration: MediaStoreConfiguration
    let retry: S3RetryPolicy
    let requestTimeoutSeconds: Double
    let transferTimeoutSeconds: Double
    let now: @Sendable () -> Date
    private let signer: SigV4Signer
    private let presigner: SigV4Presigner

    /// - Parameters:
    ///   - requestTimeoutSeconds: the bound on a head or delete.
    ///   - transferTimeoutSeconds: the bound on one put or get attempt, body included.
    ///   - now: the signing clock.
    public init(
        configuration: MediaStoreConfiguration, retry: S3RetryPolicy = S3RetryPolicy(),
        requestTimeoutSeconds: Double = 30, transferTimeoutSeconds: Double = 900,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.retry = retry
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.transferTimeoutSeconds = transferTimeoutSeconds
        self.now = now
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
        presigner = SigV4Presigner(credentials: configuration.credentials, region: configuration.region, service: "s3")
    }

    public func put(fileAtPath filePath: String, as key: MediaKey, sha256Hex: String) async throws {
        let digest = sha256Hex.lowercased()
        guard let digestBytes = Self.bytes(fromHex: digest), digestBytes.count == 32 else {
            throw MediaStoreError.integrity("\(sha256Hex.debugDescription) is not a SHA-256 in hex")
        }
        let sizeBytes = try FileChunks.sizeBytes(atPath: filePath)
        let checksum = Data(digestBytes).base64EncodedString()
        try await retry.run {
            var request = signedRequest(
                .PUT, key,
                headers: [("x-amz-checksum-sha256", checksum), ("x-amz-sdk-checksum-algorithm", "SHA256")],
                payloadHash: digest)
            request.body = .stream(FileChunks(path: filePath, pacedByQueuedWrites: true), length: .known(sizeBytes))
            let answer = try await send(request, timeoutSeconds: transferTimeoutSeconds)
            guard (200..<300).contains(answer.status) else {
                throw S3ErrorAnswer.error(status: answer.status, body: answer.body, key: key)
            }
        }
    }

    @discardableResult
    public func get(_ key: MediaKey, toFileAtPath filePath: String) async throws -> Int64 {
        try await retry.run {
            let request = signedRequest(.GET, key, headers: [("x-amz-checksum-mode", "ENABLED")])
            do {
                return try await OutboundHTTP.exchange(request, timeoutSeconds: transferTimeoutSeconds) { response in
                    guard response.status.code == 200 else {
                        let body = try await response.body.collect(upTo: S3ErrorAnswer.maxErrorBodyBytes)
                        throw S3ErrorAnswer.error(status: Int(response.status.code), body: body, key: key)
                    }
                    return try await S3Download(key: key, headers: response.headers).write(response.body, to: filePath)
                }
            } catch {
                throw S3ErrorAnswer.error(transport: error, timeoutSeconds: transferTimeoutSeconds)
            }
        }
    }

    @discardableResult
    public func read(_ key: MediaKey, into write: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws -> Int64 {
        let handedOver = ByteCount()
        do {
            return try await retry.run {
                let request = signedRequest(.GET, key)
                do {
                    return try await OutboundHTTP.exchange(request, timeoutSeconds: transferTimeoutSeconds) { response in
                        guard response.status.code == 200 else {
                            let body = try await response.body.collect(upTo: S3ErrorAnswer.maxErrorBodyBytes)
                            throw S3ErrorAnswer.error(status: Int(response.status.code), body: body, key: key)
                        }
                        for try await chunk in response.body {
                            handedOver.add(chunk.readableBytes)
                            try await write(chunk)
                        }
                        let announced = response.headers.first(name: "content-length").flatMap { Int64($0) }
                        if let announced, announced != handedOver.value {
                            throw MediaStoreError.badAnswer("S3 sent \(handedOver.value) bytes of \(key), not the \(announced) it announced")
                        }
                        return handedOver.value
                    }
                } catch {
                    let mapped = S3ErrorAnswer.error(transport: error, timeoutSeconds: transferTimeoutSeconds)
                    // The reader has part of the object: another attempt would hand it over twice.
                    guard handedOver.value == 0 else { throw HandedOver(underlying: mapped) }
                    throw mapped
                }
            }
        } catch let error as HandedOver {
            throw error.underlying
        }
    }

    /// A failure after bytes were handed to the reader, which must not be retried.
    private struct HandedOver: Error {
        let underlying: any Error
    }

    public func sizeBytes(of key: MediaKey) async throws -> Int64? {
        try await retry.run {
            let answer = try await send(signedRequest(.HEAD, key), timeoutSeconds: requestTimeoutSeconds)
            if answer.status == 404 { return nil }
            guard answer.status == 200 else { throw S3ErrorAnswer.error(status: answer.status, body: answer.body, key: key) }
            guard let length = answer.headers.first(name: "content-length").flatMap({ Int64($0) }) else {
                throw MediaStoreError.badAnswer("S3's answer to HEAD \(key) has no Content-Length")
            }
            return length
        }
    }

    public func delete(_ key: MediaKey) async throws {
        try await retry.run {
            let answer = try await send(signedRequest(.DELETE, key), timeoutSeconds: requestTimeoutSeconds)
            guard (200..<300).contains(answer.status) || answer.status == 404 else {
                throw S3ErrorAnswer.error(status: answer.status, body: answer.body, key: key)
            }
        }
    }

    public func presignedGetURL(for key: MediaKey, expiresInSeconds: Int) throws -> String? {
        try presigner.presignedURL(
            method: "GET", scheme: configuration.scheme, host: configuration.host,
            encodedPath: SigV4.encodedPath(configuration.pathSegments(for: key)),
            expiresSeconds: expiresInSeconds, date: now())
    }

    /// A request for `key` signed now, so that each retry carries a fresh date.
    private func signedRequest(
        _ method: HTTPMethod, _ key: MediaKey, headers: [(name: String, value: String)] = [],
        payloadHash: String = SigV4.sha256Hex(Data())
    ) -> HTTPClientRequest {
        let path = SigV4.encodedPath(configuration.pathSegments(for: key))
        var request = HTTPClientRequest(url: "\(configuration.scheme)://\(configuration.host)\(path)")
        request.method = method
        let signed = signer.signedHeaders(
            method: method.rawValue, host: configuration.host, encodedPath: path, query: [],
            headers: headers + [("x-amz-content-sha256", payloadHash)], payloadHash: payloadHash, date: now())
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        return request
    }

    private func send(_ request: HTTPClientRequest, timeoutSeconds: Double) async throws -> OutboundHTTP.Answer {
        do {
            return try await OutboundHTTP.send(
                request, timeoutSeconds: timeoutSeconds, maxAnswerBytes: S3ErrorAnswer.maxErrorBodyBytes)
        } catch {
            throw S3ErrorAnswer.error(transport: error, timeoutSeconds: timeoutSeconds)
        }
    }

    private static func bytes(fromHex hex: String) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
