public import Database
public import Dubbing
import Foundation
public import Logging
public import Queue
public import ServiceLifecycle

/// One worker process: `concurrency` job slots claiming from the shared queue, a rescue
/// loop for expired leases, and a sweeper for media no job needs. A `Service`: on graceful
/// shutdown (SIGTERM) it stops claiming, lets running jobs finish within the grace
/// period, and gives back the leases of the rest.
///
/// ```swift
/// let worker = DubbingWorker(configuration: configuration, database: database, queueConfiguration: .init(), engine: engine, logger: logger)
/// try await ServiceGroup(services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
public struct DubbingWorker: Service {
    let configuration: WorkerConfiguration
    let queue: JobQueue
    let runner: JobRunner
    let sweeper: Sweeper
    let draining = DrainState()
    /// Idle job slots wait on this.
    let wake = WakeSignal()
    /// The rescue loop waits on this, so that waking slots never runs a rescue.
    let maintenanceWake = WakeSignal()
    let logger: Logger
    let database: any SQLDatabase
    let webhooks: WebhookDeliverer?
    /// The delivery loop waits on this.
    let webhookWake = WakeSignal()

    public init(
        configuration: WorkerConfiguration, database: any SQLDatabase, queueConfiguration: JobQueue.Configuration,
        engine: any DubbingEngine, logger: Logger, clock: any WallClock = SystemWallClock()
    ) {
        precondition(configuration.concurrency > 0, "a worker has at least one slot")
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.configuration = configuration
        self.logger = logger
        self.database = database
        let files = JobFiles(dataDirectory: configuration.dataDirectory)
        queue = JobQueue(database: database, clock: clock, configuration: queueConfiguration)
        runner = JobRunner(
            queue: queue, engine: engine, configuration: configuration, files: files, draining: draining, logger: logger)
        sweeper = Sweeper(
            files: files, queue: queue, media: configuration.media, resultTTLHours: configuration.resultTTLHours, clock: clock,
            logger: logger)
        webhooks = configuration.webhooks.map { WebhookDeliverer(database: database, configuration: $0, clock: clock, logger: logger) }
    }

    public func run() async throws {
        try JobFiles(dataDirectory: configuration.dataDirectory).createDirectories()
        logger.info("worker started", metadata: ["slots": "\(configuration.concurrency)"])
        let listener = listenForWakeups()
        defer { listener?.stop() }
        // On PostgreSQL a job queued on another host wakes this worker too.
        let subscription = database.subscribe(channel: JobQueue.wakeupChannel) { [wake] in wake.wake(1) }
        defer { subscription?.stop() }
        let webhookSubscription = webhooks == nil
            ? nil : database.subscribe(channel: WebhookDeliveries.wakeupChannel) { [webhookWake] in webhookWake.wakeAll() }
        defer { webhookSubscription?.stop() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for slot in 0..<configuration.concurrency {
                    group.addTask { await runSlot(slot) }
                }
                group.addTask { await maintain() }
                if let webhooks {
                    group.addTask { await webhooks.run(isDone: { draining.isDraining }, wake: webhookWake) }
                }
            }
        } onGracefulShutdown: {
            logger.info("draining: no new jobs; running jobs have \(configuration.shutdownGraceMilliseconds) ms to finish")
            draining.begin(graceMilliseconds: configuration.shutdownGraceMilliseconds)
            wake.wakeAll()
            maintenanceWake.wakeAll()
            webhookWake.wakeAll()
        }
        logger.info("worker stopped")
    }

    /// Wakes idle slots now, for a caller that knows a job has just been queued.
    public func wakeIdleSlots() {
        wake.wakeAll()
    }

    /// A job queued by the API wakes one idle slot per wake-up at once; polling stays the
    /// fallback when the socket cannot be made or a wake-up is lost.
    private func listenForWakeups() -> WakeListener? {
        let wakeups = JobWakeups(dataDirectory: configuration.dataDirectory)
        do {
            return try wakeups.listen(name: "w\(getpid())-\(UInt32.random(in: 0...UInt32.max))") { [wake] count in
                wake.wake(count)
            }
        } catch {
            logger.warning("no wake-up socket; idle slots poll only", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func runSlot(_ slot: Int) async {
        while !draining.isDraining {
            let claimed: ClaimedJob?
            do {
                claimed = try await queue.claim(owner: configuration.workerID)
            } catch {
                logger.warning("claim failed", metadata: ["error": "\(error)"])
                claimed = nil
            }
            guard let claimed else {
                await wake.wait(milliseconds: configuration.pollIntervalMilliseconds)
                continue
            }
            await runner.run(claimed)
            // A slot freed may let a job of a busy account run; let the others look too.
            wake.wakeAll()
        }
    }

    /// Rescues expired leases and sweeps old files until draining starts.
    private func maintain() async {
        var sinceSweep = configuration.sweepIntervalMilliseconds
        while !draining.isDraining {
            do {
                let rescued = try await queue.rescueExpiredLeases()
                if rescued > 0 { logger.info("rescued jobs whose lease expired", metadata: ["count": "\(rescued)"]) }
            } catch {
                logger.warning("rescue failed", metadata: ["error": "\(error)"])
            }
            if sinceSweep >= configuration.sweepIntervalMilliseconds {
                sinceSweep = 0
                await sweeper.sweep()
            }
            await maintenanceWake.wait(milliseconds: configuration.rescueIntervalMilliseconds)
            sinceSweep += configuration.rescueIntervalMilliseconds
        }
    }
}
