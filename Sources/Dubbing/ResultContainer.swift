import Foundation

/// What a job's result is: an MP3 for an audio upload, a video in the upload's own
/// container for a video upload (`VideoResult`). The result's media-store key, its
/// download's type and name, and the status object all follow it.
public enum ResultContainer: String, Sendable, Codable, CaseIterable {
    case mp3, mp4, mov, webm, mkv

    public var fileExtension: String { rawValue }

    /// The download's `Content-Type`.
    public var contentType: String {
        switch self {
        case .mp3: "audio/mpeg"
        case .mp4: "video/mp4"
        case .mov: "video/quicktime"
        case .webm: "video/webm"
        case .mkv: "video/x-matroska"
        }
    }

    public var isVideo: Bool { self != .mp3 }

    /// ffmpeg's name for the muxer that writes it.
    var muxerName: String {
        switch self {
        case .mkv: "matroska"
        default: rawValue
        }
    }

    /// The result of the job whose stored request (`Job.payload`) this is. A request
    /// that cannot be read was stored before results had types: an MP3.
    public init(payload: String) {
        let request = try? JSONDecoder().decode(DubbingRequest.self, from: Data(payload.utf8))
        self = request?.resultContainer ?? .mp3
    }
}
