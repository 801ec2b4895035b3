import CFFmpeg

/// libswresample converting decoded frames of one shape (sample format, rate, channel
/// layout) to mono 16-bit samples at one rate, with the defaults `ffmpeg -ac 1 -ar R`
/// uses (its `aresample` filter is the same library).
final class Resampler {
    private let context: OpaquePointer
    private let inputFormat: Int32
    private let inputRate: Int32
    private var inputLayout = AVChannelLayout()
    private var output: [Int16] = []

    /// Throws `undecodable` when libswresample refuses the frame's shape.
    init(for frame: UnsafePointer<AVFrame>, outputRate: Int) throws(AudioCodecError) {
        inputFormat = frame.pointee.format
        inputRate = frame.pointee.sample_rate
        var source = frame.pointee.ch_layout
        guard av_channel_layout_copy(&inputLayout, &source) >= 0 else { throw .undecodable("out of memory") }
        // A layout that names only a channel count (WAV without a mask): the usual layout
        // for that count, as the ffmpeg command guesses it.
        var layout = AVChannelLayout()
        defer { av_channel_layout_uninit(&layout) }
        if source.order == AV_CHANNEL_ORDER_UNSPEC {
            av_channel_layout_default(&layout, source.nb_channels)
        } else {
            guard av_channel_layout_copy(&layout, &source) >= 0 else { throw .undecodable("out of memory") }
        }
        var mono = AVChannelLayout()
        av_channel_layout_default(&mono, 1)
        var allocated: OpaquePointer?
        guard swr_alloc_set_opts2(
            &allocated, &mono, AV_SAMPLE_FMT_S16, Int32(outputRate),
            &layout, AVSampleFormat(rawValue: inputFormat), inputRate, 0, nil) >= 0,
            let allocated
        else {
            av_channel_layout_uninit(&inputLayout)
            throw .undecodable("the decoded audio (\(layout.nb_channels) channels at \(inputRate) Hz) cannot be resampled")
        }
        guard swr_init(allocated) >= 0 else {
            var owned: OpaquePointer? = allocated
            swr_free(&owned)
            av_channel_layout_uninit(&inputLayout)
            throw .undecodable("the decoded audio (\(layout.nb_channels) channels at \(inputRate) Hz) cannot be resampled")
        }
        context = allocated
    }

    deinit {
        var owned: OpaquePointer? = context
        swr_free(&owned)
        av_channel_layout_uninit(&inputLayout)
    }

    /// Whether `frame` has the shape this resampler was made for: decoders may change
    /// rate or channels mid-stream (MP3 and AAC streams can).
    func accepts(_ frame: UnsafePointer<AVFrame>) -> Bool {
        var layout = frame.pointee.ch_layout
        return frame.pointee.format == inputFormat && frame.pointee.sample_rate == inputRate
            && av_channel_layout_compare(&layout, &inputLayout) == 0
    }

    /// Converts `frame` (nil: flushes what the filter still holds) and hands the samples
    /// to `consume`; returns how many it handed.
    func convert(
        _ frame: UnsafePointer<AVFrame>?,
        into consume: (UnsafeBufferPointer<Int16>) throws(AudioCodecError) -> Void
    ) throws(AudioCodecError) -> Int64 {
        let inputCount = frame?.pointee.nb_samples ?? 0
        var total: Int64 = 0
        // One call for a frame; a flush may need several.
        repeat {
            let capacity = Int(swr_get_out_samples(context, inputCount)) + 32
            if output.count < capacity { output = [Int16](repeating: 0, count: capacity) }
            let converted = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                var plane: UnsafeMutablePointer<UInt8>? = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self)
                let input = frame.map { UnsafeMutableRawPointer($0.pointee.extended_data!).assumingMemoryBound(to: UnsafePointer<UInt8>?.self) }
                return swr_convert(context, &plane, Int32(buffer.count), input, total == 0 ? inputCount : 0)
            }
            guard converted >= 0 else { throw .undecodable("resampling failed (\(DemuxerInput.errorText(converted)))") }
            if converted == 0 { break }
            try output.withUnsafeBufferPointer { buffer throws(AudioCodecError) in
                try consume(UnsafeBufferPointer(rebasing: buffer[0..<Int(converted)]))
            }
            total += Int64(converted)
        } while frame == nil
        return total
    }
}
