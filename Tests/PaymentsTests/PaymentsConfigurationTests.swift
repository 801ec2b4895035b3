import Billing
import Payments
import Testing

/// Payments are configured from the environment names the README documents, and never print a secret.
@Suite struct PaymentsConfigurationTests {
    @Test func withoutASecretKeyPaymentsAreOff() {
        #expect(Payments.Configuration(environment: [:], publicURL: "http://127.0.0.1:8080") == nil)
        #expect(Payments.Configuration(environment: ["STRIPE_SECRET_KEY": "  "], publicURL: "http://x") == nil)
    }

    @Test func theEnvironmentFillsEveryField() throws {
        let configuration = try #require(Payments.Configuration(
            environment: ["STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_WEBHOOK_SECRET": "whsec_xyz"],
            publicURL: "https://auris.example/"))
        #expect(configuration.secretKey == "sk_test_abc")
        #expect(configuration.webhookSecret == "whsec_xyz")
        #expect(configuration.apiBaseURL == "https://api.stripe.com")
        #expect(configuration.publicURL == "https://auris.example")
        #expect(configuration.signatureToleranceSeconds == 300)
        let overridden = try #require(Payments.Configuration(
            environment: ["STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_API_BASE": "http://127.0.0.1:9"], publicURL: "http://x"))
        #expect(overridden.apiBaseURL == "http://127.0.0.1:9")
        #expect(overridden.webhookSecret == nil)
    }

    @Test func describingTheConfigurationHidesTheSecrets() throws {
        let configuration = try #require(Payments.Configuration(
            environment: ["STRIPE_SECRET_KEY": "sk_test_SECRETKEY", "STRIPE_WEBHOOK_SECRET": "whsec_SECRETHOOK"], publicURL: "http://x"))
        for text in ["\(configuration)", String(reflecting: configuration)] {
            #expect(!text.contains("SECRETKEY") && !text.contains("SECRETHOOK"))
        }
    }
}
