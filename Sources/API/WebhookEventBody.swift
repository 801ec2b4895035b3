import Foundation
public import Queue

/// The JSON of a completion webhook event: `{"id", "type", "created", "data"}`, where
/// `data` is the job's status object exactly as `GET /api/dub/{id}` shows it. Rendered
/// once per event by the worker that first delivers it (`WebhookDelivery.render`), then
/// stored, so every attempt sends the same bytes.
public enum WebhookEventBody {
    public static func render(_ source: WebhookDeliveries.EventSource, publicURL: String) -> String {
        let object: [String: JSONValue] = [
            "id": .string(source.eventID), "type": .string(source.type),
            "created": .string(JobView.timestamp(source.createdAtMilliseconds)),
            "data": .object(JobView.json(source.job, publicURL: publicURL)),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and booleans always encode.
        guard let data = try? encoder.encode(object) else { preconditionFailure("a JSON value that does not encode") }
        return String(decoding: data, as: UTF8.self)
    }
}
