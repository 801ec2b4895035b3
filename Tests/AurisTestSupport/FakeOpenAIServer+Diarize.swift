import Crypto
import Foundation
import Hummingbird

extension FakeOpenAIServer {
    /// The most known speakers one request takes, and the length their clips must have.
    static let maxKnownSpeakers = 4
    static let referenceSeconds = 2.0...10.0

    /// `gpt-4o-transcribe-diarize`: `diarized_json` with a speaker per segment (see
    /// `FakeOpenAIDiarization` for how voices are told apart). Refuses, with a 400, what
    /// the model refuses: another response format, `prompt`, timestamp granularities, no
    /// `chunking_strategy` (the real model needs it past 30 s; the fake always, so a
    /// client that forgets it fails on short test clips too), and known speakers that are
    /// not pairs of a name and a `data:` URL of 2–10 s of audio, at most four.
    func diarize(_ form: FakeOpenAIMultipart, file: Data, fileName: String) async -> Outcome {
        let names = form.lists["known_speaker_names[]"] ?? []
        let outcome = await self.diarizedAnswer(form, file: file, fileName: fileName, names: names)
        var answered: [String] = []
        if case .answer(_, let input, _) = outcome { answered = input.split(separator: " ").dropFirst(2).map(String.init) }
        self.recorder.record(FakeDiarizationRequest(knownSpeakerNames: names, answeredSpeakers: answered))
        return outcome
    }

    private func diarizedAnswer(_ form: FakeOpenAIMultipart, file: Data, fileName: String, names: [String]) async -> Outcome {
        func refuse(_ message: String, param: String?) -> Outcome {
            .refusal(Self.error(.badRequest, message, type: "invalid_request_error", code: nil, param: param))
        }
        guard form.fields["response_format"] == "diarized_json" else {
            return refuse("The fake's diarization answers response_format diarized_json only", param: "response_format")
        }
        guard form.fields["prompt"] == nil else { return refuse("Prompt is not supported for diarization models.", param: "prompt") }
        guard form.fields["timestamp_granularities[]"] == nil else {
            return refuse("timestamp_granularities is not supported for diarization models.", param: "timestamp_granularities")
        }
        guard let chunking = form.fields["chunking_strategy"], chunking == "auto" || chunking.hasPrefix("{") else {
            return refuse("chunking_strategy is required for diarization models.", param: "chunking_strategy")
        }
        let references = form.lists["known_speaker_references[]"] ?? []
        guard names.count == references.count else {
            return refuse("known_speaker_names and known_speaker_references must have the same length.", param: "known_speaker_names")
        }
        guard names.count <= Self.maxKnownSpeakers else {
            return refuse("At most \(Self.maxKnownSpeakers) known speakers are supported.", param: "known_speaker_names")
        }
        guard Set(names).count == names.count, names.allSatisfy({ !$0.isEmpty && $0.count <= 64 }) else {
            return refuse("Known speaker names must be unique and non-empty.", param: "known_speaker_names")
        }
        var known: [(name: String, pitch: Double)] = []
        for (name, reference) in zip(names, references) {
            guard let clip = Self.dataURLAudio(reference) else {
                return refuse("Each known speaker reference must be a data URL of audio (data:audio/...;base64,...).", param: "known_speaker_references")
            }
            guard let seconds = await self.audio.durationSeconds(of: clip.data, fileName: "reference.\(clip.ext)"),
                  Self.referenceSeconds.contains(seconds),
                  let samples = await self.audio.samples(of: clip.data, fileName: "reference.\(clip.ext)"),
                  let pitch = FakeOpenAIDiarization.pitch(samples, 0..<samples.count)
            else {
                return refuse("Known speaker references must be 2 to 10 seconds of audible audio.", param: "known_speaker_references")
            }
            known.append((name, pitch))
        }
        guard let durationSeconds = await self.audio.durationSeconds(of: file, fileName: fileName), durationSeconds > 0,
              let samples = await self.audio.samples(of: file, fileName: fileName)
        else {
            return refuse("The audio file could not be decoded or its format is not supported.", param: nil)
        }
        let hash = SHA256.hash(data: file).map { String(format: "%02x", $0) }.joined().prefix(8)
        let count = max(1, Int((durationSeconds / self.configuration.transcriptionSegmentSeconds).rounded()))
        let length = durationSeconds / Double(count)
        let rate = Double(FakeOpenAIAudio.analysisRate)
        let windows = (0..<count).map { (start: Double($0) * length, end: Double($0) * length + length * 0.9) }
        let pitches = windows.map { FakeOpenAIDiarization.pitch(samples, Int($0.start * rate)..<Int($0.end * rate)) }
        let labels = FakeOpenAIDiarization.labels(pitches: pitches, known: known)
        var segments: [[String: Any]] = []
        for (index, (window, label)) in zip(windows, labels).enumerated() {
            guard let label else { continue }
            segments.append([
                "type": "transcript.text.segment", "id": "seg_\(index)", "start": window.start, "end": window.end,
                "speaker": label, "text": " Line \(index + 1) of audio \(hash).",
            ])
        }
        let text = segments.compactMap { $0["text"] as? String }.joined()
        let speakers = segments.compactMap { $0["speaker"] as? String }.joined(separator: " ")
        return .answer(
            Self.json([
                "task": "transcribe", "duration": durationSeconds, "text": text, "segments": segments,
                "usage": ["type": "duration", "seconds": Int(durationSeconds.rounded(.up))],
            ]),
            input: "audio \(hash) \(speakers)", units: durationSeconds)
    }

    /// The bytes and a file extension of `data:audio/<type>;base64,<data>`.
    static func dataURLAudio(_ url: String) -> (data: Data, ext: String)? {
        guard url.hasPrefix("data:audio/"), let comma = url.firstIndex(of: ","),
              url[..<comma].hasSuffix(";base64"),
              let data = Data(base64Encoded: String(url[url.index(after: comma)...])), !data.isEmpty
        else { return nil }
        let type = url.dropFirst("data:audio/".count).prefix { $0 != ";" }
        return (data, type == "mpeg" ? "mp3" : String(type))
    }
}
