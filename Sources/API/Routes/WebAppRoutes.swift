import Crypto
import Database
import Foundation
import HTTPTypes
import Hummingbird

/// The web app: `GET /` is `index.html`, `GET /assets/{name}` its scripts and styles,
/// all shipped in this module's `Resources/web` folder and read once at start. The page
/// comes in the first of its languages (French, English) that `Accept-Language` names,
/// as `<html lang>`; its scripts take every word from their catalogue in that language.
///
/// Files are served from memory by name, never by a path taken from the URL, so no
/// request can reach anything else on disk.
struct WebAppRoutes: Sendable {
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        var eTag: String
    }

    /// The page by language: `<html lang="…">` set, and its own ETag.
    let indexes: [String: Asset]
    let assets: [String: Asset]
    static let languages = ["en", "fr"]

    init(folder: URL? = Bundle.module.url(forResource: "web", withExtension: nil)) {
        var indexes: [String: Asset] = [:]
        if let html = folder.flatMap({ try? String(contentsOf: $0.appendingPathComponent("index.html"), encoding: .utf8) }) {
            for language in Self.languages {
                let page = Data(html.replacingOccurrences(of: #"<html lang="en">"#, with: #"<html lang="\#(language)">"#).utf8)
                indexes[language] = Self.asset(page, contentType: Self.contentTypes["html"]!)
            }
        }
        self.indexes = indexes
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
        let language = Self.language(accepting: request.headers[.acceptLanguage])
        guard let index = indexes[language] else { throw APIError.notFound("the web app is not bundled with this build") }
        var response = Self.respond(index, to: request)
        response.headers[.vary] = "Accept-Language"
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

    /// The first supported language of an `Accept-Language` header, by its q-values
    /// (`fr-CA;q=0.9` counts as `fr`); English when none is supported.
    static func language(accepting header: String?) -> String {
        let ranked = (header ?? "").split(separator: ",").enumerated().compactMap { position, part -> (String, Double, Int)? in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { return nil }
            let quality = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return (String(tag.split(separator: "-").first ?? ""), quality, position)
        }
        let best = ranked.filter { languages.contains($0.0) && $0.1 > 0 }.sorted { ($0.1, -$0.2) > ($1.1, -$1.2) }.first
        return best?.0 ?? "en"
    }

    private static func load(_ url: URL) -> Asset? {
        guard let contentType = contentTypes[url.pathExtension], let data = try? Data(contentsOf: url) else { return nil }
        return asset(data, contentType: contentType)
    }

    private static func asset(_ data: Data, contentType: String) -> Asset {
        let digest = SHA256.hash(data: data).prefix(12).hexString
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
