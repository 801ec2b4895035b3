import HTTPTypes
import Hummingbird

/// A known path asked with a method it does not answer is 405 `method_not_allowed` with
/// an `Allow` header naming the methods it does answer (RFC 9110, 15.5.6), not 404.
///
/// Added to the router after every route: Hummingbird builds each route's middleware
/// chain when the route is added, but the not-found chain when the router is built, so
/// this runs only for requests no route matched.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each routed path as its components (`{id}` for a captured one), with its methods.
    private let routes: [(components: [Substring], allow: String)]

    init(routes: [Router<Context>.RouteDescription]) {
        var methods: [String: [String]] = [:]
        for route in routes { methods[route.path.description, default: []].append(route.method.rawValue) }
        self.routes = methods.keys.sorted().map { path in
            (Self.components(path), methods[path, default: []].sorted().joined(separator: ", "))
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requested = Self.components(request.uri.path)
        guard let route = routes.first(where: { Self.matches($0.components, requested) }) else {
            return try await next(request, context)
        }
        throw APIError(
            .methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed here; use \(route.allow)",
            headers: [.allow: route.allow])
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// A `{name}` component matches any one component, as the router's captures do.
    private static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        pattern.count == path.count
            && zip(pattern, path).allSatisfy { expected, actual in
                (expected.hasPrefix("{") && expected.hasSuffix("}")) || expected == actual
            }
    }
}
