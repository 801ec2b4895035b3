import API
import ArgumentParser
import Billing
import Database
import Dubbing
import Foundation
import Logging
import Payments
import Queue

/// The settings `serve`, `worker` and `up` share: flags first, then environment, then
/// the embedded defaults (README, "Configuration").
struct ServiceOptions: ParsableArguments {
    @OptionGroup var data: DataOptions

    @Option(help: "Address to listen on (env: AURIS_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (env: AURIS_PORT; default 8080).")
    var port: Int?

    func apiConfiguration() throws -> APIConfiguration {
        var configuration = APIConfiguration(dataDirectory: data.resolvedDataDirectory)
        configuration.host = host ?? Environment.value("AURIS_HOST") ?? "127.0.0.1"
        configuration.port = Int(try Setting.integer(
            flag: port.map(Int64.init), flagName: "--port", variable: "AURIS_PORT", in: 1...65_535) ?? 8080)
        if let bytes = try Setting.integer(variable: "AURIS_MAX_UPLOAD_BYTES", in: 1...(64 << 30)) {
            configuration.maxUploadBytes = bytes
        }
        if let bytes = try Setting.integer(variable: "AURIS_MAX_VIDEO_BYTES", in: 1...(64 << 30)) {
            configuration.maxVideoUploadBytes = bytes
        }
        if let seconds = try Setting.integer(variable: "AURIS_MAX_DURATION_SECONDS", in: 1...86_400) {
            configuration.maxDurationSeconds = seconds
        }
        configuration.corsOrigins = (Environment.value("AURIS_CORS_ORIGINS") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        configuration.publicURL = Environment.value("AURIS_PUBLIC_URL")
            ?? "http://\(configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host):\(configuration.port)"
        if let seconds = try Setting.integer(variable: "AURIS_HEADER_TIMEOUT_SECONDS", in: 1...600) {
            configuration.requestHeaderTimeoutSeconds = seconds
        }
        if let seconds = try Setting.integer(variable: "AURIS_BODY_TIMEOUT_SECONDS", in: 1...600) {
            configuration.bodyProgressTimeoutSeconds = seconds
        }
        if let uploads = try Setting.integer(variable: "AURIS_ACCOUNT_MAX_UPLOADS", in: 1...64) {
            configuration.maxConcurrentUploadsPerAccount = Int(uploads)
        }
        if let streams = try Setting.integer(variable: "AURIS_ACCOUNT_MAX_STREAMS", in: 1...64) {
            configuration.maxConcurrentStreamsPerAccount = Int(streams)
        }
        configuration.metricsToken = Environment.value("AURIS_METRICS_TOKEN")
        configuration.media = try data.openMediaStore()
        if try Setting.integer(variable: "AURIS_RESULT_REDIRECT", in: 0...1) == 1 {
            configuration.resultRedirectSeconds = Self.resultRedirectSeconds
        }
        configuration.queue = try Self.queueConfiguration()
        configuration.signIn = try Self.signInConfiguration()
        configuration.webhookDestinations = try Self.webhookDestinations()
        return configuration
    }

    /// How long a presigned result URL stays valid: long enough to start a download,
    /// short enough that a leaked link soon stops working.
    static let resultRedirectSeconds = 300

    /// Sign-up and sign-in: who may sign up, their free credits, bcrypt's cost, the limits.
    static func signInConfiguration() throws -> SignInConfiguration {
        var signIn = SignInConfiguration()
        switch Environment.value("AURIS_SIGNUP") {
        case nil, "open": signIn.signupOpen = true
        case "closed": signIn.signupOpen = false
        case let other?: throw ValidationError("AURIS_SIGNUP must be open or closed, not \(other)")
        }
        if let credits = try Setting.integer(variable: "AURIS_SIGNUP_CREDITS", in: 0...1_000_000) { signIn.signupCredits = credits }
        if let cost = try Setting.integer(variable: "AURIS_BCRYPT_COST", in: 4...31) { signIn.bcryptCost = UInt8(cost) }
        if let attempts = try Setting.integer(variable: "AURIS_LOGIN_LIMIT_PER_MINUTE", in: 1...10_000) {
            signIn.loginAttemptsPerMinute = Int(attempts)
        }
        if let signups = try Setting.integer(variable: "AURIS_SIGNUP_LIMIT_PER_HOUR", in: 1...100_000) {
            signIn.signupsPerHour = Int(signups)
        }
        return signIn
    }

    /// Queue limits and timings; the README's "Configuration" table lists each name.
    static func queueConfiguration() throws -> JobQueue.Configuration {
        var queue = JobQueue.Configuration()
        if let value = try Setting.integer(variable: "AURIS_ACCOUNT_MAX_QUEUED", in: 1...100_000) {
            queue.maxQueuedPerAccount = Int(value)
        }
        if let value = try Setting.integer(variable: "AURIS_ACCOUNT_MAX_RUNNING", in: 1...1_000) {
            queue.maxRunningPerAccount = Int(value)
        }
        if let value = try Setting.integer(variable: "AURIS_LEASE_SECONDS", in: 2...3_600) { queue.leaseMilliseconds = value * 1_000 }
        if let value = try Setting.integer(variable: "AURIS_MAX_ATTEMPTS", in: 1...100) { queue.maxAttempts = Int(value) }
        if let value = try Setting.integer(variable: "AURIS_RETRY_BASE_MS", in: 1...3_600_000) {
            queue.retry = RetryPolicy(baseMilliseconds: value, capMilliseconds: max(value, queue.retry.capMilliseconds))
        }
        return queue
    }

    /// Stripe Checkout from `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET` and
    /// `STRIPE_API_BASE`; nil (payments disabled) without a secret key.
    func payments(configuration: APIConfiguration, database: any SQLDatabase, logger: Logger) -> Payments? {
        guard let settings = Payments.Configuration(
            environment: ProcessInfo.processInfo.environment, publicURL: configuration.publicURL)
        else { return nil }
        if settings.webhookSecret == nil {
            logger.warning("STRIPE_WEBHOOK_SECRET is not set: checkouts are refused, since no payment could be granted")
        }
        return Payments(configuration: settings, database: database, logger: logger)
    }

    func engine() throws -> any DubbingEngine {
        do {
            return try EngineConfiguration(environment: ProcessInfo.processInfo.environment).makeEngine()
        } catch {
            throw ValidationError("engine configuration: \(error)")
        }
    }
}

/// Logging to standard error, once per process, at `AURIS_LOG_LEVEL` (default info).
enum ProcessLogging {
    static func bootstrap(label: String) -> Logger {
        let level = Environment.value("AURIS_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StandardErrorLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}
