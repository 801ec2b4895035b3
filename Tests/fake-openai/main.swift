import AurisTestSupport
import Foundation

// `fake-openai [--port P] [--latency ENDPOINT=BASE_MS+MS_PER_UNIT]… [--rate-limit ENDPOINT=REQUESTS/WINDOW_S]…`:
// the fake OpenAI server as a process, for scripts (the browser test, benchmarks) that
// run `auris up` against it. ENDPOINT is transcriptions, speech or chat_completions; a
// unit is a second of audio (transcriptions) or a character of input (speech, chat).
// Prints its base URL once it listens; stops on SIGTERM or SIGINT.
let arguments = CommandLine.arguments

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fake-openai: \(message)\n".utf8))
    exit(2)
}

/// The values of every `flag VALUE` pair.
func values(of flag: String) -> [String] {
    arguments.indices.dropLast().filter { arguments[$0] == flag }.map { arguments[$0 + 1] }
}

/// `ENDPOINT=VALUE` split, with the endpoint checked.
func endpointSetting(_ text: String, flag: String) -> (FakeOpenAIEndpoint, String) {
    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2, let endpoint = FakeOpenAIEndpoint(rawValue: parts[0]) else {
        fail("\(flag) needs ENDPOINT=VALUE with ENDPOINT one of \(FakeOpenAIEndpoint.allCases.map(\.rawValue)), not \(text)")
    }
    return (endpoint, parts[1])
}

var port = 0
if let value = values(of: "--port").last {
    guard let number = Int(value), (0...65_535).contains(number) else { fail("--port needs a port number") }
    port = number
}
var configuration = FakeOpenAIServer.Configuration()
for text in values(of: "--latency") {
    let (endpoint, value) = endpointSetting(text, flag: "--latency")
    guard let latency = FakeOpenAILatency(argument: value) else { fail("--latency needs BASE_MS+MS_PER_UNIT, not \(value)") }
    configuration.latency[endpoint] = latency
}
for text in values(of: "--rate-limit") {
    let (endpoint, value) = endpointSetting(text, flag: "--rate-limit")
    guard let limit = FakeOpenAIRateLimit(argument: value) else { fail("--rate-limit needs REQUESTS/WINDOW_SECONDS, not \(value)") }
    configuration.rateLimits[endpoint] = limit
}

func serve(port: Int, configuration: FakeOpenAIServer.Configuration) async throws {
    try await FakeOpenAIServer(configuration: configuration).run(port: port) { boundPort in
        // Unbuffered, so a script reading a pipe sees it at once.
        FileHandle.standardOutput.write(Data("fake-openai listening on http://127.0.0.1:\(boundPort)/v1\n".utf8))
    }
}

try await FakeServerProcess.run { [port, configuration] in try await serve(port: port, configuration: configuration) }
