import Billing
import Foundation
import HTTPTypes
import Hummingbird

/// The two cookies of a signed-in browser: `auris_session` (HttpOnly: scripts never see
/// it) and `auris_csrf` (readable, so the page can echo it in `X-CSRF-Token`). Both are
/// `SameSite=Lax`, and `Secure` when the public URL is https.
enum SessionCookies {
    static let session = "auris_session"
    static let csrf = "auris_csrf"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    static func set(_ started: Accounts.Session, lifetimeSeconds: Int64, secure: Bool, on headers: inout HTTPFields) {
        append(Cookie(name: session, value: started.token, maxAge: Int(lifetimeSeconds), path: "/", secure: secure, httpOnly: true, sameSite: .lax), to: &headers)
        append(Cookie(name: csrf, value: started.csrfToken, maxAge: Int(lifetimeSeconds), path: "/", secure: secure, httpOnly: false, sameSite: .lax), to: &headers)
    }

    static func clear(secure: Bool, on headers: inout HTTPFields) {
        append(Cookie(name: session, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax), to: &headers)
        append(Cookie(name: csrf, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: false, sameSite: .lax), to: &headers)
    }

    private static func append(_ cookie: Cookie, to headers: inout HTTPFields) {
        headers.append(HTTPField(name: .setCookie, value: cookie.description))
    }

    /// Whether the request's `Origin`, when it has one, is this server: the public URL's
    /// origin or the origin of the `Host` it was sent to. Browsers send `Origin` on every
    /// cross-site state change, so a page elsewhere cannot act with our cookies.
    static func isSameOrigin(_ request: Request, publicURL: String) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        let ours = URL(string: publicURL).flatMap(originOf)
        if origin == ours { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    private static func originOf(_ url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return nil }
        return url.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }

    static let foreignOrigin = APIError(.forbidden, "origin_refused", "requests from another site are refused")
    static let csrfRefused = APIError(
        .forbidden, "csrf_failed", "a signed-in browser must send the auris_csrf cookie's value in the X-CSRF-Token header")
}
