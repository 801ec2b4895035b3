import Billing
import Database
import Hummingbird
import Logging
import Prometheus
import Queue

/// Liveness, readiness and metrics.
struct HealthRoutes: Sendable {
    let database: DatabaseQueue
    let queue: JobQueue
    let accounts: Accounts
    let registry: PrometheusCollectorRegistry

    func healthz(_ request: Request, context: AurisRequestContext) async throws -> Response {
        try JSONResponse.make(["ok": .bool(true)])
    }

    /// Ready when the database takes a write transaction.
    func readyz(_ request: Request, context: AurisRequestContext) async throws -> Response {
        do {
            try await database.write { db in _ = try db.execute("SELECT 1") }
            return try JSONResponse.make(["ok": .bool(true), "database": .string("writable")])
        } catch {
            context.logger.warning("not ready", metadata: ["error": "\(error)"])
            throw APIError.unavailable("the database is not writable")
        }
    }

    /// Prometheus text: request counts and latencies (Hummingbird's metrics middleware),
    /// jobs by state and the ledger's credit totals, read at scrape time.
    func metrics(_ request: Request, context: AurisRequestContext) async throws -> Response {
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
}
