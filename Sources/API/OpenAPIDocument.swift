import Foundation
import Hummingbird

/// `GET /api/openapi.yaml`: the API's description, shipped as a resource of this module
/// (`docs/openapi.yaml` links to the same file).
enum OpenAPIDocument {
    static let text: String? = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
        .flatMap { try? String(contentsOf: $0, encoding: .utf8) }

    static func serve(_ request: Request, context: AurisRequestContext) async throws -> Response {
        guard let text else { throw APIError.notFound("the OpenAPI document is not bundled with this build") }
        return Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
