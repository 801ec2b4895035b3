import Billing
import Crypto
import Database
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import Queue

/// Liveness, readiness and metrics.
struct HealthRoutes: Sendable {
    let database: any SQLDatabase
    let queue: JobQueue
    let accounts: Accounts
    let registry: PrometheusCollectorRegistry
    let metricsToken: String?
    let writeCheck = RecentWriteCheck()

    func healthz(_ request: Request, context: AurisRequestContext) async throws -> Response {
        try JSONResponse.make(["ok": .bool(true)])
    }

    /// Ready when the database answers a read and, at most once per
    /// `RecentWriteCheck.intervalMilliseconds`, takes a write transaction: a load
    /// balancer polling readiness must not queue for the write lock on every call.
    func readyz(_ request: Request, context: AurisRequestContext) async throws -> Response {
        do {
            _ = try await database.read { db in try db.queryFirst("SELECT count(*) AS migrations FROM schema_migrations") { _ in true } }
            try await writeCheck.ensureWritable(database)
            return try JSONResponse.make(["ok": .bool(true), "database": .string("writable")])
        } catch {
            context.logger.warning("not ready", metadata: ["error": "\(error)"])
            throw APIError.unavailable("the database is not writable")
        }
    }

    /// Prometheus text: request counts and latencies (Hummingbird's metrics middleware),
    /// jobs by state and the ledger's credit totals, read at scrape time.
    func metrics(_ request: Request, context: AurisRequestContext) async throws -> Response {
        try authorizeScrape(request)
        let counts = try await queue.countsByState()
        for (state, count) in counts {
            registry.makeGauge(
                descriptor: .init(namespace: "auris", metricName: "jobs", unitName: "", helpText: "Jobs by state."),
                labels: [("state", state.rawValue)]
            ).set(Int64(count))
        }
        let totals = try await accounts.totals()
        registry.makeGauge(descriptor: .init(
            namespace: "auris", metricName: "credits_reserved", unitName: "", helpText: "Credits held by queued and running jobs."
        )).set(totals.reserved)
        registry.makeGauge(descriptor: .init(
            namespace: "auris", metricName: "credits_captured", unitName: "total", helpText: "Credits captured by succeeded jobs."
        )).set(totals.captured)
        registry.makeGauge(descriptor: .init(
            namespace: "auris", metricName: "credits_released", unitName: "total", helpText: "Credits released by failed and canceled jobs."
        )).set(totals.released)
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// With `AURIS_METRICS_TOKEN` set, a scrape must bring it as a bearer token (compared
    /// in constant time): the metrics tell how much money moves.
    private func authorizeScrape(_ request: Request) throws {
        guard let metricsToken else { return }
        let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? $0.dropFirst(7) : nil } ?? ""
        let expected = SHA256.hash(data: Data(metricsToken.utf8))
        let given = SHA256.hash(data: Data(presented.utf8))
        guard expected == given else {  // digests compare in constant time
            throw APIError(.unauthorized, "unauthorized", "the metrics need the bearer token set in AURIS_METRICS_TOKEN",
                           headers: [.wwwAuthenticate: "Bearer"])
        }
    }
}
