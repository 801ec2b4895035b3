import AurisTestSupport
import HTTPTransport
import Queue
import Testing
@testable import Worker

/// Webhooks never reach loopback, link-local or private addresses, whether written as
/// numbers, hidden in IPv6 forms, or behind a name whose DNS answer changes between
/// registration and delivery (DNS rebinding).
@Suite(.timeLimit(.minutes(5))) struct WebhookAddressTests {
    @Test("inside addresses are refused in every spelling; public ones pass", arguments: [
        ("127.0.0.1", false), ("127.1.2.3", false), ("10.0.0.1", false), ("172.16.5.4", false), ("172.31.255.255", false),
        ("192.168.1.1", false), ("100.64.0.1", false), ("169.254.169.254", false), ("0.0.0.0", false), ("224.0.0.1", false),
        ("255.255.255.255", false), ("::1", false), ("::", false), ("fe80::1", false), ("fd00::1", false), ("fc12::5", false),
        ("ff02::1", false), ("::ffff:127.0.0.1", false), ("::ffff:10.0.0.1", false), ("::ffff:7f00:1", false),
        ("64:ff9b::a00:1", false), ("2002:a00:1::", false), ("::127.0.0.1", false), ("fe80::1%eth0", false), ("[::1]", false),
        ("not an address", false),
        ("93.184.215.14", true), ("8.8.8.8", true), ("172.32.0.1", true), ("100.128.0.1", true), ("2606:4700::1111", true),
        ("::ffff:8.8.8.8", true), ("[2a00:1450:4007::200e]", true),
    ])
    func classification(address: String, isPublic: Bool) {
        #expect(PublicAddress.isPublic(address) == isPublic)
    }

    @Test("registration refuses URLs whose host is or resolves to an inside address, and malformed ones")
    func registration() async {
        let policy = DestinationPolicy(resolver: ScriptedResolver([
            "loopback.test": [["127.0.0.1"]], "private.test": [["10.0.0.1"]], "mixed.test": [["93.184.215.14", "10.0.0.1"]],
            "public.test": [["93.184.215.14"]],
        ]))
        for url in ["http://127.0.0.1/hook", "https://10.0.0.1/hook", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0:8080/",
                    "https://loopback.test/hook", "https://private.test/hook", "https://mixed.test/hook", "http://[fd00::1]/"] {
            guard case .refused(let code, _) = await policy.check(url) else { Issue.record("\(url) was allowed"); continue }
            #expect(code == "webhook_url_private", "\(url)")
        }
        for url in ["ftp://public.test/", "https://user:pw@public.test/", "public.test/hook", "https:///hook"] {
            guard case .refused(let code, _) = await policy.check(url) else { Issue.record("\(url) was allowed"); continue }
            #expect(code == "invalid_webhook_url", "\(url)")
        }
        guard case .refused(let code, _) = await policy.check("https://nowhere.test/") else { Issue.record("allowed"); return }
        #expect(code == "webhook_url_unresolvable")
        #expect(await policy.check("https://public.test/hook") == .allowed(pins: ["public.test": "93.184.215.14"]))
        #expect(await policy.check("https://93.184.215.14/hook") == .allowed(pins: [:]))
        #expect(await DestinationPolicy(allowPrivate: true).check("http://127.0.0.1:9/") == .allowed(pins: [:]))
    }

    @Test("a name that resolved to a public address at registration and to 127.0.0.1 or 10.0.0.1 at delivery is refused then", arguments: [
        "127.0.0.1", "10.0.0.1",
    ])
    func rebindingRefusedAtDelivery(inside: String) async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let receiver = WebhookReceiver(answers: [200])
        let port = try await receiver.start()
        let policy = DestinationPolicy(resolver: ScriptedResolver(["rebind.test": [["93.184.215.14"], [inside]]]))
        let url = "http://rebind.test:\(port)/hook"
        #expect(await policy.check(url) == .allowed(pins: ["rebind.test": "93.184.215.14"]), "registration sees a public address")
        _ = try await fixture.register(url)
        _ = try await fixture.succeededJob()

        #expect(try await fixture.deliverer(policy).deliverDue() == 1)
        await receiver.stop()
        #expect(receiver.received.isEmpty, "nothing was sent inside")
        let row = try #require(try await fixture.deliveryRows().first)
        #expect(row.state == "pending" && row.attempts == 1 && row.lastStatus == nil)
        #expect(row.lastError?.hasPrefix("webhook_url_private") == true)
    }

    @Test("a delivery connects to the address its check resolved, not to whatever the name resolves to later")
    func connectsToTheCheckedAddress() async throws {
        let fixture = try await WebhookFixture()
        defer { fixture.remove() }
        let receiver = WebhookReceiver(answers: [204])
        let port = try await receiver.start()
        // No DNS server knows this name: only the pinned address can reach the receiver.
        let policy = DestinationPolicy(allowPrivate: true, resolver: ScriptedResolver(["receiver.invalid": [["127.0.0.1"]]]))
        _ = try await fixture.register("http://receiver.invalid:\(port)/hook")
        _ = try await fixture.succeededJob()
        #expect(try await fixture.deliverer(policy).deliverDue() == 1)
        await receiver.stop()
        #expect(receiver.received.count == 1)
        #expect(try await fixture.deliveryRows().first.map { ($0.state, $0.lastStatus) } ?? ("", nil) == ("delivered", 204))
    }
}
