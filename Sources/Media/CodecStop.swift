import Dispatch
import Synchronization

/// When in-process codec work must stop: at its deadline, or when the task waiting
/// for it is cancelled. Checked between packets and frames, so a stop takes effect
/// within one frame's work.
public final class CodecStop: Sendable {
    let deadline: ContinuousClock.Instant
    let timeLimitSeconds: Double
    private let canceled = Atomic<Bool>(false)

    init(timeLimitSeconds: Double, now: ContinuousClock.Instant = .now) {
        // Clamped to a day so that no value (infinite, NaN, huge) can trap the conversion.
        let seconds = timeLimitSeconds.isNaN ? 0 : min(max(0, timeLimitSeconds), 86_400)
        self.deadline = now + .milliseconds(Int64((seconds * 1000).rounded(.up)))
        self.timeLimitSeconds = timeLimitSeconds
    }

    func cancel() {
        self.canceled.store(true, ordering: .relaxed)
    }

    /// Throws `canceled` or `timed_out` once the work must stop.
    public func check() throws(AudioCodecError) {
        if self.canceled.load(ordering: .relaxed) { throw .canceled }
        if ContinuousClock.now >= self.deadline { throw .timedOut(seconds: self.timeLimitSeconds) }
    }

    /// Runs `body` on a Dispatch thread, with a stop that the calling task's
    /// cancellation and `timeLimitSeconds` trigger.
    ///
    /// Decoding or encoding a long file is seconds of CPU: on one of the few cooperative
    /// threads it would hold back every other task of the process (heartbeats, HTTP).
    @discardableResult
    public static func run<Value: Sendable>(
        timeLimitSeconds: Double,
        _ body: @escaping @Sendable (CodecStop) throws(AudioCodecError) -> Value
    ) async throws(AudioCodecError) -> Value {
        let stop = CodecStop(timeLimitSeconds: timeLimitSeconds)
        if Task.isCancelled { throw .canceled }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, AudioCodecError>, Never>) in
                DispatchQueue.global().async {
                    continuation.resume(returning: Result { () throws(AudioCodecError) -> Value in try body(stop) })
                }
            }
        } onCancel: {
            stop.cancel()
        }
        return try result.get()
    }
}
