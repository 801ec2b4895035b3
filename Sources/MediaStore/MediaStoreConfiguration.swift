import Foundation

/// Where an S3 media store is, parsed from `AURIS_MEDIA_URL`
/// (`s3://BUCKET/PREFIX?endpoint=http://host:port&region=us-east-1`) and the `AWS_*`
/// variables: checked at start-up, so a typo fails the command with a clear message
/// instead of every upload later.
///
/// With `endpoint` (MinIO, Ceph, moto) objects are addressed path-style,
/// `<endpoint>/BUCKET/PREFIX/KEY`; without it, AWS's virtual-host style,
/// `https://BUCKET.s3.REGION.amazonaws.com/PREFIX/KEY`.
public struct MediaStoreConfiguration: Sendable, CustomStringConvertible {
    public let bucket: String
    /// Segments put before every key; empty for the bucket's root.
    public let prefixSegments: [String]
    public let region: String
    /// `http` or `https`.
    let scheme: String
    /// The `Host` header: host, and port when not the scheme's default.
    let host: String
    let pathStyle: Bool
    public let credentials: AWSCredentials

    /// - Throws: `invalid_configuration`, naming what is wrong (the URL's shape, an unknown
    ///   option, a missing variable), never the secret.
    public static func parse(url: String, environment: [String: String]) throws -> MediaStoreConfiguration {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "s3" else {
            throw MediaStoreError.invalidConfiguration("the media URL must look like s3://BUCKET/PREFIX?endpoint=…&region=…")
        }
        guard components.user == nil, components.password == nil else {
            throw MediaStoreError.invalidConfiguration(
                "the media URL must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let bucket = components.host ?? ""
        guard Self.isBucketName(bucket), components.port == nil else {
            throw MediaStoreError.invalidConfiguration(
                "the media URL's bucket \(bucket.debugDescription) is not a bucket name (3-63 of a-z 0-9 . -)")
        }
        var region = "us-east-1"
        var endpoint: URLComponents?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "region":
                region = item.value ?? ""
                guard !region.isEmpty, region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
                    throw MediaStoreError.invalidConfiguration("the media URL's region \(region.debugDescription) is not a region name")
                }
            case "endpoint":
                guard let value = item.value, let parsed = URLComponents(string: value),
                    let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
                    let host = parsed.host, !host.isEmpty, parsed.user == nil, parsed.query == nil,
                    parsed.path.isEmpty || parsed.path == "/"
                else {
                    throw MediaStoreError.invalidConfiguration(
                        "the media URL's endpoint must be http(s)://host[:port] with no path, user or query")
                }
                endpoint = parsed
            default:
                throw MediaStoreError.invalidConfiguration(
                    "the media URL has an unknown option \(item.name.debugDescription) (known: endpoint, region)")
            }
        }
        let prefix = components.path.split(separator: "/").map(String.init)
        if !prefix.isEmpty {
            do { _ = try MediaKey(prefix.joined(separator: "/")) } catch {
                throw MediaStoreError.invalidConfiguration("the media URL's prefix is refused: \(error)")
            }
        }
        let credentials = try AWSCredentials(environment: environment)
        if let endpoint, let scheme = endpoint.scheme?.lowercased(), let host = endpoint.host {
            let defaultPort = scheme == "https" ? 443 : 80
            let hostHeader = endpoint.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
            return MediaStoreConfiguration(
                bucket: bucket, prefixSegments: prefix, region: region, scheme: scheme, host: hostHeader,
                pathStyle: true, credentials: credentials)
        }
        return MediaStoreConfiguration(
            bucket: bucket, prefixSegments: prefix, region: region, scheme: "https",
            host: "\(bucket).s3.\(region).amazonaws.com", pathStyle: false, credentials: credentials)
    }

    /// Where S3 requests go: the `endpoint` option, or AWS's regional endpoint.
    public var endpoint: String { pathStyle ? "\(scheme)://\(host)" : "https://s3.\(region).amazonaws.com" }

    /// The object's path segments after the host, before encoding.
    func pathSegments(for key: MediaKey) -> [String] {
        (pathStyle ? [bucket] : []) + prefixSegments + key.segments
    }

    public var description: String {
        let prefix = prefixSegments.joined(separator: "/")
        return "s3://\(bucket)/\(prefix) at \(scheme)://\(host) (\(region), \(pathStyle ? "path" : "virtual-host") style, key \(credentials.accessKeyID))"
    }

    private static func isBucketName(_ name: String) -> Bool {
        (3...63).contains(name.count)
            && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "-") }
            && name.first != "." && name.first != "-" && name.last != "." && name.last != "-"
    }
}
