import Synchronization

/// One speech request as the fake received it.
public struct FakeSpeechRequest: Sendable, Equatable {
    public var model: String
    public var input: String
    public var voice: String
    public var instructions: String?
}

/// One diarizing transcription request as the fake received it (refused or not).
public struct FakeDiarizationRequest: Sendable, Equatable {
    /// `known_speaker_names[]`, in order.
    public var knownSpeakerNames: [String]
    /// The labels the fake answered, in segment order (empty when refused).
    public var answeredSpeakers: [String]
}

/// What the fake's speech and diarization handlers were asked, so tests can assert the
/// voice, instructions and known speakers of each request.
final class FakeOpenAIRecorder: Sendable {
    private let speech = Mutex<[FakeSpeechRequest]>([])
    private let diarizations = Mutex<[FakeDiarizationRequest]>([])

    func record(_ request: FakeSpeechRequest) { self.speech.withLock { $0.append(request) } }
    func record(_ request: FakeDiarizationRequest) { self.diarizations.withLock { $0.append(request) } }
    var speechRequests: [FakeSpeechRequest] { self.speech.withLock { $0 } }
    var diarizationRequests: [FakeDiarizationRequest] { self.diarizations.withLock { $0 } }

    func reset() {
        self.speech.withLock { $0 = [] }
        self.diarizations.withLock { $0 = [] }
    }
}

extension FakeOpenAIServer {
    /// Every speech request answered so far, in order of arrival.
    public func speechRequests() -> [FakeSpeechRequest] { self.recorder.speechRequests }
    /// Every diarizing transcription request so far, in order of arrival.
    public func diarizationRequests() -> [FakeDiarizationRequest] { self.recorder.diarizationRequests }
}
