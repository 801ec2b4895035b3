import ArgumentParser
import Hummingbird
import Logging

/// A Hummingbird server with one fixed JSON route and no middleware: the ceiling that
/// `scripts/bench.d/http` compares the API's status polls against.
struct BareHTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bare-http", abstract: "Serve GET /job with a fixed JSON body, nothing else (for benchmarks).")

    @Option var host: String = "127.0.0.1"
    @Option var port: Int = 8081

    func run() async throws {
        let body = #"{"ok":true,"id":"dub_0000000000000000","status":"queued","stage":null,"progress":0,"attempts":0}"#
        let router = Router()
        router.get("job") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        var logger = Logger(label: "auris.bench.bare-http")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
        try await app.runService()
    }
}
