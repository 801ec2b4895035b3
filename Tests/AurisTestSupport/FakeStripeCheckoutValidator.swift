import Foundation

/// Stripe's error answer: `{"error": {"type", "message", "param", "code"}}` with its status.
public struct FakeStripeAPIError: Error, Sendable, Equatable {
    public var status: Int
    public var type: String
    public var message: String
    public var param: String?
    public var code: String?

    static func invalid(_ message: String, param: String?, code: String) -> FakeStripeAPIError {
        FakeStripeAPIError(status: 400, type: "invalid_request_error", message: message, param: param, code: code)
    }
    static func missing(_ param: String) -> FakeStripeAPIError {
        invalid("Missing required param: \(param).", param: param, code: "parameter_missing")
    }
    static func unknown(_ param: String) -> FakeStripeAPIError {
        invalid("Received unknown parameter: \(param)", param: param, code: "parameter_unknown")
    }
}

/// What a validated `POST /v1/checkout/sessions` asked for.
public struct FakeStripeCheckoutRequest: Sendable, Equatable {
    public var currency: String
    public var unitAmountCents: Int64
    public var quantity: Int64
    public var productName: String
    public var successURL: String
    public var cancelURL: String?
    public var clientReferenceID: String?
    public var metadata: [String: String]

    public var amountTotalCents: Int64 { unitAmountCents * quantity }
}

/// Validates a Checkout Session request the way Stripe does for `mode=payment` with
/// inline `price_data`: unknown parameters, missing ones, integers, currency, URLs and
/// metadata limits, each refused with Stripe's error codes and the bracketed param name.
enum FakeStripeCheckoutValidator {
    static let topLevel: Set<String> = [
        "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "metadata", "customer_email",
        "expires_at", "locale",
    ]
    /// A few of the currencies Stripe supports; enough to tell a real code from a typo.
    static let currencies: Set<String> = ["eur", "usd", "gbp", "chf", "sek", "nok", "dkk", "pln", "jpy", "cad", "aud"]

    static func validate(_ form: FakeStripeFormValue) -> Result<FakeStripeCheckoutRequest, FakeStripeAPIError> {
        Result { () throws(FakeStripeAPIError) -> FakeStripeCheckoutRequest in try check(form) }
    }

    private static func check(_ form: FakeStripeFormValue) throws(FakeStripeAPIError) -> FakeStripeCheckoutRequest {
        let fields = form.fields ?? [:]
        for key in fields.keys.sorted() where !topLevel.contains(key) { throw .unknown(key) }
        guard let mode = try string(form, "mode") else { throw .missing("mode") }
        guard mode == "payment" else {
            throw .invalid("Invalid mode: \(mode) (this fake Stripe takes only payment).", param: "mode", code: "parameter_invalid_empty")
        }
        guard let lineItems = form["line_items"] else { throw .missing("line_items") }
        guard let items = lineItems.list, items.count == 1 else {
            throw .invalid("line_items must be a list of exactly one item here.", param: "line_items", code: "parameter_invalid_empty")
        }
        let item = items[0]
        for key in (item.fields ?? [:]).keys.sorted() where !["price_data", "quantity"].contains(key) {
            throw .unknown("line_items[0][\(key)]")
        }
        guard let priceData = item["price_data"] else { throw .missing("line_items[0][price_data]") }
        for key in (priceData.fields ?? [:]).keys.sorted() where !["currency", "unit_amount", "product_data"].contains(key) {
            throw .unknown("line_items[0][price_data][\(key)]")
        }
        guard let currency = try string(priceData, "currency", prefix: "line_items[0][price_data]") else {
            throw .missing("line_items[0][price_data][currency]")
        }
        guard currencies.contains(currency) else {
            throw .invalid("Invalid currency: \(currency). Stripe takes three-letter ISO codes in lowercase.",
                           param: "line_items[0][price_data][currency]", code: "parameter_invalid_string")
        }
        let unitAmount = try positiveInteger(priceData, "unit_amount", prefix: "line_items[0][price_data]", maximum: 99_999_999)
        guard let productData = priceData["product_data"] else { throw .missing("line_items[0][price_data][product_data]") }
        for key in (productData.fields ?? [:]).keys.sorted() where key != "name" {
            throw .unknown("line_items[0][price_data][product_data][\(key)]")
        }
        guard let name = try string(productData, "name", prefix: "line_items[0][price_data][product_data]"), !name.isEmpty else {
            throw .missing("line_items[0][price_data][product_data][name]")
        }
        let quantity = try positiveInteger(item, "quantity", prefix: "line_items[0]", maximum: 999_999)
        guard let successURL = try string(form, "success_url") else { throw .missing("success_url") }
        try checkURL(successURL, param: "success_url")
        let cancelURL = try string(form, "cancel_url")
        if let cancelURL { try checkURL(cancelURL, param: "cancel_url") }
        let reference = try string(form, "client_reference_id")
        if let reference, reference.isEmpty || reference.count > 200 {
            throw .invalid("client_reference_id must be 1 to 200 characters.", param: "client_reference_id", code: "parameter_invalid_string")
        }
        return FakeStripeCheckoutRequest(
            currency: currency, unitAmountCents: unitAmount, quantity: quantity, productName: name, successURL: successURL,
            cancelURL: cancelURL, clientReferenceID: reference, metadata: try metadata(form["metadata"]))
    }

    private static func string(_ object: FakeStripeFormValue, _ key: String, prefix: String? = nil) throws(FakeStripeAPIError) -> String? {
        guard let value = object[key] else { return nil }
        let param = prefix.map { "\($0)[\(key)]" } ?? key
        guard let text = value.string else {
            throw .invalid("Invalid string: \(param) must be a string.", param: param, code: "parameter_invalid_string")
        }
        return text
    }

    private static func positiveInteger(
        _ object: FakeStripeFormValue, _ key: String, prefix: String, maximum: Int64
    ) throws(FakeStripeAPIError) -> Int64 {
        let param = "\(prefix)[\(key)]"
        guard let text = try string(object, key, prefix: prefix) else { throw .missing(param) }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int64(text) else {
            throw .invalid("Invalid integer: \(text)", param: param, code: "parameter_invalid_integer")
        }
        guard number >= 1, number <= maximum else {
            throw .invalid("This value must be between 1 and \(maximum).", param: param, code: "parameter_invalid_integer")
        }
        return number
    }

    private static func checkURL(_ text: String, param: String) throws(FakeStripeAPIError) {
        // Stripe fills in {CHECKOUT_SESSION_ID} itself; the rest must be an absolute URL.
        let probe = text.replacingOccurrences(of: "{CHECKOUT_SESSION_ID}", with: "cs_placeholder")
        guard let url = URL(string: probe), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
            throw .invalid("Not a valid URL", param: param, code: "url_invalid")
        }
    }

    private static func metadata(_ value: FakeStripeFormValue?) throws(FakeStripeAPIError) -> [String: String] {
        guard let value else { return [:] }
        guard let fields = value.fields, fields.count <= 50 else {
            throw .invalid("metadata must be at most 50 keys.", param: "metadata", code: "parameter_invalid_empty")
        }
        var metadata: [String: String] = [:]
        for (key, entry) in fields {
            guard let text = entry.string, key.count <= 40, text.count <= 500 else {
                throw .invalid("Invalid metadata[\(key)].", param: "metadata[\(key)]", code: "parameter_invalid_string")
            }
            metadata[key] = text
        }
        return metadata
    }
}
