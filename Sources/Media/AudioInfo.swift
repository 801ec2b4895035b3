/// What probing found in a file that was accepted as audio.
public struct AudioInfo: Sendable, Codable, Equatable {
    /// The demuxer's short name, e.g. `"mp3"` or `"mov,mp4,m4a,3gp,3g2,mj2"`.
    public var formatName: String
    /// The demuxer's descriptive name, e.g. `"MP2/3 (MPEG audio layer 2/3)"`.
    public var formatLongName: String
    /// The length of the measured audio stream, from its packets (what a decoder
    /// will produce), not from the container's header. Charges follow this value.
    public var durationMilliseconds: Int64
    /// The length the container's header claims, when it claims one. Informational only.
    public var headerDurationMilliseconds: Int64?
    /// Every audio stream in the file.
    public var audioStreams: [AudioStreamInfo]
    /// The index of the audio stream that was measured: the first, which the dubbing
    /// pipeline transcodes.
    public var measuredStreamIndex: Int
    /// Whether the file also carries a video stream (cover art excluded).
    public var hasVideo: Bool
    /// The codecs of the video streams, cover art excluded, e.g. `["h264"]`: what a
    /// video result must be able to carry as they are.
    public var videoCodecNames: [String]
    /// What the container says it is beyond the demuxer's name: the major brand of an
    /// MP4 or QuickTime file (`"isom"`, `"qt  "`), the DocType of a Matroska file
    /// (`"webm"`, `"matroska"`); nil otherwise.
    public var containerBrand: String?
    /// The size of the file.
    public var sizeBytes: Int64

    public init(
        formatName: String,
        formatLongName: String,
        durationMilliseconds: Int64,
        headerDurationMilliseconds: Int64?,
        audioStreams: [AudioStreamInfo],
        measuredStreamIndex: Int,
        hasVideo: Bool,
        sizeBytes: Int64,
        videoCodecNames: [String] = [],
        containerBrand: String? = nil
    ) {
        self.formatName = formatName
        self.formatLongName = formatLongName
        self.durationMilliseconds = durationMilliseconds
        self.headerDurationMilliseconds = headerDurationMilliseconds
        self.audioStreams = audioStreams
        self.measuredStreamIndex = measuredStreamIndex
        self.hasVideo = hasVideo
        self.sizeBytes = sizeBytes
        self.videoCodecNames = videoCodecNames
        self.containerBrand = containerBrand
    }
}

/// One audio stream of a probed file.
public struct AudioStreamInfo: Sendable, Codable, Equatable {
    /// The stream's index in the container.
    public var index: Int
    /// The codec's short name, e.g. `"aac"`, `"opus"`, `"pcm_s16le"`.
    public var codecName: String
    /// Samples per second, e.g. 48000.
    public var sampleRate: Int
    /// The number of channels.
    public var channels: Int
    /// The language the container tags the stream with (`"eng"`), when it tags one
    /// other than "undetermined".
    public var language: String?

    public init(index: Int, codecName: String, sampleRate: Int, channels: Int, language: String? = nil) {
        self.index = index
        self.codecName = codecName
        self.sampleRate = sampleRate
        self.channels = channels
        self.language = language
    }
}
