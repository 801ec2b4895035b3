import CFFmpeg

extension DemuxerInput {
    /// Decodes the whole stream and returns the length of the audio the decoder
    /// produced, in milliseconds: the last resort when packets do not tell their
    /// durations. Slower than ``measurePackets(streamIndex:limitMilliseconds:subtractsTrailingPadding:)``
    /// but bounded by the same budget and limit.
    func measureByDecoding(streamIndex: Int32, limitMilliseconds: Int64) throws(MediaError) -> Int64 {
        guard let parameters = format.pointee.streams[Int(streamIndex)]?.pointee.codecpar,
              let decoder = avcodec_find_decoder(parameters.pointee.codec_id)
        else {
            throw .noAudioStream("the audio stream cannot be decoded")
        }
        guard let codec = avcodec_alloc_context3(decoder) else { throw .unreadable("out of memory") }
        defer {
            var owned: UnsafeMutablePointer<AVCodecContext>? = codec
            avcodec_free_context(&owned)
        }
        guard let packet = av_packet_alloc() else { throw .unreadable("out of memory") }
        defer {
            var owned: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&owned)
        }
        guard let frame = av_frame_alloc() else { throw .unreadable("out of memory") }
        defer {
            var owned: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&owned)
        }
        guard avcodec_parameters_to_context(codec, parameters) >= 0, avcodec_open2(codec, decoder, nil) >= 0 else {
            throw .corrupt("the audio decoder cannot be opened for this stream")
        }

        var counter = DecodedSampleCounter()
        let endOfFile = cffmpeg_averror_eof()
        var packetsRead = 0
        var draining = false
        while !draining {
            let status = av_read_frame(format, packet)
            if status == endOfFile {
                draining = true
                _ = avcodec_send_packet(codec, nil)
            } else if status < 0 {
                if let stop = Self.failure(source: source) { throw stop }
                throw .corrupt("the data is damaged (\(Self.errorText(status)))")
            } else {
                defer { av_packet_unref(packet) }
                packetsRead += 1
                if packetsRead > source.budget.maxPacketCount {
                    throw .corrupt("the file has more than \(source.budget.maxPacketCount) packets")
                }
                if source.shouldStop(), let stop = Self.failure(source: source) { throw stop }
                guard packet.pointee.stream_index == streamIndex else { continue }
                // A packet the decoder rejects is skipped, as ffmpeg does when it transcodes.
                _ = avcodec_send_packet(codec, packet)
            }
            while avcodec_receive_frame(codec, frame) >= 0 {
                counter.add(samples: Int64(frame.pointee.nb_samples), sampleRate: frame.pointee.sample_rate)
                av_frame_unref(frame)
            }
            let soFar = counter.milliseconds
            if soFar > limitMilliseconds {
                throw .tooLong(durationMilliseconds: soFar, limitMilliseconds: limitMilliseconds, measuredToEnd: false)
            }
        }
        if let stop = Self.failure(source: source) { throw stop }
        guard counter.milliseconds > 0 else { throw .corrupt("no audio could be decoded") }
        return counter.milliseconds
    }
}

/// Sums decoded samples exactly while the sample rate stays the same.
struct DecodedSampleCounter {
    private var finishedMicroseconds: Int64 = 0
    private var samples: Int64 = 0
    private var sampleRate: Int32 = 0

    mutating func add(samples count: Int64, sampleRate rate: Int32) {
        guard count > 0, rate > 0 else { return }
        if rate != sampleRate {
            finishedMicroseconds += currentMicroseconds
            samples = 0
            sampleRate = rate
        }
        samples += count
    }

    var milliseconds: Int64 {
        av_rescale(finishedMicroseconds + currentMicroseconds, 1, 1000)
    }

    private var currentMicroseconds: Int64 {
        sampleRate > 0 ? av_rescale(samples, 1_000_000, Int64(sampleRate)) : 0
    }
}
