import Media

extension DubbingError {
    /// An ffmpeg (or espeak-ng) failure during `step`. A time-out may pass on a less busy
    /// machine; a failed run fails again on the same input.
    static func ffmpeg(_ error: FFmpegError, during step: String) -> DubbingError {
        switch error.code {
        case .canceled: .canceled
        case .timedOut: .ffmpegTimeout("\(step): \(error)")
        default: .ffmpegFailed("\(step): \(error)")
        }
    }

    /// Throws `canceled` when the calling task was cancelled: called at stage boundaries
    /// and between segments.
    static func checkCancellation() throws(DubbingError) {
        if Task.isCancelled { throw .canceled }
    }
}
