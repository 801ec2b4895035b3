#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why in-process decoding or encoding (``AudioDecoder``, ``MP3Encoder``) did not finish.
///
/// A struct with a private code so that adding a case later breaks no caller.
public struct AudioCodecError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with the static members (`error.code == .undecodable`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case undecodable
            case ioFailed = "io_failed"
            case outputTooLarge = "output_too_large"
            case timedOut = "timed_out"
            case canceled
            case encoderFailed = "encoder_failed"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The input is not audio the probe accepts, or none of it decodes.
        public static let undecodable = Code(.undecodable)
        /// Reading or writing a file failed (``AudioCodecError/isOutOfSpace`` tells a full disk).
        public static let ioFailed = Code(.ioFailed)
        /// The output grew past the byte limit it was given.
        public static let outputTooLarge = Code(.outputTooLarge)
        /// The work took longer than its time limit.
        public static let timedOut = Code(.timedOut)
        /// The task waiting for the work was cancelled.
        public static let canceled = Code(.canceled)
        /// The encoder is missing or refused the settings or the samples.
        public static let encoderFailed = Code(.encoderFailed)

        public var description: String { self.value.rawValue }
    }

    public let code: Code
    /// What happened, for logs and the job's error message.
    public let message: String
    /// The errno of a failed read or write.
    private let systemError: Int32?

    private init(_ code: Code, _ message: String, systemError: Int32? = nil) {
        self.code = code
        self.message = message
        self.systemError = systemError
    }

    /// Whether a write failed because the disk (or the quota) is full.
    public var isOutOfSpace: Bool { self.systemError == ENOSPC || self.systemError == EDQUOT }

    public var description: String { "\(self.code): \(self.message)" }

    static func undecodable(_ detail: String) -> AudioCodecError { AudioCodecError(.undecodable, detail) }

    static func ioFailed(_ what: String, errno code: Int32) -> AudioCodecError {
        AudioCodecError(.ioFailed, "\(what): \(String(cString: strerror(code)))", systemError: code)
    }

    static func outputTooLarge(maxBytes: Int64) -> AudioCodecError {
        AudioCodecError(.outputTooLarge, "the output would be larger than \(maxBytes) bytes")
    }

    static func timedOut(seconds: Double) -> AudioCodecError {
        AudioCodecError(.timedOut, "the work took longer than \(seconds) s")
    }

    static let canceled = AudioCodecError(.canceled, "the work was canceled")

    static func encoderFailed(_ detail: String) -> AudioCodecError { AudioCodecError(.encoderFailed, detail) }

    /// A refusal of the demuxer: the file's own fault, unless it only ran out of time.
    static func input(_ error: MediaError, timeLimitSeconds: Double) -> AudioCodecError {
        error.code == "timeout" ? .timedOut(seconds: timeLimitSeconds) : .undecodable(error.description)
    }
}
