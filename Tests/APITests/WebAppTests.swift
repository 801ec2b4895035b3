import API
import AurisTestSupport
import Database
import Dubbing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The web app as the API serves it: the page, every module it loads, and the public
/// language list its form is built from.
@Suite(.timeLimit(.minutes(5))) struct WebAppTests {
    @Test("GET / is the page, with a policy that allows only its own scripts")
    func page() async throws {
        try await WebAppTestRouter.run { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: response.body).contains(#"<script type="module" src="/assets/app.js"></script>"#))
            let policy = try #require(response.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(policy.contains("default-src 'self'"))
            #expect(policy.contains("media-src 'self' blob:"))
        }
    }

    @Test("the page comes in the first language of Accept-Language that it speaks, English otherwise; each its own ETag")
    func languageFromAcceptLanguage() async throws {
        try await WebAppTestRouter.run { client in
            let cases: [(String?, String)] = [
                ("fr-FR,fr;q=0.9,en;q=0.8", "fr"), ("de-DE,fr;q=0.5,en;q=0.7", "en"), ("de, fr-CA;q=0.4", "fr"),
                ("en-GB", "en"), ("ja", "en"), (nil, "en"), ("fr;q=0, en;q=0.1", "en"),
            ]
            var eTags: [String: String] = [:]
            for (header, language) in cases {
                var headers: HTTPFields = [:]
                if let header { headers[.acceptLanguage] = header }
                let response = try await client.execute(uri: "/", method: .get, headers: headers)
                #expect(String(buffer: response.body).contains(#"<html lang="\#(language)">"#), "\(header ?? "none")")
                #expect(response.headers[.vary] == "Accept-Language")
                eTags[language] = response.headers[.eTag]
            }
            #expect(eTags["fr"] != nil && eTags["fr"] != eTags["en"], "a cache keeps the two pages apart")
        }
    }

    @Test("every string of the web app comes from its catalogue, which has every key in French and in English")
    func catalogueIsComplete() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let web = root.appendingPathComponent("Sources/API/Resources/web")
        let catalogue = try String(contentsOf: web.appendingPathComponent("assets/catalogue.js"), encoding: .utf8)
        let french = try #require(catalogue.range(of: "\n  fr: {"))
        let keyPattern = try Regex(#"^    '?([\w.]+)'?:"#).anchorsMatchLineEndings()
        let englishKeys = Set(catalogue[..<french.lowerBound].matches(of: keyPattern).map { String($0.output[1].substring ?? "") })
        let frenchKeys = Set(catalogue[french.upperBound...].matches(of: keyPattern).map { String($0.output[1].substring ?? "") })
        #expect(englishKeys.count > 150)
        #expect(englishKeys == frenchKeys, "only in English: \(englishKeys.subtracting(frenchKeys)); only in French: \(frenchKeys.subtracting(englishKeys))")

        // Every key the page and the scripts name is in the catalogue.
        var used = Set<String>()
        let html = try String(contentsOf: web.appendingPathComponent("index.html"), encoding: .utf8)
        for match in html.matches(of: try Regex(#"data-i18n(?:-attr)?="([^"]+)""#)) {
            for item in (match.output[1].substring ?? "").split(separator: ";") { used.insert(String(item.split(separator: ":").last ?? "")) }
        }
        let scripts = try FileManager.default.contentsOfDirectory(atPath: web.appendingPathComponent("assets").path).filter { $0.hasSuffix(".js") }
        for name in scripts {
            let script = try String(contentsOf: web.appendingPathComponent("assets/\(name)"), encoding: .utf8)
            for match in script.matches(of: try Regex(#"\bt\('([\w.]+)'"#)) { used.insert(String(match.output[1].substring ?? "")) }
        }
        #expect(used.count > 100)
        #expect(used.subtracting(englishKeys).isEmpty, "named but not in the catalogue: \(used.subtracting(englishKeys))")
        // No English sentence is written into the page itself: its elements are filled from the catalogue.
        let visibleText: String = html.replacing(try Regex(#"<script[^>]*>.*?</script>|<[^>]+>"#), with: " ")
        let words = visibleText.split(whereSeparator: { $0.isWhitespace }).map(String.init).filter { $0.count > 3 && $0.allSatisfy(\.isLetter) }
        #expect(Set(words).subtracting(["Auris", "alloy", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse"]).isEmpty, "\(words)")
    }

    @Test("every asset the page and its modules name is served with its type, and revalidates with 304")
    func everyReferencedAssetIsServed() async throws {
        try await WebAppTestRouter.run { client in
            let page = String(buffer: try await client.execute(uri: "/", method: .get).body)
            var pending = Self.references(in: page, pattern: #"/assets/([A-Za-z0-9_.-]+)"#)
            var seen: Set<String> = []
            while let name = pending.popLast() {
                guard seen.insert(name).inserted else { continue }
                let response = try await client.execute(uri: "/assets/\(name)", method: .get)
                #expect(response.status == .ok, "\(name)")
                let expectedType = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml"]
                #expect(response.headers[.contentType] == expectedType[(name as NSString).pathExtension], "\(name)")
                if name.hasSuffix(".js") {
                    pending += Self.references(in: String(buffer: response.body), pattern: #"from '\./([A-Za-z0-9_.-]+)'"#)
                }
                let eTag = try #require(response.headers[.eTag])
                let again = try await client.execute(uri: "/assets/\(name)", method: .get, headers: [.ifNoneMatch: eTag])
                #expect(again.status == .notModified, "\(name)")
            }
            #expect(seen.isSuperset(of: ["app.js", "app.css", "api.js", "live.js", "jobs.js", "credits.js", "dub.js"]))
        }
    }

    @Test("an unknown asset is a JSON 404, and no path reaches outside the assets")
    func unknownAssets() async throws {
        try await WebAppTestRouter.run { client in
            for uri in ["/assets/nothing.js", "/assets/..%2Findex.html", "/assets/../index.html", "/index.html"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .notFound, "\(uri)")
                #expect(!String(buffer: response.body).contains("<html"), "\(uri)")
            }
        }
    }

    @Test("GET /api/languages lists every supported language by name, without a key")
    func languages() async throws {
        try await WebAppTestRouter.run { client in
            let response = try await client.execute(uri: "/api/languages", method: .get)
            #expect(response.status == .ok)
            let json = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
            let languages = try #require(json?["languages"] as? [[String: String]])
            #expect(Set(languages.compactMap { $0["code"] }) == SupportedLanguages.codes)
            #expect(languages.contains(["code": "fr", "name": "French"]))
            let names = languages.compactMap { $0["name"] }
            #expect(names == names.sorted())
        }
    }

    private static func references(in text: String, pattern: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}

/// `AurisAPI.router` on a temporary database with the offline engine.
enum WebAppTestRouter {
    static func make(store: TestStore) async throws -> Router<AurisRequestContext> {
        let engine = try EngineConfiguration(environment: [:]).makeEngine()
        return AurisAPI.router(
            configuration: APIConfiguration(dataDirectory: store.directory.path), database: store.database, engine: engine,
            clock: store.clock)
    }

    static func run(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let store = try await TestStore.make("auris-webapp")
        defer { store.directory.remove() }
        try await Application(router: try await make(store: store)).test(.router, test)
    }
}
