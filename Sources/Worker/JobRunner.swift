import Dubbing
import Foundation
import Logging
import MediaStore
import Queue

/// Runs one claimed job: the pipeline beside a supervisor that heartbeats the lease,
/// reports progress and watches for a cancel, a lost lease or the end of the shutdown
/// grace; then settles the job, exactly as the first of those to happen requires.
struct JobRunner: Sendable {
    let queue: JobQueue
    let engine: any DubbingEngine
    let configuration: WorkerConfiguration
    let files: JobFiles
    let draining: DrainState
    let logger: Logger
    /// Event streams of this machine's API, woken after each progress report and settle.
    var changes: JobWakeups { JobWakeups.jobChanges(dataDirectory: files.dataDirectory) }

    /// Why the pipeline was stopped before it ended by itself.
    enum StopReason: Sendable {
        case cancelRequested, leaseLost, shutdown
    }

    private enum Outcome: Sendable {
        case finished(Result<Void, DubbingError>)
        case stopped(StopReason)
    }

    /// Runs `job` to its settle.
    ///
    /// - Parameter claimingNext: on success, lease the slot's next job in the settle's
    ///   own transaction (`JobQueue.succeed(_:claimingNextFor:)`).
    /// - Returns: the job claimed that way, to run next; nil when none was (or not asked).
    @discardableResult
    func run(_ job: ClaimedJob, claimingNext: Bool = false) async -> ClaimedJob? {
        var jobLogger = logger
        jobLogger[metadataKey: "job"] = "\(job.id)"
        jobLogger[metadataKey: "attempt"] = "\(job.attempt)"
        let logger = jobLogger
        let request: DubbingRequest
        do {
            request = try JSONDecoder().decode(DubbingRequest.self, from: Data(job.payload.utf8))
        } catch {
            logger.error("unreadable job payload", metadata: ["error": "\(error)"])
            await settle(job, .finished(.failure(.providerRejected("the job's request could not be read"))), logger: logger)
            return nil
        }
        guard let uploadID = job.uploadID else {
            logger.error("job without an upload")
            await settle(job, .finished(.failure(.invalidAudio("the job's upload is missing"))), logger: logger)
            return nil
        }
        logger.info("job started", metadata: ["stage": "\(job.stage ?? "-")"])
        let progress = JobProgress()
        let media = JobMedia(store: configuration.media, jobFolder: files.workFolder(jobID: job.id), result: request.resultContainer)
        let providerWait = ProviderWaitClock()
        let startedAt = ContinuousClock.now
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                await ProviderWaitClock.$current.withValue(providerWait) {
                    do throws(DubbingError) {
                        let source = try await media.fetchSource(uploadID: uploadID, hasSubtitles: request.hasSubtitles)
                        try await engine.dub(
                            request, source: source, workFolder: media.stagesFolder, outputPath: media.resultPath, logger: logger
                        ) { stage, fraction in
                            progress.update(stage: stage.rawValue, progress: fraction)
                        }
                        // Stored before the success commits: a succeeded job always has its result.
                        try await media.putResult(jobID: job.id)
                        return .finished(.success(()))
                    } catch {
                        return .finished(.failure(error))
                    }
                }
            }
            group.addTask { .stopped(await supervise(job, progress: progress)) }
            let first = await group.next()!
            if case .stopped(let reason) = first { logger.info("stopping the job", metadata: ["reason": "\(reason)"]) }
            group.cancelAll()
            // The other child ends promptly once cancelled: the pipeline at its next
            // check (killing ffmpeg), the supervisor at its next sleep.
            while await group.next() != nil {}
            return first
        }
        // The attempt's time, and how much of it was spent waiting on the provider: the
        // difference is this worker's own cost per job (ffmpeg, files, bookkeeping).
        var settleLogger = logger
        let elapsed = startedAt.duration(to: .now)
        let waited = providerWait.waited
        settleLogger[metadataKey: "elapsed_ms"] = "\(elapsed.wholeMilliseconds)"
        settleLogger[metadataKey: "provider_wait_ms"] = "\(waited.wholeMilliseconds)"
        settleLogger[metadataKey: "overhead_ms"] = "\((elapsed - waited).wholeMilliseconds)"
        return await settle(job, outcome, claimingNext: claimingNext, logger: settleLogger)
    }

    /// Heartbeats until the job must stop; returns only then (or when cancelled because
    /// the pipeline ended first).
    private func supervise(_ job: ClaimedJob, progress: JobProgress) async -> StopReason {
        let renewEvery = max(1_000, queue.configuration.leaseMilliseconds / 3)
        var sinceRenewal: Int64 = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(configuration.progressIntervalMilliseconds))
            if Task.isCancelled { break }
            sinceRenewal += configuration.progressIntervalMilliseconds
            if let deadline = draining.graceDeadline, ContinuousClock.now >= deadline { return .shutdown }
            let report = progress.takeUnsent()
            guard report != nil || sinceRenewal >= renewEvery else { continue }
            sinceRenewal = 0
            do {
                switch try await queue.heartbeat(job.claim, stage: report?.stage, progress: report?.progress) {
                case .leaseLost: return .leaseLost
                case .extended(_, let cancelRequested):
                    if report != nil { changes.notifyAll() }
                    if cancelRequested { return .cancelRequested }
                }
            } catch {
                // A heartbeat that failed (database busy) is tried again at the next tick;
                // the lease outlives several missed ones.
                logger.warning("heartbeat failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
        }
        return .shutdown
    }

    @discardableResult
    private func settle(_ job: ClaimedJob, _ outcome: Outcome, claimingNext: Bool = false, logger: Logger) async -> ClaimedJob? {
        let claim = job.claim
        var next: ClaimedJob?
        do {
            let settlement: Settlement
            switch outcome {
            case .finished(.success) where claimingNext:
                (settlement, next) = try await queue.succeed(claim, claimingNextFor: claim.owner)
            case .finished(.success):
                settlement = try await queue.succeed(claim)
            case .finished(.failure(let error)) where error.isCanceled:
                // The pipeline saw a cancellation that the supervisor did not cause: this
                // process is going away. Give the job back for another worker.
                settlement = try await queue.giveBack(claim)
            case .finished(.failure(let error)) where error.isTransient:
                settlement = try await queue.retry(
                    claim, errorCode: error.code, errorMessage: error.message,
                    retryAfterMilliseconds: error.retryAfterSeconds.map { Int64(($0 * 1_000).rounded(.up)) })
            case .finished(.failure(let error)):
                settlement = try await queue.fail(claim, errorCode: error.code, errorMessage: error.message)
            case .stopped(.cancelRequested):
                settlement = try await queue.settleCanceled(claim)
            case .stopped(.shutdown):
                settlement = try await queue.giveBack(claim)
            case .stopped(.leaseLost):
                settlement = .leaseLost
            }
            logger.info("job settled", metadata: ["outcome": "\(settlement)", "detail": "\(Self.describe(outcome))"])
            if settlement != .leaseLost { changes.notifyAll() }
            if case .settled(let state) = settlement {
                await cleanUp(job, keepResult: state == .succeeded, logger: logger)
            }
        } catch {
            // The lease will expire and a rescue will take the job back: nothing is lost,
            // and nothing was settled twice.
            logger.error("settling failed", metadata: ["error": "\(error)"])
        }
        return next
    }

    /// A finished job needs its upload and work folder no more; only a success keeps its
    /// result. What cannot be deleted now stays under its row for the sweeper.
    private func cleanUp(_ job: ClaimedJob, keepResult: Bool, logger: Logger) async {
        try? FileManager.default.removeItem(atPath: files.workFolder(jobID: job.id))
        do {
            if !keepResult {
                let type = ResultContainer(payload: job.payload)
                try await configuration.media.deleteResult(jobID: job.id, fileExtension: type.fileExtension)
            }
            if let uploadID = job.uploadID {
                try await configuration.media.deleteUpload(uploadID: uploadID)
                try await queue.forgetUpload(id: uploadID)
            }
        } catch {
            logger.warning("removing the job's media failed; the sweeper will", metadata: ["error": "\(error)"])
        }
    }

    private static func describe(_ outcome: Outcome) -> String {
        switch outcome {
        case .finished(.success): "dubbed"
        case .finished(.failure(let error)): "\(error.code): \(error.message)"
        case .stopped(let reason): "stopped: \(reason)"
        }
    }
}
