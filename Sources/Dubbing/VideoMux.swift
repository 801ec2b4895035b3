/// The output half of the ffmpeg command that writes a video result: the source's video
/// streams copied packet for packet (`-c:v copy`; re-encoding would cost minutes and
/// quality), the dubbed track first and default, the original audio second, labelled.
///
/// Muxing runs the `ffmpeg` command rather than libavformat in-process: stream copy
/// across containers (edit lists, codec tags, interleaving, `faststart`'s second pass)
/// is what ffmpeg's muxing loop does and what a hand-written one would get subtly
/// wrong, and it runs once per job (docs/ARCHITECTURE.md, "Video results").
struct VideoMux {
    let video: VideoResult
    let targetLanguage: String

    /// The dubbed track's bit rate: it is mono speech at the speech model's rate.
    static let dubbedBitRate = "96k"
    /// An original that cannot be copied keeps its channels, at a music-worthy rate.
    static let originalBitRate = "160k"

    /// - Parameter dubbedTrack: what to map as the dub: the raw track's input (`0:a`)
    ///   or the mixing filter's output. The source must be input 1.
    func outputArguments(dubbedTrack: String) -> [String] {
        var arguments = ["-map", "1:V", "-map", dubbedTrack]
        if video.keepsOriginal { arguments += ["-map", "1:a:0"] }
        // The source's title, dates and chapters; each copied stream keeps its own tags.
        // Matroska marks no track default unless told, and some players then pick none.
        arguments += ["-map_metadata", "1", "-map_chapters", "1", "-c:v", "copy", "-disposition:v:0", "default"]

        let language = SupportedLanguages.name(of: targetLanguage) ?? targetLanguage
        arguments += ["-c:a:0"] + audioEncoder + ["-b:a:0", Self.dubbedBitRate, "-disposition:a:0", "default"]
        arguments += label(stream: "a:0", "\(language) (dubbed)", language: SupportedLanguages.iso6392(targetLanguage))
        if video.keepsOriginal {
            arguments += video.copiesOriginal ? ["-c:a:1", "copy"] : ["-c:a:1"] + audioEncoder + ["-b:a:1", Self.originalBitRate]
            arguments += ["-disposition:a:1", "0"]
            arguments += label(stream: "a:1", "Original", language: video.originalLanguage)
        }
        if video.container == .mp4 || video.container == .mov {
            // The index first, so a browser plays the download before it has all of it.
            arguments += ["-movflags", "+faststart"]
        }
        return arguments + ["-f", video.container.muxerName]
    }

    /// WebM holds Opus or Vorbis only; AAC plays everywhere else. ffmpeg's AAC encoder
    /// with its default search (`twoloop`) took 1.5 s of CPU for 30 s of mono speech, the
    /// `fast` coder 0.5 s; at these bit rates the difference is not audible in speech.
    private var audioEncoder: [String] {
        video.container == .webm ? ["libopus"] : ["aac", "-aac_coder", "fast"]
    }

    /// The track's name for players' menus: Matroska's track name (`title`), MP4's and
    /// QuickTime's handler name; and its language.
    private func label(stream: String, _ title: String, language: String?) -> [String] {
        var arguments = ["-metadata:s:\(stream)", "title=\(title)", "-metadata:s:\(stream)", "handler_name=\(title)"]
        if let language { arguments += ["-metadata:s:\(stream)", "language=\(language)"] }
        return arguments
    }
}
