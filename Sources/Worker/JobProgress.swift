import Synchronization

/// The latest stage and progress a running job reported, waiting to be sent with the
/// next heartbeat.
final class JobProgress: Sendable {
    private struct Report: Equatable {
        var stage: String?
        var progress: Double
        var sent: Bool
    }

    private let report = Mutex(Report(stage: nil, progress: 0, sent: true))

    func update(stage: String, progress: Double) {
        report.withLock { report in
            guard report.stage != stage || progress > report.progress else { return }
            report = Report(stage: stage, progress: max(report.progress, progress), sent: false)
        }
    }

    /// The report not yet sent, marking it sent.
    func takeUnsent() -> (stage: String?, progress: Double)? {
        report.withLock { report in
            guard !report.sent else { return nil }
            report.sent = true
            return (report.stage, report.progress)
        }
    }
}
