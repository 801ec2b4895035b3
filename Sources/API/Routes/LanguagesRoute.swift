import Dubbing
import Hummingbird

/// `GET /api/languages`: the target languages a client may ask for, so a form can offer
/// exactly what `POST /api/dub` accepts. Public: it tells nothing about an account.
enum LanguagesRoute {
    /// Sorted by name, the order a person scans a list in.
    static let languages: [JSONValue] = SupportedLanguages.codes
        .map { code in (code, SupportedLanguages.name(of: code) ?? code) }
        .sorted { $0.1 < $1.1 }
        .map { code, name in .object(["code": .string(code), "name": .string(name)]) }

    static func handle(_ request: Request, context: AurisRequestContext) async throws -> Response {
        try JSONResponse.make(["ok": .bool(true), "languages": .array(languages)], headers: [.cacheControl: "public, max-age=3600"])
    }
}
