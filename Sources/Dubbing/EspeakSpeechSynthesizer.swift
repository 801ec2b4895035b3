import Foundation
import Media

/// Speech from the local `espeak-ng` (`-v <voice> -w out.wav`): robotic, free, offline.
struct EspeakSpeechSynthesizer: SpeechSynthesizer {
    let folder: WorkFolder
    let timeoutSeconds: Double

    var clipExtension: String { "wav" }
    var maxInputCharacters: Int { 4096 }
    /// espeak-ng is CPU-bound; more than two at once only queue on a small machine.
    var concurrency: Int { 2 }
    var defaultVoice: String? { nil }
    /// espeak-ng's voice variants (`-v fr+f2`), male and female in turn, for `speakers=auto`.
    var speakerVoices: [String] { Self.variants }
    static let variants = ["m3", "f2", "m5", "f4", "m7", "f5", "m2", "f3", "m4", "f1", "m6", "m8"]

    /// ISO 639-1 codes espeak-ng speaks, mapped to its voice names where they differ.
    static let voices: [String: String] = {
        var voices = Dictionary(uniqueKeysWithValues: SupportedLanguages.codes.map { ($0, $0) })
        // espeak-ng's `zh` picks an MBROLA voice that is usually not installed; `no` is `nb`.
        voices["zh"] = "cmn"
        voices["no"] = "nb"
        // No espeak-ng voice for Galician or Tagalog.
        voices["gl"] = nil
        voices["tl"] = nil
        return voices
    }()

    func synthesize(_ text: String, language: String, voice: String?, to file: String) async throws(DubbingError) {
        guard let languageVoice = Self.voices[language] else {
            throw .unsupported("espeak-ng does not speak \(language)")
        }
        // A provider voice name (`alloy`) means nothing to espeak-ng: the language's own voice speaks.
        let espeakVoice = voice.map { Self.variants.contains($0) ? "\(languageVoice)+\($0)" : languageVoice } ?? languageVoice
        // The text goes through a file: as an argument, a line starting with `-` would read as an option.
        let textFile = WorkFolder.temporaryName(for: file + ".txt")
        let temporary = WorkFolder.temporaryName(for: file)
        defer { try? FileManager.default.removeItem(atPath: textFile) }
        try self.folder.writeAtomically(Data(text.utf8), to: textFile)
        do {
            _ = try await FFmpegCommand(
                executable: "espeak-ng",
                arguments: ["-v", espeakVoice, "-b", "1", "-w", temporary, "-f", textFile],
                timeoutSeconds: self.timeoutSeconds
            ).run()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .ffmpeg(error, during: "espeak-ng")
        }
        try self.folder.rename(temporary, to: file)
    }
}
