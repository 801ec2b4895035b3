import CFFmpeg

extension DemuxerInput {
    /// Reads every packet of the stream (no decoding) and returns its length in
    /// milliseconds, or nil when the last packet's duration is unknown and only a
    /// decoder can tell.
    ///
    /// - Parameters:
    ///   - limitMilliseconds: reading stops with `too_long` as soon as the audio is
    ///     known to be longer, so an over-long file costs no more than the limit.
    ///   - subtractsTrailingPadding: whether end padding the container reports still
    ///     counts in its packet durations (see ``AudioProbe``).
    func measurePackets(streamIndex: Int32, limitMilliseconds: Int64, subtractsTrailingPadding: Bool) throws(MediaError) -> Int64? {
        guard let stream = format.pointee.streams[Int(streamIndex)], let parameters = stream.pointee.codecpar else {
            throw .noAudioStream("the audio stream disappeared")
        }
        guard let packet = av_packet_alloc() else { throw .unreadable("out of memory") }
        defer {
            var owned: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&owned)
        }
        let timeBase = stream.pointee.time_base
        // Opus counts frames and its codec delay at 48 kHz whatever rate the container
        // states (RFC 7845): a WebM of 8 kHz Opus says 8000. Skip-samples side data is
        // written by the demuxer at the stated rate (Matroska's DiscardPadding), so it
        // is read at that rate.
        let isOpus = parameters.pointee.codec_id == AV_CODEC_ID_OPUS
        let sampleTimeBase = AVRational(num: 1, den: isOpus ? 48_000 : parameters.pointee.sample_rate)
        let sideDataTimeBase = AVRational(num: 1, den: parameters.pointee.sample_rate)
        let milliseconds = AVRational(num: 1, den: 1000)
        let nothing = cffmpeg_nopts_value()
        let endOfFile = cffmpeg_averror_eof()
        // Capped: the container states it and a decoder may not honour it, so it must
        // not let a file wave away more than real encoders' delays (AAC at 8 kHz: 264 ms).
        let codecDelay = min(
            av_rescale_q(Int64(max(0, parameters.pointee.initial_padding)), sampleTimeBase, timeBase),
            av_rescale_q(Self.maxCodecDelayMilliseconds, milliseconds, timeBase)
        )
        var timeline = PacketTimeline(codecDelay: codecDelay)
        var packetsRead = 0
        let head = HeadDecoder(parameters: parameters)
        var headLength: Int64?

        while true {
            let status = av_read_frame(format, packet)
            if status == endOfFile { break }
            if status < 0 {
                if let stop = Self.failure(source: source) { throw stop }
                let seconds = Double(av_rescale_q(timeline.length, timeBase, milliseconds)) / 1000
                throw .corrupt("the data is damaged after \(seconds) s of audio (\(Self.errorText(status)))")
            }
            defer { av_packet_unref(packet) }
            packetsRead += 1
            if packetsRead > source.budget.maxPacketCount {
                throw .corrupt("the file has more than \(source.budget.maxPacketCount) packets")
            }
            if source.shouldStop(), let stop = Self.failure(source: source) { throw stop }
            guard packet.pointee.stream_index == streamIndex else { continue }
            if packet.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 {
                let seconds = Double(av_rescale_q(timeline.length, timeBase, milliseconds)) / 1000
                throw .corrupt("the audio is truncated or damaged at \(seconds) s")
            }

            let pts = packet.pointee.pts
            let dts = packet.pointee.dts
            let start: Int64? = pts != nothing ? pts : (dts != nothing ? dts : nil)
            var duration = packet.pointee.duration
            if isOpus, let data = packet.pointee.data,
               let samples = OpusPacket.samples(in: UnsafeBufferPointer(start: data, count: Int(packet.pointee.size))) {
                // The packet's own count unless the demuxer says less: Ogg shortens the
                // last packet to the stream's end (see `OpusPacket`).
                let own = av_rescale_q(Int64(samples), sampleTimeBase, timeBase)
                duration = duration > 0 ? min(duration, own) : own
            } else if duration <= 0 {
                // Codecs with a fixed frame size (PCM, MP3, AC-3…) give it from the size.
                let samples = av_get_audio_frame_duration2(parameters, packet.pointee.size)
                if samples > 0 { duration = av_rescale_q(Int64(samples), sampleTimeBase, timeBase) }
            }
            let drop = Self.droppedSamples(in: packet)
            let leadingDrop = drop.leading > 0 ? av_rescale_q(drop.leading, sideDataTimeBase, timeBase) : 0
            let trailingDrop =
                drop.trailing > 0 && subtractsTrailingPadding ? av_rescale_q(drop.trailing, sideDataTimeBase, timeBase) : 0
            do {
                try timeline.add(start: start, duration: duration, leadingDrop: leadingDrop, trailingDrop: trailingDrop)
            } catch {
                throw .corrupt("the audio timestamps are out of range")
            }
            if let head, head.wantsMore {
                head.send(packet)
                if !head.wantsMore { headLength = timeline.length }
            }

            let soFarMilliseconds = av_rescale_q(timeline.length, timeBase, milliseconds)
            if soFarMilliseconds > limitMilliseconds {
                throw .tooLong(durationMilliseconds: soFarMilliseconds, limitMilliseconds: limitMilliseconds, measuredToEnd: false)
            }
        }
        if let stop = Self.failure(source: source) { throw stop }
        guard timeline.packetCount > 0 else { throw .invalidDuration("the audio stream has no packets") }
        if timeline.lastPacketDurationUnknown { return nil }
        let headMilliseconds = av_rescale_q(headLength ?? timeline.length, timeBase, milliseconds)
        let decoderLoss = head?.lossMilliseconds(ofPacketsMeasuring: headMilliseconds) ?? 0
        return av_rescale_q(timeline.length, timeBase, milliseconds) - decoderLoss
    }

    /// The samples `AV_PKT_DATA_SKIP_SAMPLES` tells the decoder to drop at this packet:
    /// a little-endian UInt32 at the start, then one for the end.
    private static func droppedSamples(in packet: UnsafeMutablePointer<AVPacket>) -> (leading: Int64, trailing: Int64) {
        var size = 0
        guard let data = av_packet_get_side_data(packet, AV_PKT_DATA_SKIP_SAMPLES, &size), size >= 8 else { return (0, 0) }
        func littleEndian(at offset: Int) -> Int64 {
            (0..<4).reduce(Int64(0)) { value, byte in value | Int64(data[offset + byte]) << (8 * byte) }
        }
        return (littleEndian(at: 0), littleEndian(at: 4))
    }

    static let maxCodecDelayMilliseconds: Int64 = 300
}
