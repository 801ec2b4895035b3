import AurisTestSupport
import Billing
@testable import Payments
import Foundation
import Testing

/// The header parser and the verifier on their own, at the edges the route tests do not reach.
@Suite(.timeLimit(.minutes(5))) struct WebhookSignatureTests {
    let verifier = WebhookSignature(secret: "whsec_unit", toleranceSeconds: 300)
    let body = Array(#"{"id":"evt_1","type":"checkout.session.completed"}"#.utf8)
    let now: Int64 = 1_764_000_000

    func header(secrets: [String] = ["whsec_unit"], at timestamp: Int64? = nil) -> String {
        FakeStripeWebhook.signatureHeader(body: body, secrets: secrets, timestampSeconds: timestamp ?? now)
    }

    func code(_ header: String?) -> PaymentsError.Code? {
        do {
            try verifier.verify(body: body, header: header, nowSeconds: now)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func aCorrectSignatureVerifies() {
        #expect(code(header()) == nil)
        #expect(code(header(at: now + 300)) == nil)
    }

    @Test func otherSchemesAndSpacesAreIgnored() {
        let signed = header()
        #expect(code("v0=deadbeef, " + signed.replacingOccurrences(of: ",", with: ", ")) == nil)
        #expect(code(signed.replacingOccurrences(of: "v1=", with: "v0=")) == .invalidSignature)
    }

    @Test func malformedHeadersAreInvalid() {
        let signed = header()
        let signature = String(signed.split(separator: ",")[1])
        #expect(code("") == .missingSignature)
        #expect(code(nil) == .missingSignature)
        #expect(code(signature) == .invalidSignature)
        #expect(code("t=\(now),t=\(now),\(signature)") == .invalidSignature)
        #expect(code("t=-5,\(signature)") == .invalidSignature)
        #expect(code("t=\(now),v1=xyz") == .invalidSignature)
        #expect(code(signed + String(repeating: ",v0=00", count: 1_000)) == .invalidSignature)
        let manyWrong = (0..<9).map { _ in "v1=" + String(repeating: "0", count: 64) }.joined(separator: ",")
        #expect(code("t=\(now),\(manyWrong),\(signature)") == .invalidSignature)
    }

    @Test func aWrongSignatureIsInvalidEvenWhenAlsoStale() {
        #expect(code(header(secrets: ["whsec_other"], at: now - 3_600)) == .invalidSignature)
        #expect(code(header(at: now - 3_600)) == .staleSignature)
        #expect(code(header(at: now + 301)) == .staleSignature)
    }

    /// A vector computed outside our code, once, by Stripe's own Python library
    /// (`stripe.WebhookSignature._compute_signature("<t>.<payload>", secret)`) and
    /// cross-checked with `openssl dgst -sha256 -hmac`: our verifier must accept exactly
    /// this signature, whatever our own signing helper does.
    @Test func aKnownAnswerVectorFromStripesLibraryVerifies() throws {
        let secret = "whsec_known_answer_4f1c"
        let timestamp: Int64 = 1_764_000_000
        let payload = Array(
            #"{"id":"evt_known","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs_test_known","payment_status":"paid"}}}"#
                .utf8)
        let expectedHex = "f1d3de9749377f760b1e0e1e0baa21f2a1f8a4d3e3c0313de6f2585fa1775e48"
        let verifier = WebhookSignature(secret: secret, toleranceSeconds: 300)
        try verifier.verify(body: payload, header: "t=\(timestamp),v1=\(expectedHex)", nowSeconds: timestamp)
        // The fake Stripe's signing helper, which other tests rely on, gives the same header.
        #expect(FakeStripeWebhook.signatureHeader(body: payload, secrets: [secret], timestampSeconds: timestamp)
            == "t=\(timestamp),v1=\(expectedHex)")

        func refusal(_ header: String, body: [UInt8]? = nil) -> PaymentsError.Code? {
            do {
                try verifier.verify(body: body ?? payload, header: header, nowSeconds: timestamp)
                return nil
            } catch {
                return error.code
            }
        }
        let flipped = String(expectedHex.dropLast()) + (expectedHex.hasSuffix("8") ? "9" : "8")
        #expect(refusal("t=\(timestamp),v1=\(flipped)") == .invalidSignature)
        #expect(refusal("t=\(timestamp + 1),v1=\(expectedHex)") == .invalidSignature)
        #expect(refusal("t=\(timestamp),v1=\(expectedHex)", body: payload + [0x20]) == .invalidSignature)
    }

    @Test func comparisonLooksAtEveryByte() {
        let reference: [UInt8] = Array(repeating: 7, count: 32)
        var lastDiffers = reference
        lastDiffers[31] = 8
        #expect(WebhookSignature.constantTimeEqual(reference, reference))
        #expect(!WebhookSignature.constantTimeEqual(reference, lastDiffers))
        #expect(!WebhookSignature.constantTimeEqual(reference, Array(reference.prefix(31))))
        #expect(WebhookSignature.hexBytes("0aFf") == [0x0A, 0xFF])
        #expect(WebhookSignature.hexBytes("0g") == nil)
    }
}
