import AurisTestSupport
import Foundation

// `fake-stripe [--key sk_test_…]`: the fake Stripe as a process, for scripts
// (scripts/stripe-oracle-test) that run `auris serve` against it. Prints its base URL once
// it listens; stops on SIGTERM or SIGINT. With --key, only that secret key is accepted.
let arguments = CommandLine.arguments
var expectedKey: String?
if let flag = arguments.firstIndex(of: "--key") {
    guard flag + 1 < arguments.count, arguments[flag + 1].hasPrefix("sk_test_") else {
        FileHandle.standardError.write(Data("fake-stripe: --key needs an sk_test_… key\n".utf8))
        exit(2)
    }
    expectedKey = arguments[flag + 1]
}

try await FakeServerProcess.run { [expectedKey] in
    try await FakeStripeServer(expectedSecretKey: expectedKey).run { port in
        // Unbuffered, so a script reading a pipe sees it at once.
        FileHandle.standardOutput.write(Data("fake-stripe listening on http://127.0.0.1:\(port)\n".utf8))
    }
}
