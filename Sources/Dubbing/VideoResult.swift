public import Media

/// How a video upload comes back, decided at upload from what the probe found and stored
/// in the job's request: the video streams copied as they are, the dubbed track first
/// (the default one), and the original audio as a second, labelled track unless dropped.
///
/// The container is the source's wherever it can hold the source's video as is: MP4 and
/// QuickTime stay themselves with AAC audio, WebM stays WebM with Opus, Matroska stays
/// Matroska with AAC; any other video (AVI, FLV, MPEG-TS…) becomes Matroska, which holds
/// nearly every codec.
public struct VideoResult: Sendable, Codable, Equatable {
    public var container: ResultContainer
    /// Whether the source's audio comes back as a second track (`original=keep`).
    public var keepsOriginal: Bool
    /// Whether that track is the source's packets as they are; when the container cannot
    /// hold its codec it is encoded like the dubbed track.
    public var copiesOriginal: Bool
    /// The original track's language tag (ISO 639-2), when the source tags it or the
    /// uploader named it.
    public var originalLanguage: String?

    public init(container: ResultContainer, keepsOriginal: Bool, copiesOriginal: Bool, originalLanguage: String?) {
        self.container = container
        self.keepsOriginal = keepsOriginal
        self.copiesOriginal = copiesOriginal
        self.originalLanguage = originalLanguage
    }

    /// The result for a probed upload; nil when it has no video (its result is an MP3).
    ///
    /// - Parameter sourceLanguage: the uploader's ISO 639-1 `source_language`, if given.
    public init?(source: AudioInfo, keepsOriginal: Bool, sourceLanguage: String?) {
        guard source.hasVideo, let audio = source.audioStreams.first else { return nil }
        let container = Self.container(for: source)
        self.init(
            container: container,
            keepsOriginal: keepsOriginal,
            copiesOriginal: Self.copyableAudio[container, default: []].contains(audio.codecName),
            originalLanguage: audio.language ?? sourceLanguage.flatMap(SupportedLanguages.iso6392))
    }

    private static func container(for source: AudioInfo) -> ResultContainer {
        let demuxers = Set(source.formatName.split(separator: ",").map(String.init))
        let video = Set(source.videoCodecNames)
        if demuxers.contains("mov") {
            if source.containerBrand == "qt  " { return .mov }
            return video.isSubset(of: mp4Video) ? .mp4 : .mov
        }
        if demuxers.contains("matroska"), source.containerBrand == "webm", video.isSubset(of: webmVideo) {
            return .webm
        }
        return .mkv
    }

    /// Video codecs the MP4 muxer writes; a file read as MP4 with another goes to QuickTime.
    private static let mp4Video: Set<String> = ["h264", "hevc", "av1", "vp9", "mpeg4", "mpeg2video", "mpeg1video", "mjpeg"]
    private static let webmVideo: Set<String> = ["vp8", "vp9", "av1"]

    /// Audio codecs each container holds as they are.
    private static let copyableAudio: [ResultContainer: Set<String>] = [
        .mp4: ["aac", "mp3", "ac3", "eac3", "alac"],
        .mov: ["aac", "mp3", "ac3", "eac3", "alac", "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_f32le", "pcm_f32be"],
        .webm: ["opus", "vorbis"],
        .mkv: ["aac", "mp3", "mp2", "ac3", "eac3", "dts", "truehd", "flac", "alac", "opus", "vorbis",
               "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le"],
    ]
}
