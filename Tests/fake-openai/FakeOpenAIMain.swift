import AurisTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `fake-openai [--port N]`: the test suite's fake OpenAI server as a process of its own,
/// for scripts (`scripts/chaos`, `scripts/bench worker`). Prints `listening on <port>` once
/// it accepts connections; latency and faults are set over HTTP (`/_fake/latency`,
/// `/_fake/faults`) and counts read from `/_fake/stats`. It listens on 127.0.0.1 only;
/// SIGTERM or SIGINT ends it.
@main
enum FakeOpenAIMain {
    static func main() async throws {
        var port = 0
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            guard argument == "--port", let value = arguments.popFirst().flatMap(Int.init), (0...65_535).contains(value) else {
                FileHandle.standardError.write(Data("usage: fake-openai [--port N]\n".utf8))
                exit(2)
            }
            port = value
        }
        let announce: @Sendable (Int) -> Void = { bound in
            FileHandle.standardOutput.write(Data("listening on \(bound)\n".utf8))
        }
        try await FakeOpenAIServer().run(port: port, onStarted: announce)
    }
}
