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
    let slots: IdleSlots
    /// The slot filler waits on this: for a job to arrive, or a slot to free.
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
        slots = IdleSlots(configuration.concurrency)
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
                group.addTask { await maintain() }
                if let webhooks {
                    group.addTask { await webhooks.run(isDone: { draining.isDraining }, wake: webhookWake) }
                }
                await fillSlots { job in group.addTask { await runSlot(from: job) } }
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

    /// Claims jobs for every idle slot in one transaction and starts them, until
    /// draining starts.
    private func fillSlots(start: (ClaimedJob) -> Void) async {
        while !draining.isDraining {
            let idle = slots.idle
            guard idle > 0 else {
                await wake.wait(milliseconds: configuration.pollIntervalMilliseconds)
                continue
            }
            let claimed: [ClaimedJob]
            do {
                claimed = try await queue.claim(owner: configuration.workerID, limit: idle)
            } catch {
                logger.warning("claim failed", metadata: ["error": "\(error)"])
                claimed = []
            }
            guard !claimed.isEmpty else {
                await wake.wait(milliseconds: configuration.pollIntervalMilliseconds)
                continue
            }
            slots.take(claimed.count)
            for job in claimed { start(job) }
        }
    }

    /// Runs `job`, then the jobs its successes claimed next, on one slot.
    private func runSlot(from job: ClaimedJob) async {
        var next: ClaimedJob? = job
        while let job = next {
            next = await runner.run(job, claimingNext: !draining.isDraining)
            // A job ended: a job of a busy account may now run in an idle slot.
            wake.wakeAll()
            if let claimed = next, draining.isDraining {
                // Claimed as draining began: back to the queue, for a worker that stays.
                do { _ = try await queue.giveBack(claimed.claim) } catch {
                    logger.warning("giving back failed; its lease will expire", metadata: ["error": "\(error)"])
                }
                next = nil
            }
        }
        slots.release()
        wake.wakeAll()
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
