#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFFmpeg

/// Encodes mono 16-bit samples to an MP3 file in-process: libavcodec's `libmp3lame`
/// at a constant bit rate, in libavformat's `mp3` muxer (ID3v2 tag, and the Xing/LAME
/// frame that tells players the length and the encoder's delay and padding): the file
/// `ffmpeg -c:a libmp3lame -b:a RATE -f mp3` writes, without starting a process.
///
/// Not thread-safe: one caller feeds it on one thread, inside
/// ``CodecStop/run(timeLimitSeconds:_:)``. A file left unfinished (an error, or the
/// encoder released before ``finish()``) is incomplete: the caller removes it.
///
/// ```swift
/// let encoder = try MP3Encoder(path: "out.mp3", sampleRate: 24_000, bitsPerSecond: 96_000, maxBytes: 1 << 20, stop: stop)
/// try encoder.write(samples)
/// let bytes = try encoder.finish()
/// ```
public final class MP3Encoder {
    private let output: OutputFile
    private let stop: CodecStop
    private let codec: UnsafeMutablePointer<AVCodecContext>
    private let muxer: UnsafeMutablePointer<AVFormatContext>
    private let io: UnsafeMutablePointer<AVIOContext>
    private let frame: UnsafeMutablePointer<AVFrame>
    private let packet: UnsafeMutablePointer<AVPacket>
    private let frameSamples: Int
    /// Samples waiting in `frame` for it to fill.
    private var pending = 0
    private var finished = false
    /// Samples handed to the encoder so far.
    public private(set) var samplesWritten: Int64 = 0

    /// Creates `path` and writes the MP3 header.
    ///
    /// - Parameters:
    ///   - maxBytes: the file may not grow past this (`output_too_large`).
    ///   - quality: LAME's search effort, 0 (best, slowest) to 9 (fastest); nil: LAME's
    ///     default (3), which the ffmpeg command also uses.
    public init(
        path: String, sampleRate: Int, bitsPerSecond: Int, maxBytes: Int64, quality: Int? = nil, stop: CodecStop
    ) throws(AudioCodecError) {
        AudioProbe.silenceLibavLogging()
        guard let encoder = avcodec_find_encoder_by_name("libmp3lame") else {
            throw .encoderFailed("this libavcodec has no libmp3lame encoder")
        }
        let output = try OutputFile(path: path, maxBytes: maxBytes)
        var parts = Parts()
        do throws(AudioCodecError) {
            parts.codec = avcodec_alloc_context3(encoder)
            parts.frame = av_frame_alloc()
            parts.packet = av_packet_alloc()
            avformat_alloc_output_context2(&parts.muxer, nil, "mp3", nil)
            guard let codec = parts.codec, let frame = parts.frame, parts.packet != nil, let muxer = parts.muxer else {
                throw .encoderFailed("out of memory")
            }
            codec.pointee.sample_fmt = AV_SAMPLE_FMT_S16P  // one plane: mono samples as they come
            av_channel_layout_default(&codec.pointee.ch_layout, 1)
            codec.pointee.sample_rate = Int32(sampleRate)
            codec.pointee.bit_rate = Int64(bitsPerSecond)
            codec.pointee.time_base = AVRational(num: 1, den: Int32(sampleRate))
            if let quality { codec.pointee.compression_level = Int32(quality) }
            let opened = avcodec_open2(codec, encoder, nil)
            guard opened >= 0 else {
                throw .encoderFailed("libmp3lame refused \(sampleRate) Hz at \(bitsPerSecond) bit/s (\(DemuxerInput.errorText(opened)))")
            }
            guard let buffer = av_malloc(Self.ioBufferBytes) else { throw .encoderFailed("out of memory") }
            let opaque = Unmanaged.passUnretained(output).toOpaque()
            parts.io = avio_alloc_context(
                buffer.assumingMemoryBound(to: UInt8.self), Int32(Self.ioBufferBytes), 1, opaque, nil, writeCallback, seekCallback)
            guard let io = parts.io else {
                av_free(buffer)
                throw .encoderFailed("out of memory")
            }
            muxer.pointee.pb = io
            guard let stream = avformat_new_stream(muxer, nil),
                  avcodec_parameters_from_context(stream.pointee.codecpar, codec) >= 0
            else { throw .encoderFailed("out of memory") }
            stream.pointee.time_base = codec.pointee.time_base
            let header = avformat_write_header(muxer, nil)
            if let failure = output.failure { throw failure }
            guard header >= 0 else { throw .encoderFailed("the MP3 header cannot be written (\(DemuxerInput.errorText(header)))") }

            frame.pointee.format = AV_SAMPLE_FMT_S16P.rawValue
            frame.pointee.sample_rate = codec.pointee.sample_rate
            frame.pointee.nb_samples = codec.pointee.frame_size
            guard av_channel_layout_copy(&frame.pointee.ch_layout, &codec.pointee.ch_layout) >= 0,
                  av_frame_get_buffer(frame, 0) >= 0
            else { throw .encoderFailed("out of memory") }
        } catch {
            parts.free()
            throw error
        }
        self.output = output
        self.stop = stop
        self.codec = parts.codec!
        self.muxer = parts.muxer!
        self.io = parts.io!
        self.frame = parts.frame!
        self.packet = parts.packet!
        self.frameSamples = Int(self.codec.pointee.frame_size)
    }

