import Logging
import Metrics

/// Where one upload's time went, phase by phase, recorded as the histogram
/// `auris_upload_phase_seconds{phase}` and logged (debug) with the accepted job, so an
/// operator can tell which step of `POST /api/dub` dominates: the answer decides what
/// to make faster (docs/BENCHMARKS.md, "http").
struct UploadPhases {
    enum Phase: String, CaseIterable {
        /// Idempotency and balance checks before the body is read.
        case checks
        /// The body streamed to the spool, hashed as it arrives.
        case receive
        /// Waiting for a probe slot and reading every packet.
        case probe
        /// The upload's row, then its files in the media store.
        case store
        /// The hold and the job, committed durably.
        case enqueue
    }

    private static let timers = Phase.allCases.map {
        Timer(label: "auris_upload_phase_seconds", dimensions: [("phase", $0.rawValue)])
    }

    private var phaseStart = ContinuousClock.now
    private var milliseconds: [Phase: Double] = [:]

    /// Ends `phase` now; the next phase starts here.
    mutating func end(_ phase: Phase) {
        let now = ContinuousClock.now
        let elapsed = now - phaseStart
        phaseStart = now
        let (seconds, attoseconds) = elapsed.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        Self.timers[Phase.allCases.firstIndex(of: phase)!].recordNanoseconds(nanoseconds)
        milliseconds[phase] = Double(nanoseconds) / 1_000_000
    }

    /// `checks_ms=0.2 receive_ms=1.4 …` for the accepted upload's log line.
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        for (phase, value) in milliseconds {
            metadata["\(phase.rawValue)_ms"] = "\((value * 100).rounded() / 100)"
        }
        return metadata
    }
}
