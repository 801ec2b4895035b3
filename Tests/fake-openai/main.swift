import AurisTestSupport
import Foundation

// `fake-openai [--port P]`: the fake OpenAI server as a process, for scripts (the browser
// test) that run `auris up` against it. Prints its base URL once it listens; stops on
// SIGTERM or SIGINT.
let arguments = CommandLine.arguments
var port = 0
if let flag = arguments.firstIndex(of: "--port"), flag + 1 < arguments.count {
    guard let value = Int(arguments[flag + 1]), (0...65_535).contains(value) else {
        FileHandle.standardError.write(Data("fake-openai: --port needs a port number\n".utf8))
        exit(2)
    }
    port = value
}

func serve(port: Int) async throws {
    try await FakeOpenAIServer().run(port: port) { boundPort in
        // Unbuffered, so a script reading a pipe sees it at once.
        FileHandle.standardOutput.write(Data("fake-openai listening on http://127.0.0.1:\(boundPort)/v1\n".utf8))
    }
}

try await FakeServerProcess.run { [port] in try await serve(port: port) }
