import CFFmpeg

/// Decodes the first packets of the measured stream beside the packet scan, to learn
/// how much of them the decoder never outputs.
///
/// Some decoders lose audio at the start that no container field announces: WMA's
/// first frame only primes the overlap (up to 85 ms at 24 kHz), Vorbis's first packet
/// yields half a block. Packet durations count that audio; a decoder, and so the dub,
/// does not. The head's packet length minus what the decoder made of the same packets
/// (flushed, so a decoder that only lags is not mistaken for one that loses) is taken
/// off the measured length, so a file is never charged for audio it does not produce.
final class HeadDecoder {
    /// Enough packets to cover any decoder's start-up (a few frames), few enough that
    /// the probe stays a packet scan.
    static let packetLimit = 32
    /// A loss larger than this is not a decoder's start-up but a stream it cannot
    /// decode: the packet measurement stands.
    static let maxLossMilliseconds: Int64 = 300

    private let codec: UnsafeMutablePointer<AVCodecContext>
    private let frame: UnsafeMutablePointer<AVFrame>
    private var decoded = DecodedSampleCounter()
    private(set) var packetsSent = 0

    /// Nil when the stream's decoder cannot be opened: the packets are then measured alone.
    init?(parameters: UnsafePointer<AVCodecParameters>) {
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id),
              let codec = avcodec_alloc_context3(decoder)
        else { return nil }
        guard avcodec_parameters_to_context(codec, parameters) >= 0, avcodec_open2(codec, decoder, nil) >= 0,
              let frame = av_frame_alloc()
        else {
            var owned: UnsafeMutablePointer<AVCodecContext>? = codec
            avcodec_free_context(&owned)
            return nil
        }
        self.codec = codec
        self.frame = frame
    }

    deinit {
        var ownedFrame: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&ownedFrame)
        var ownedCodec: UnsafeMutablePointer<AVCodecContext>? = codec
        avcodec_free_context(&ownedCodec)
    }

    var wantsMore: Bool { packetsSent < Self.packetLimit }

    /// Decodes one more packet of the stream; a packet the decoder refuses counts as
    /// producing nothing, as when ffmpeg transcodes it.
    func send(_ packet: UnsafePointer<AVPacket>) {
        packetsSent += 1
        _ = avcodec_send_packet(codec, packet)
        receiveFrames()
    }

    /// Flushes the decoder and returns how much audio the packets sent became, in
    /// milliseconds.
    func finish() -> Int64 {
        _ = avcodec_send_packet(codec, nil)
        receiveFrames()
        return decoded.milliseconds
    }

    /// What the decoder lost of packets that measure `packetMilliseconds`, within the
    /// bound a decoder's start-up can explain; 0 when it lost nothing.
    func lossMilliseconds(ofPacketsMeasuring packetMilliseconds: Int64) -> Int64 {
        let loss = packetMilliseconds - finish()
        return loss > 0 && loss <= Self.maxLossMilliseconds ? loss : 0
    }

    private func receiveFrames() {
        while avcodec_receive_frame(codec, frame) >= 0 {
            decoded.add(samples: Int64(frame.pointee.nb_samples), sampleRate: frame.pointee.sample_rate)
            av_frame_unref(frame)
        }
    }
}
