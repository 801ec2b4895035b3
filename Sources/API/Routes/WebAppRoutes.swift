import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The web app: `GET /` is `index.html`, `GET /assets/{name}` its scripts and styles,
/// all shipped in this module's `Resources/web` folder and read once at start.
///
/// Files are served from memory by name, never by a path taken from the URL, so no
/// request can reach anything else on disk.
struct WebAppRoutes: Sendable {
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        var eTag: String
    }

    let index: Asset?
    let assets: [String: Asset]

    init(folder: URL? = Bundle.module.url(forResource: "web", withExtension: nil)) {
        index = folder.flatMap { Self.load($0.appendingPathComponent("index.html")) }
        var assets: [String: Asset] = [:]
        if let assetsFolder = folder?.appendingPathComponent("assets"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: assetsFolder.path)
        {
            for name in names {
                if let asset = Self.load(assetsFolder.appendingPathComponent(name)) { assets[name] = asset }
            }
        }
        self.assets = assets
    }

    func page(_ request: Request, context: AurisRequestContext) async throws -> Response {
        guard let index else { throw APIError.notFound("the web app is not bundled with this build") }
        var response = Self.respond(index, to: request)
        // The page runs only its own scripts and talks only to this server; results play
        // from blob: URLs made from authenticated fetches.
        response.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }

    func asset(_ request: Request, context: AurisRequestContext) async throws -> Response {
        guard let name = context.parameters.get("name"), let asset = assets[name] else {
            throw APIError.notFound("no asset \(context.parameters.get("name") ?? "")")
        }
        return Self.respond(asset, to: request)
    }

    /// `no-cache` with an ETag: a browser revalidates every load and gets a 304 until the
    /// server is upgraded, so a new version never mixes with cached old scripts.
    private static func respond(_ asset: Asset, to request: Request) -> Response {
        var headers: HTTPFields = [
            .eTag: asset.eTag, .cacheControl: "no-cache", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
        if request.headers[.ifNoneMatch] == asset.eTag { return Response(status: .notModified, headers: headers) }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.bytes))
    }

    private static func load(_ url: URL) -> Asset? {
        guard let contentType = contentTypes[url.pathExtension], let data = try? Data(contentsOf: url) else { return nil }
        let digest = SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined()
        return Asset(bytes: ByteBuffer(bytes: data), contentType: contentType, eTag: "\"\(digest)\"")
    }

    /// Only these kinds are served; anything else in the folder stays private.
    private static let contentTypes = [
        "html": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml",
    ]
}
