import Billing
public import Database
public import Dubbing
public import Hummingbird
public import Logging
public import Payments
public import Prometheus
import Queue

/// The HTTP API (docs/openapi.yaml): build its router for tests, or a whole
/// application to run.
///
/// ```swift
/// let app = AurisAPI.application(configuration: configuration, database: database, engine: engine, logger: logger)
/// try await app.runService()
/// ```
public enum AurisAPI {
    /// The router with every route and middleware.
    public static func router(
        configuration: APIConfiguration,
        database: any SQLDatabase,
        engine: any DubbingEngine,
        registry: PrometheusCollectorRegistry = PrometheusMetricsFactory.defaultRegistry,
        clock: any WallClock = SystemWallClock(),
        payments: Payments? = nil
    ) -> Router<AurisRequestContext> {
        let accounts = Accounts(database: database, clock: clock)
        let queue = JobQueue(database: database, clock: clock, configuration: configuration.queue)
        let router = Router(context: AurisRequestContext.self)
        router.add(middleware: CORSOriginsMiddleware(allowedOrigins: Set(configuration.corsOrigins)))
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorMappingMiddleware())

        let health = HealthRoutes(
            database: database, queue: queue, accounts: accounts, registry: registry, metricsToken: configuration.metricsToken)
        router.get("healthz", use: health.healthz)
        router.get("status", use: health.healthz)
        router.get("readyz", use: health.readyz)
        router.get("metrics", use: health.metrics)
        router.get("api/openapi.yaml", use: OpenAPIDocument.serve)
        router.get("api/languages", use: LanguagesRoute.handle)

        let web = WebAppRoutes()
        router.get("/", use: web.page)
        router.get("assets/:name", use: web.asset)

        let credits = CreditsRoutes(accounts: accounts)
        router.get("api/plans", use: credits.plans)
        let checkout = CheckoutRoutes(payments: payments)
        router.post("api/stripe/webhook", use: checkout.webhook)

        let sessions = SessionRoutes(accounts: accounts, configuration: configuration, clock: clock)
        router.post("api/signup", use: sessions.signup)
        router.post("api/login", use: sessions.login)

        let authenticated = router.group("api").add(middleware: AuthMiddleware(accounts: accounts, publicURL: configuration.publicURL))
        authenticated.post("logout", use: sessions.logout)
        authenticated.get("me", use: sessions.me)
        let keys = KeyRoutes(accounts: accounts)
        authenticated.post("keys", use: keys.create)
        authenticated.get("keys", use: keys.list)
        authenticated.delete("keys/:id", use: keys.revoke)
        let upload = DubUploadRoute(
            configuration: configuration, queue: queue, accounts: accounts, engine: engine,
            probes: ProbeGate(maxConcurrent: configuration.maxConcurrentProbes, maxFileBytes: configuration.uploadLimits.maxFileBytes),
            uploadsInProgress: AccountSlots(limit: configuration.maxConcurrentUploadsPerAccount),
            wakeups: JobWakeups(dataDirectory: configuration.dataDirectory))
        let dubs = DubRoutes(configuration: configuration, queue: queue)
        authenticated.post("dub", use: upload.handle)
        authenticated.get("dub", use: dubs.list)
        authenticated.get("dub/:id", use: dubs.status)
        authenticated.get("dub/:id/result", use: dubs.result)
        authenticated.get("dub/:id/transcript", use: TranscriptRoute(configuration: configuration, queue: queue).handle)
        let events = JobEventsRoute(
            queue: queue, publicURL: configuration.publicURL, streams: AccountSlots(limit: configuration.maxConcurrentStreamsPerAccount),
            feed: JobChangeFeed(database: database, dataDirectory: configuration.dataDirectory))
        authenticated.get("dub/:id/events", use: events.handle)
        authenticated.delete("dub/:id", use: dubs.cancel)
        authenticated.get("credits", use: credits.credits)
        authenticated.post("checkout", use: checkout.checkout)
        WebhookRoutes.register(on: authenticated, routes: WebhookRoutes(
            endpoints: WebhookEndpoints(database: database, clock: clock),
            deliveries: WebhookDeliveries(database: database, clock: clock), destinations: configuration.webhookDestinations))
        // Last: it sees only requests no route above matched.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }

    /// The application: the router on `configuration.host:port`.
    public static func application(
        configuration: APIConfiguration,
        database: any SQLDatabase,
        engine: any DubbingEngine,
        logger: Logger,
        payments: Payments? = nil
    ) throws -> some ApplicationProtocol {
        try configuration.files.createDirectories()
        configuration.files.removeStaleSpool(olderThanSeconds: Double(max(3_600, 2 * configuration.bodyProgressTimeoutSeconds)))
        let router = router(configuration: configuration, database: database, engine: engine, payments: payments)
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [
                EarlyResponseCloseHandler(),
                RequestReadTimeoutHandler(
                    headerTimeout: .seconds(configuration.requestHeaderTimeoutSeconds),
                    bodyProgressTimeout: .seconds(configuration.bodyProgressTimeoutSeconds)),
            ])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "auris"),
            logger: logger)
    }
}
