import CFFmpeg

/// Measures an audio (or video-with-audio) file in-process through libavformat.
///
/// The duration is measured from the audio packets, as a decoder will see them, and
/// never taken from the container header: a header can claim one second for an hour.
/// The work is bounded by time, bytes read and packet count, so a hostile file
/// costs at most the budget and never hangs or crashes the caller.
///
/// ```swift
/// let info = try AudioProbe(maxDurationMilliseconds: 3_600_000).probe(fileAtPath: "talk.m4a")
/// info.durationMilliseconds // 61_440
/// ```
public struct AudioProbe: Sendable {
    /// Longer audio is refused with `too_long`.
    public var maxDurationMilliseconds: Int64
    /// Probing longer than this is stopped with `timeout`.
    public var timeLimitSeconds: Double
    /// Reading more bytes than this (a demuxer seeking back and forth) is `corrupt`.
    public var maxBytesRead: Int64
    /// Reading more packets than this is `corrupt`; the default is several times what
    /// an hour of the smallest common frames (2.5 ms Opus) takes.
    public var maxPacketCount: Int

    /// - Parameters:
    ///   - maxDurationMilliseconds: the longest audio accepted (the service passes
    ///     `AURIS_MAX_DURATION_SECONDS` × 1000).
    ///   - timeLimitSeconds: the wall-clock budget for one probe.
    ///   - maxBytesRead: the read budget; the default is well above the upload limit.
    ///   - maxPacketCount: the packet budget.
    public init(
        maxDurationMilliseconds: Int64 = 3_600_000,
        timeLimitSeconds: Double = 10,
        maxBytesRead: Int64 = 1 << 30,
        maxPacketCount: Int = 8_000_000
    ) {
        self.maxDurationMilliseconds = maxDurationMilliseconds
        self.timeLimitSeconds = timeLimitSeconds
        self.maxBytesRead = maxBytesRead
        self.maxPacketCount = maxPacketCount
    }

    /// Probes the file at `path`. Synchronous and CPU-bound: run it off the event loop.
    ///
    /// - Returns: the container, the audio streams and the measured duration.
    /// - Throws: ``MediaError`` when the file is not accepted audio: `empty_file`,
    ///   `unknown_format`, `no_audio_stream`, `video_without_audio`, `invalid_duration`, `too_long`,
    ///   `corrupt`, `unreadable` or `timeout`.
    public func probe(fileAtPath path: String) throws(MediaError) -> AudioInfo {
        Self.silenceLibavLogging()
        let budget = ProbeBudget(timeLimitSeconds: timeLimitSeconds, maxBytesRead: maxBytesRead, maxPacketCount: maxPacketCount)
        let input = try DemuxerInput.open(path: path, budget: budget)
        let layout = try input.selectAudioStream()
        let demuxer = input.format.pointee.iformat.pointee
        let formatName = String(cString: demuxer.name)

        // Ogg's demuxer already shortens the last packet to the stream's final granule
        // position and also reports those samples as end padding; every other demuxer
        // leaves the padding inside the packet duration. Subtracting it for Ogg would
        // count it twice.
        let subtractsTrailingPadding = !formatName.split(separator: ",").contains("ogg")
        let measured = try input.measurePackets(
            streamIndex: layout.measuredStreamIndex,
            limitMilliseconds: maxDurationMilliseconds,
            subtractsTrailingPadding: subtractsTrailingPadding
        )
        let durationMilliseconds: Int64
        if let measured {
            durationMilliseconds = measured
        } else {
            // The packets leave the end open: decode, from a fresh open of the file.
            let again = try DemuxerInput.open(path: path, budget: budget)
            _ = try again.selectAudioStream()
            durationMilliseconds = try again.measureByDecoding(
                streamIndex: layout.measuredStreamIndex, limitMilliseconds: maxDurationMilliseconds
            )
        }

        guard durationMilliseconds > 0 else {
            throw .invalidDuration("the audio is \(durationMilliseconds) ms long")
        }
        guard durationMilliseconds <= maxDurationMilliseconds else {
            throw .tooLong(durationMilliseconds: durationMilliseconds, limitMilliseconds: maxDurationMilliseconds, measuredToEnd: true)
        }
        return AudioInfo(
            formatName: formatName,
            formatLongName: demuxer.long_name.map { String(cString: $0) } ?? formatName,
            durationMilliseconds: durationMilliseconds,
            headerDurationMilliseconds: input.headerDurationMilliseconds(streamIndex: layout.measuredStreamIndex),
            audioStreams: layout.audioStreams,
            measuredStreamIndex: Int(layout.measuredStreamIndex),
            hasVideo: layout.hasVideo,
            sizeBytes: input.source.sizeBytes,
            videoCodecNames: layout.videoCodecNames,
            containerBrand: input.containerBrand()
        )
    }

    /// Decodes the measured stream in full and returns its length: the slow path that
    /// ``probe(fileAtPath:)`` takes only when packets leave the end open. Tests compare
    /// it with the packet measurement.
    func decodedDurationMilliseconds(fileAtPath path: String) throws(MediaError) -> Int64 {
        Self.silenceLibavLogging()
        let budget = ProbeBudget(timeLimitSeconds: timeLimitSeconds, maxBytesRead: maxBytesRead, maxPacketCount: maxPacketCount)
        let input = try DemuxerInput.open(path: path, budget: budget)
        let layout = try input.selectAudioStream()
        return try input.measureByDecoding(streamIndex: layout.measuredStreamIndex, limitMilliseconds: maxDurationMilliseconds)
    }

    /// libav logs to stderr by default; a library must not write there. Setting the
    /// level is idempotent, and the lazy global makes it once per process.
    static func silenceLibavLogging() {
        _ = quietLogging
    }

    private static let quietLogging: Void = av_log_set_level(AV_LOG_QUIET)
}
