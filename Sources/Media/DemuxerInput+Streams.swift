import CFFmpeg

/// The streams of an opened file, as far as probing cares.
struct StreamLayout {
    var audioStreams: [AudioStreamInfo]
    /// The audio stream to measure: the first, because that is the one the dubbing
    /// pipeline transcodes (`ffmpeg -map 0:a:0`), so the charge follows its work.
    var measuredStreamIndex: Int32
    var hasVideo: Bool
    var videoCodecNames: [String]
}

extension DemuxerInput {
    /// Finds the audio streams and picks the one to measure; every other stream is
    /// set to be discarded so the demuxer skips its packets.
    ///
    /// - Throws: `no_audio_stream` when there is no decodable audio stream.
    func selectAudioStream() throws(MediaError) -> StreamLayout {
        if needsStreamInfo() {
            // Only for containers without a header that describes the streams (ADTS,
            // MPEG-TS…): this reads and decodes a little, bounded by probesize and
            // the source's budget. Packets it reads stay buffered for the scan.
            let status = avformat_find_stream_info(format, nil)
            // An interrupted read can surface as success with partial stream data.
            if let stop = Self.failure(source: source) { throw stop }
            if status < 0 { throw .corrupt("the streams cannot be read (\(Self.errorText(status)))") }
        }

        var audioStreams: [AudioStreamInfo] = []
        var videoCodecNames: [String] = []
        for index in 0..<Int(format.pointee.nb_streams) {
            guard let stream = format.pointee.streams[index], let parameters = stream.pointee.codecpar else { continue }
            switch parameters.pointee.codec_type {
            case AVMEDIA_TYPE_AUDIO:
                audioStreams.append(AudioStreamInfo(
                    index: index,
                    codecName: String(cString: avcodec_get_name(parameters.pointee.codec_id)),
                    sampleRate: Int(parameters.pointee.sample_rate),
                    channels: Int(parameters.pointee.ch_layout.nb_channels),
                    language: Self.tag("language", in: stream.pointee.metadata).flatMap { $0 == "und" ? nil : $0 }
                ))
            case AVMEDIA_TYPE_VIDEO:
                // Cover art in an MP3 or M4A is a picture, not a video track.
                if stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0 {
                    videoCodecNames.append(String(cString: avcodec_get_name(parameters.pointee.codec_id)))
                }
            default:
                break
            }
        }
        guard !audioStreams.isEmpty else {
            if !videoCodecNames.isEmpty { throw .videoWithoutAudio() }
            throw .noAudioStream("the file has no audio stream")
        }

        let chosen = audioStreams[0]
        let measured = Int32(chosen.index)
        guard let parameters = format.pointee.streams[chosen.index]?.pointee.codecpar else {
            throw .noAudioStream("the file has no usable audio stream")
        }
        guard avcodec_find_decoder(parameters.pointee.codec_id) != nil else {
            throw .noAudioStream("the audio codec \(chosen.codecName) cannot be decoded")
        }
        guard chosen.sampleRate > 0, chosen.channels > 0 else {
            throw .corrupt("the audio stream has no sample rate or channel count")
        }

        for index in 0..<Int(format.pointee.nb_streams) where index != chosen.index {
            format.pointee.streams[index]?.pointee.discard = AVDISCARD_ALL
        }
        // The streams are known now. Some demuxers still ask for the codec to be guessed
        // again from packet data (WAV, in case its PCM carries S/PDIF bitstreams): every
        // packet up to `probesize` (5 MB) is then held back and all demuxers' probes run
        // over the growing buffer, which cost 11 ms of a 10-s WAV's 11.5 ms probe. The
        // stream we measure is already chosen and decodable, and a re-guess would not
        // change its timing, so that second guess gets the smallest budget allowed.
        format.pointee.probesize = 32
        return StreamLayout(
            audioStreams: audioStreams, measuredStreamIndex: measured, hasVideo: !videoCodecNames.isEmpty,
            videoCodecNames: videoCodecNames)
    }

    /// The major brand of an MP4 or QuickTime file, or the DocType of a Matroska one.
    func containerBrand() -> String? {
        let names = String(cString: format.pointee.iformat.pointee.name).split(separator: ",")
        if names.contains("mov") { return Self.tag("major_brand", in: format.pointee.metadata) }
        // libavformat reads Matroska's DocType but keeps it to itself.
        if names.contains("matroska") { return MatroskaDocType.read(from: source) }
        return nil
    }

    static func tag(_ key: String, in metadata: OpaquePointer?) -> String? {
        guard let entry = av_dict_get(metadata, key, nil, 0), let value = entry.pointee.value else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// What the container header claims the length is, if it claims one.
    func headerDurationMilliseconds(streamIndex: Int32) -> Int64? {
        let nothing = cffmpeg_nopts_value()
        let containerDuration = format.pointee.duration
        if containerDuration != nothing, containerDuration > 0 {
            return av_rescale(containerDuration, 1000, Int64(AV_TIME_BASE))
        }
        guard let stream = format.pointee.streams[Int(streamIndex)] else { return nil }
        let streamDuration = stream.pointee.duration
        guard streamDuration != nothing, streamDuration > 0 else { return nil }
        return av_rescale_q(streamDuration, stream.pointee.time_base, AVRational(num: 1, den: 1000))
    }

    private func needsStreamInfo() -> Bool {
        if format.pointee.ctx_flags & AVFMTCTX_NOHEADER != 0 || format.pointee.nb_streams == 0 { return true }
        for index in 0..<Int(format.pointee.nb_streams) {
            guard let parameters = format.pointee.streams[index]?.pointee.codecpar else { return true }
            if parameters.pointee.codec_type == AVMEDIA_TYPE_AUDIO,
               parameters.pointee.codec_id == AV_CODEC_ID_NONE
                || parameters.pointee.sample_rate <= 0
                || parameters.pointee.ch_layout.nb_channels <= 0 {
                return true
            }
        }
        return false
    }
}
