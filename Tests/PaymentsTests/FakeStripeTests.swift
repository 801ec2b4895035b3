import AurisTestSupport
import Billing
@testable import Payments
import Testing

/// The fake refuses what Stripe refuses, so a checkout test passing against it means the
/// form would pass against Stripe; and it replays results per idempotency key as Stripe does.
@Suite struct FakeStripeTests {
    /// A change to Auris's own valid form, and a part of the message Stripe answers it with.
    struct Mutation: Sendable, CustomTestStringConvertible {
        var name: String
        var replace: [String: String?]
        var add: [String: String] = [:]
        var expected: String
        var testDescription: String { name }
    }

    static let mutations: [Mutation] = [
        Mutation(name: "no mode", replace: ["mode": nil], expected: "Missing required param: mode."),
        Mutation(name: "subscription", replace: ["mode": "subscription"], expected: "Invalid mode: subscription"),
        Mutation(name: "upper-case currency", replace: ["line_items[0][price_data][currency]": "EUR"], expected: "Invalid currency: EUR"),
        Mutation(name: "no currency", replace: ["line_items[0][price_data][currency]": nil],
                 expected: "Missing required param: line_items[0][price_data][currency]."),
        Mutation(name: "euros not cents", replace: ["line_items[0][price_data][unit_amount]": "15.00"], expected: "Invalid integer: 15.00"),
        Mutation(name: "zero amount", replace: ["line_items[0][price_data][unit_amount]": "0"], expected: "must be between 1 and"),
        Mutation(name: "no quantity", replace: ["line_items[0][quantity]": nil],
                 expected: "Missing required param: line_items[0][quantity]."),
        Mutation(name: "no product name", replace: ["line_items[0][price_data][product_data][name]": nil],
                 expected: "Missing required param: line_items[0][price_data][product_data]."),
        Mutation(name: "relative success URL", replace: ["success_url": "/done"], expected: "Not a valid URL"),
        Mutation(name: "unknown field", replace: [:], add: ["line_items[0][price_data][amount]": "1500"],
                 expected: "Received unknown parameter: line_items[0][price_data][amount]"),
    ]

    @Test(arguments: mutations)
    func theFakeRefusesWhatStripeRefuses(mutation: Mutation) async throws {
        try await PaymentsFixture.with { fixture in
            let payments = try #require(fixture.payments)
            let valid = payments.checkoutForm(account: fixture.user.id, plan: try #require(Plans.plan(id: "pro")))
            var form = StripeForm()
            for (name, value) in valid.fields {
                if let replacement = mutation.replace[name] {
                    if let replacement { form.append(name, replacement) }
                } else {
                    form.append(name, value)
                }
            }
            for (name, value) in mutation.add { form.append(name, value) }

            let error = await #expect(throws: PaymentsError.self) {
                try await payments.client.createCheckoutSession(form, idempotencyKey: "mutation")
            }
            #expect(error?.code == .providerError)
            #expect(error?.message.contains(mutation.expected) == true, "\(error?.message ?? "-")")
            #expect(fixture.stripe.requests.map(\.status) == [400])
            // Stripe saves no result for a request that failed validation: the key is free again.
            let retried = try await payments.client.createCheckoutSession(valid, idempotencyKey: "mutation")
            #expect(fixture.stripe.sessions.keys.sorted() == [retried.id])
        }
    }

    @Test func aServerErrorIsReplayedForItsIdempotencyKey() async throws {
        try await PaymentsFixture.with { fixture in
            let payments = try #require(fixture.payments)
            let form = payments.checkoutForm(account: fixture.user.id, plan: try #require(Plans.plan(id: "starter")))
            fixture.stripe.inject(.serverError)
            for _ in 0..<2 {
                let error = await #expect(throws: PaymentsError.self) {
                    try await payments.client.createCheckoutSession(form, idempotencyKey: "first")
                }
                #expect(error?.code == .providerUnavailable)
            }
            #expect(fixture.stripe.requests.map(\.status) == [500, 500])
            let created = try await payments.client.createCheckoutSession(form, idempotencyKey: "second")
            #expect(created.id.hasPrefix("cs_test_"))
            #expect(fixture.stripe.sessions.count == 1)
        }
    }
}
