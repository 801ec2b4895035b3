import AurisTestSupport
import Billing
@testable import Payments
import Testing

/// The form encoder and the fake's decoder agree on every awkward character, and the
/// encoder escapes exactly what RFC 3986 does not leave unreserved.
@Suite struct StripeFormTests {
    @Test func valuesAreEscapedOutsideTheUnreservedSet() {
        #expect(StripeForm.escape("AZaz09-._~", keeping: []) == "AZaz09-._~")
        #expect(StripeForm.escape("a b&c=d+e%f/g?h#i", keeping: []) == "a%20b%26c%3Dd%2Be%25f%2Fg%3Fh%23i")
        #expect(StripeForm.escape("é€", keeping: []) == "%C3%A9%E2%82%AC")
        #expect(StripeForm.escape("{x}[0]", keeping: []) == "%7Bx%7D%5B0%5D")
    }

    @Test func bracketsStayLiteralOnlyInNames() {
        var form = StripeForm()
        form.append("metadata[note]", "[1]")
        #expect(form.encoded == "metadata[note]=%5B1%5D")
    }

    @Test(arguments: ["plain", "a b", "a+b", "100%", "x=y&z", "Grüße 🎧", "{CHECKOUT_SESSION_ID}", "line\nbreak", ""])
    func everyValueSurvivesTheRoundTrip(value: String) throws {
        var form = StripeForm()
        form.append("line_items[0][price_data][product_data][name]", value)
        form.append("metadata[plan]", "pro")
        let decoded = try FakeStripeForm.decode(form.encoded)
        #expect(decoded["line_items"]?[0]?["price_data"]?["product_data"]?["name"]?.string == value)
        #expect(decoded["metadata"]?["plan"]?.string == "pro")
    }

    @Test func theFakeDecodesPlusAsSpaceAndRefusesAmbiguity() throws {
        #expect(try FakeStripeForm.decode("a=x+y%20z")["a"]?.string == "x y z")
        #expect(try FakeStripeForm.decode("k%5B0%5D=v")["k"]?[0]?.string == "v")
        #expect(throws: FakeStripeFormError.self) { try FakeStripeForm.decode("a=1&a=2") }
        #expect(throws: FakeStripeFormError.self) { try FakeStripeForm.decode("a=1&a[b]=2") }
        #expect(throws: FakeStripeFormError.self) { try FakeStripeForm.decode("a[b=1") }
        #expect(throws: FakeStripeFormError.self) { try FakeStripeForm.decode("a=%G1") }
    }
}
