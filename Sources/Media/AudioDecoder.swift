import CFFmpeg

/// Decodes the first audio stream of a file in-process (libavformat, libavcodec) to mono
/// 16-bit samples at one rate (libswresample): what
/// `ffmpeg -i FILE -map 0:a:0 -ac 1 -ar RATE -f s16le` writes, without starting a process.
///
/// It opens only what ``AudioProbe`` accepts, the same way (content detection, no
/// nested opens), so an upload the API accepted decodes here. A packet the decoder
/// rejects is skipped, as the ffmpeg command does.
///
/// ```swift
/// let samples = try await CodecStop.run(timeLimitSeconds: 60) { stop in
///     try AudioDecoder(sampleRate: 16_000).decode(fileAtPath: "talk.m4a", stop: stop) { chunk in use(chunk) }
/// }
/// ```
public struct AudioDecoder: Sendable {
    /// The rate of the samples handed out.
    public var sampleRate: Int
    /// Reading more bytes than this (a demuxer seeking back and forth) is `undecodable`.
    public var maxBytesRead: Int64

    public init(sampleRate: Int, maxBytesRead: Int64 = 1 << 40) {
        precondition(sampleRate > 0, "a sample rate is positive")
        self.sampleRate = sampleRate
        self.maxBytesRead = maxBytesRead
    }

    /// Decodes the file and hands its samples to `consume`, in order, a frame's worth
    /// at a time. Synchronous and CPU-bound: run it in ``CodecStop/run(timeLimitSeconds:_:)``.
    ///
    /// - Returns: how many samples were handed out.
    /// - Throws: `undecodable` (not accepted audio, or nothing decodes), `timed_out`,
    ///   `canceled`, or what `consume` throws.
    @discardableResult
    public func decode(
        fileAtPath path: String,
        stop: CodecStop,
        into consume: (UnsafeBufferPointer<Int16>) throws(AudioCodecError) -> Void
    ) throws(AudioCodecError) -> Int64 {
        AudioProbe.silenceLibavLogging()
        var budget = ProbeBudget(timeLimitSeconds: stop.timeLimitSeconds, maxBytesRead: maxBytesRead, maxPacketCount: .max)
        budget.deadline = stop.deadline
        let input = try Self.open(path: path, budget: budget, stop: stop)
        let streamIndex: Int32
        do {
            streamIndex = try input.selectAudioStream().measuredStreamIndex
        } catch {
            throw .input(error, timeLimitSeconds: stop.timeLimitSeconds)
        }
        guard let stream = input.format.pointee.streams[Int(streamIndex)], let parameters = stream.pointee.codecpar else {
            throw .undecodable("the audio stream disappeared")
        }
        let decoder = try DecoderContext(parameters: parameters, timeBase: stream.pointee.time_base)
        var resampler: Resampler?
        var produced: Int64 = 0

        func receiveFrames() throws(AudioCodecError) {
            while avcodec_receive_frame(decoder.codec, decoder.frame) >= 0 {
                defer { av_frame_unref(decoder.frame) }
                if let current = resampler, !current.accepts(decoder.frame) {
                    produced += try current.convert(nil, into: consume)
                    resampler = nil
                }
                if resampler == nil { resampler = try Resampler(for: decoder.frame, outputRate: sampleRate) }
                produced += try resampler!.convert(decoder.frame, into: consume)
            }
        }

        let endOfFile = cffmpeg_averror_eof()
        while true {
            try stop.check()
            let status = av_read_frame(input.format, decoder.packet)
            if let failure = DemuxerInput.failure(source: input.source) {
                throw .input(failure, timeLimitSeconds: stop.timeLimitSeconds)
            }
            if status == endOfFile { break }
            if status < 0 { throw .undecodable("the data is damaged (\(DemuxerInput.errorText(status)))") }
            defer { av_packet_unref(decoder.packet) }
            guard decoder.packet.pointee.stream_index == streamIndex else { continue }
            _ = avcodec_send_packet(decoder.codec, decoder.packet)
            try receiveFrames()
        }
        _ = avcodec_send_packet(decoder.codec, nil)
        try receiveFrames()
        if let resampler { produced += try resampler.convert(nil, into: consume) }
        guard produced > 0 else { throw .undecodable("no audio could be decoded") }
        return produced
    }

    private static func open(path: String, budget: ProbeBudget, stop: CodecStop) throws(AudioCodecError) -> DemuxerInput {
        do {
            return try DemuxerInput.open(path: path, budget: budget)
        } catch {
            throw .input(error, timeLimitSeconds: stop.timeLimitSeconds)
        }
    }

    /// Decodes the file into a raw file of 16-bit little-endian samples (the host's
    /// order, which is little-endian on every platform Auris runs on).
    ///
    /// - Returns: how many samples were written.
    @discardableResult
    public func decode(fileAtPath path: String, toRawFileAt outputPath: String, maxBytes: Int64, stop: CodecStop) throws(AudioCodecError) -> Int64 {
        let output = try OutputFile(path: outputPath, maxBytes: maxBytes)
        let samples = try decode(fileAtPath: path, stop: stop) { chunk throws(AudioCodecError) in
            try output.write(UnsafeRawBufferPointer(chunk))
        }
        try output.close()
        return samples
    }
}

/// A decoder for one stream with its packet and frame, freed together.
private final class DecoderContext {
    let codec: UnsafeMutablePointer<AVCodecContext>
    let packet: UnsafeMutablePointer<AVPacket>
    let frame: UnsafeMutablePointer<AVFrame>

    init(parameters: UnsafePointer<AVCodecParameters>, timeBase: AVRational) throws(AudioCodecError) {
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw .undecodable("the audio codec cannot be decoded")
        }
        guard let codec = avcodec_alloc_context3(decoder) else { throw .undecodable("out of memory") }
        var ownedCodec: UnsafeMutablePointer<AVCodecContext>? = codec
        guard let packet = av_packet_alloc() else {
            avcodec_free_context(&ownedCodec)
            throw .undecodable("out of memory")
        }
        var ownedPacket: UnsafeMutablePointer<AVPacket>? = packet
        guard let frame = av_frame_alloc() else {
            av_packet_free(&ownedPacket)
            avcodec_free_context(&ownedCodec)
            throw .undecodable("out of memory")
        }
        self.codec = codec
        self.packet = packet
        self.frame = frame
        // As the ffmpeg command sets it: decoders that read timestamps (skip samples) need it.
        codec.pointee.pkt_timebase = timeBase
        guard avcodec_parameters_to_context(codec, parameters) >= 0, avcodec_open2(codec, decoder, nil) >= 0 else {
            throw .undecodable("the audio decoder cannot be opened for this stream")
        }
    }

    deinit {
        var ownedFrame: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&ownedFrame)
        var ownedPacket: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&ownedPacket)
        var ownedCodec: UnsafeMutablePointer<AVCodecContext>? = codec
        avcodec_free_context(&ownedCodec)
    }
}
