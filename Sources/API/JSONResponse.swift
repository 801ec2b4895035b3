import HTTPTypes
import Hummingbird
import Foundation

/// A JSON value for responses whose shape is written out by hand, so the wire format
/// reads in one place rather than through `Codable` key strategies.
public enum JSONValue: Sendable, Equatable, Encodable {
    case string(String), integer(Int64), double(Double), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }

    static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
}

enum JSONResponse {
    static func make(status: HTTPResponse.Status = .ok, _ object: [String: JSONValue], headers: HTTPFields = [:]) throws -> Response {
        let data = JSONValue.object(object).serialized()
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
