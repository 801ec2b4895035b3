import Dispatch
import Media

/// Runs probes off the cooperative thread pool, a few at a time: a probe reads the
/// whole file and blocks, which would stall every request sharing the pool.
final class ProbeGate: Sendable {
    private let queue = DispatchQueue(label: "auris.probes", attributes: .concurrent)
    private let slots: DispatchSemaphore

    init(maxConcurrent: Int) {
        slots = DispatchSemaphore(value: max(1, maxConcurrent))
    }

    /// - Throws: `MediaError` for a file that is not audio we accept.
    func probe(path: String, maxDurationSeconds: Int64) async throws(MediaError) -> AudioInfo {
        let result: Result<AudioInfo, MediaError> = await withCheckedContinuation { continuation in
            queue.async { [slots] in
                slots.wait()
                defer { slots.signal() }
                let probe = AudioProbe(maxDurationMilliseconds: maxDurationSeconds * 1_000)
                continuation.resume(returning: Result { () throws(MediaError) in try probe.probe(fileAtPath: path) })
            }
        }
        return try result.get()
    }
}
