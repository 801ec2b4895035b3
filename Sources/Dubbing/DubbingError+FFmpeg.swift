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

    /// An in-process decode or encode that failed during `step`, other than for its
    /// input (each step says what an undecodable input means). A full disk or a failed
    /// write is the host's problem; a time-out may pass on a less busy machine.
    static func codec(_ error: AudioCodecError, during step: String) -> DubbingError {
        switch error.code {
        case .canceled: .canceled
        case .timedOut: .ffmpegTimeout("\(step): \(error)")
        case .ioFailed: .storageFailed("\(step): \(error)")
        default: .ffmpegFailed("\(step): \(error)")
        }
    }

    /// Throws `canceled` when the calling task was cancelled: called at stage boundaries
    /// and between segments.
    static func checkCancellation() throws(DubbingError) {
        if Task.isCancelled { throw .canceled }
    }
}
