import AurisTestSupport
import Foundation
import Testing

@testable import MediaStore

/// Our SigV4 against botocore's, byte for byte, on the cases scripts/lib/sigv4_reference.py
/// lists (paths with spaces, unicode and `~`, sorted queries, spaced header values, session
/// tokens, presigning), and against AWS's own published examples.
@Suite struct SigV4ReferenceTests {
    struct Case: Decodable {
        var name: String
        var kind: String
        var method: String
        var scheme: String
        var host: String
        var segments: [String]
        var query: [[String]]
        var headers: [[String]]
        var accessKeyID: String
        var secretAccessKey: String
        var sessionToken: String?
        var region: String
        var service: String
        var amzDate: String
        var expiresSeconds: Int
        var payloadHash: String
        var expected: String

        var date: Date {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            return formatter.date(from: amzDate)!
        }

        var credentials: AWSCredentials {
            AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
        }

        /// What we make of the same inputs: the Authorization header or the presigned URL.
        func ours() throws -> String {
            let path = SigV4.encodedPath(segments)
            let queryItems = query.map { (name: $0[0], value: $0[1]) }
            if kind == "presign" {
                return try SigV4Presigner(credentials: credentials, region: region, service: service).presignedURL(
                    method: method, scheme: scheme, host: host, encodedPath: path, query: queryItems,
                    expiresSeconds: expiresSeconds, date: date)
            }
            var extra = headers.map { (name: $0[0], value: $0[1]) }
            if service == "s3" { extra.append(("x-amz-content-sha256", payloadHash)) }
            let signed = SigV4Signer(credentials: credentials, region: region, service: service).signedHeaders(
                method: method, host: host, encodedPath: path, query: queryItems, headers: extra,
                payloadHash: payloadHash, date: date)
            return try #require(signed.first { $0.name == "authorization" }).value
        }
    }

    static func referenceCases() async throws -> [Case] {
        let result = try await runProcess(try MotoVenv.python(), [MotoVenv.script("sigv4_reference.py")], timeoutSeconds: 60)
        #expect(result.status == 0, "sigv4_reference.py failed: \(result.standardError)")
        return try JSONDecoder().decode([Case].self, from: Data(result.standardOutput.utf8))
    }

    @Test func matchesBotocoreOnEveryReferenceCase() async throws {
        let cases = try await Self.referenceCases()
        #expect(cases.count >= 9)
        #expect(cases.contains { $0.kind == "presign" && $0.sessionToken != nil })
        #expect(cases.contains { $0.segments.joined().contains("~") && $0.segments.joined().contains("ü") })
        for reference in cases {
            #expect(try reference.ours() == reference.expected, "\(reference.name)")
        }
    }

    /// AWS's get-vanilla vector, from the inputs AWS documents.
    @Test func getVanillaVector() throws {
        let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
        #expect(SigV4.Timestamp(date).amzDate == "20150830T123600Z")
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "service")
        let headers = signer.signedHeaders(
            method: "GET", host: "example.amazonaws.com", encodedPath: "/", query: [], headers: [],
            payloadHash: SigV4.sha256Hex(Data()), date: date)
        #expect(headers.first { $0.name == "authorization" }?.value
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    /// The presigned GET in Amazon S3's SigV4 documentation (examplebucket/test.txt).
    @Test func s3DocumentationPresignExample() throws {
        let presigner = SigV4Presigner(
            credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "s3")
        let url = try presigner.presignedURL(
            method: "GET", scheme: "https", host: "examplebucket.s3.amazonaws.com", encodedPath: "/test.txt",
            expiresSeconds: 86400, date: Date(timeIntervalSince1970: 1_369_353_600))  // 2013-05-24T00:00:00Z
        #expect(url.hasSuffix("&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"))
    }

    @Test func presignRefusesLifetimesS3Refuses() {
        let presigner = SigV4Presigner(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret"), region: "us-east-1", service: "s3")
        for seconds in [0, -1, 604_801] {
            #expect(throws: MediaStoreError.self) {
                try presigner.presignedURL(
                    method: "GET", scheme: "https", host: "b.s3.amazonaws.com", encodedPath: "/k", expiresSeconds: seconds,
                    date: Date())
            }
        }
    }
}