    deinit {
        var parts = Parts(codec: codec, muxer: muxer, io: io, frame: frame, packet: packet)
        parts.free()
    }

    /// Encodes `samples`, a frame at a time, checking the stop between frames.
    public func write(_ samples: UnsafeBufferPointer<Int16>) throws(AudioCodecError) {
        precondition(!finished, "the MP3 is finished")
        var offset = 0
        while offset < samples.count {
            if pending == 0 {
                guard av_frame_make_writable(frame) >= 0 else { throw .encoderFailed("out of memory") }
            }
            let count = min(frameSamples - pending, samples.count - offset)
            let plane = UnsafeMutableRawPointer(frame.pointee.data.0!).assumingMemoryBound(to: Int16.self)
            (plane + pending).update(from: samples.baseAddress! + offset, count: count)
            pending += count
            offset += count
            if pending == frameSamples { try sendPending() }
        }
    }

    /// Encodes the raw file of 16-bit samples (host order) at `path`, a chunk at a time.
    public func write(contentsOfRawFileAt path: String) throws(AudioCodecError) {
        let input = try InputFile(path: path)
        let chunk = UnsafeMutableBufferPointer<Int16>.allocate(capacity: Self.readChunkSamples)
        defer { chunk.deallocate() }
        while true {
            let count = try input.read(into: UnsafeMutableRawBufferPointer(chunk))
            if count == 0 { break }
            try write(UnsafeBufferPointer(rebasing: chunk[0..<(count / 2)]))
        }
    }

    /// Encodes what is left, writes the trailer (the Xing/LAME frame is rewritten with
    /// the final length) and closes the file.
    ///
    /// - Returns: the size of the file.
    @discardableResult
    public func finish() throws(AudioCodecError) -> Int64 {
        precondition(!finished, "the MP3 is finished")
        // libmp3lame takes a short last frame.
        if pending > 0 { try sendPending() }
        try send(nil)
        finished = true
        let trailer = av_write_trailer(muxer)
        if let failure = output.failure { throw failure }
        guard trailer >= 0 else { throw .encoderFailed("the MP3 trailer cannot be written (\(DemuxerInput.errorText(trailer)))") }
        try output.close()
        return output.sizeBytes
    }

    private func sendPending() throws(AudioCodecError) {
        try stop.check()
        frame.pointee.nb_samples = Int32(pending)
        frame.pointee.pts = samplesWritten
        samplesWritten += Int64(pending)
        pending = 0
        try send(frame)
    }

    /// Sends a frame (nil: the end) and muxes every packet the encoder has ready.
    private func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws(AudioCodecError) {
        let sent = avcodec_send_frame(codec, frame)
        guard sent >= 0 else { throw .encoderFailed("libmp3lame refused the samples (\(DemuxerInput.errorText(sent)))") }
        let stream = muxer.pointee.streams[0]!
        while avcodec_receive_packet(codec, packet) >= 0 {
            defer { av_packet_unref(packet) }
            packet.pointee.stream_index = 0
            av_packet_rescale_ts(packet, codec.pointee.time_base, stream.pointee.time_base)
            let written = av_write_frame(muxer, packet)
            if let failure = output.failure { throw failure }
            guard written >= 0 else { throw .encoderFailed("an MP3 frame cannot be written (\(DemuxerInput.errorText(written)))") }
        }
    }

    static let ioBufferBytes = 64 * 1024
    static let readChunkSamples = 128 * 1024

    /// What init allocates, freed in reverse whether init finished or not.
    private struct Parts {
        var codec: UnsafeMutablePointer<AVCodecContext>?
        var muxer: UnsafeMutablePointer<AVFormatContext>?
        var io: UnsafeMutablePointer<AVIOContext>?
        var frame: UnsafeMutablePointer<AVFrame>?
        var packet: UnsafeMutablePointer<AVPacket>?

        mutating func free() {
            if let muxer { muxer.pointee.pb = nil }
            avformat_free_context(muxer)
            if let io { av_freep(&io.pointee.buffer) }
            avio_context_free(&io)
            av_packet_free(&packet)
            av_frame_free(&frame)
            avcodec_free_context(&codec)
        }
    }
}

private func writeCallback(_ opaque: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ count: Int32) -> Int32 {
    guard let opaque, let buffer else { return cffmpeg_averror(EINVAL) }
    return Unmanaged<OutputFile>.fromOpaque(opaque).takeUnretainedValue().avioWrite(buffer, count: count)
}

private func seekCallback(_ opaque: UnsafeMutableRawPointer?, _ offset: Int64, _ whence: Int32) -> Int64 {
    guard let opaque else { return Int64(cffmpeg_averror(EINVAL)) }
    return Unmanaged<OutputFile>.fromOpaque(opaque).takeUnretainedValue().avioSeek(offset: offset, whence: whence)
}
