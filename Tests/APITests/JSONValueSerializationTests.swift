import Foundation
import Testing

@testable import API

/// Responses are written by `JSONValue.serialized()`, not `JSONEncoder`: the bytes must stay
/// what the encoder wrote before, for every kind of value the API answers with.
@Suite struct JSONValueSerializationTests {
    func encoderBytes(_ value: JSONValue) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(value))
    }

    @Test(arguments: [
        JSONValue.object([:]),
        .array([]),
        .object([
            "ok": .bool(true), "failed": .bool(false), "none": .null,
            "count": .integer(-9_223_372_036_854_775_807), "zero": .integer(0),
            "price_per_credit_cents": .double(33.333), "whole": .double(25), "negative": .double(-0.5),
            "tiny": .double(0.1), "large": .double(123_456_789.125),
            "job_id": .string("job_01HZ/with/slashes"), "note": .string("crédits « 5,00 € » 🎧 日本"),
            "escapes": .string("quote \" backslash \\ newline \n tab \t return \r bell \u{07} nul \u{00} unit \u{1F} del \u{7F}"),
            "history": .array([
                .object(["id": .string("signup:4"), "change": .integer(10), "price_cents": .integer(500), "price_per_credit": .integer(1)]),
                .array([.string(""), .null, .integer(1)]),
            ]),
            "Upper": .string("sorts before lower"), "_under": .string("and underscores"), "a_b": .integer(1), "ab": .integer(2),
        ]),
    ])
    func serializesAsTheEncoderDid(_ value: JSONValue) throws {
        let ours = value.serialized()
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: try self.encoderBytes(value), as: UTF8.self))
        // And it is JSON that reads back as the same value.
        #expect(try JSONSerialization.jsonObject(with: Data(ours)) is [String: Any] || value.isArray)
    }

    @Test func numbersWithoutAJSONFormAreNull() {
        #expect(JSONValue.array([.double(.nan), .double(.infinity)]).serialized() == Array("[null,null]".utf8))
    }
}

extension JSONValue {
    fileprivate var isArray: Bool {
        if case .array = self { return true }
        return false
    }
}
