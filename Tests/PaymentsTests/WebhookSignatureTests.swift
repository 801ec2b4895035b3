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
