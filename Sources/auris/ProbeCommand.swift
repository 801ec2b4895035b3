import ArgumentParser
import Billing
import Foundation
import Media

/// `auris probe FILE [--json]`: what the API would measure and charge for a file.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Measure a file's audio as the API would: format, streams, duration and credits.",
        discussion: "Exits 1 with `auris probe: <code>: <message>` on stderr for a file the API would refuse."
    )

    @Argument(help: "The audio (or video with audio) file.")
    var file: String

    @Flag(help: "Print one JSON object instead of lines of text.")
    var json = false

    @Option(help: "Refuse longer audio. Environment: AURIS_MAX_DURATION_SECONDS. Default: 3600.")
    var maxDurationSeconds: Int64?

    func run() throws {
        let limitSeconds = try maxDurationSeconds ?? Self.environmentLimitSeconds() ?? 3600
        let (limitMilliseconds, overflow) = limitSeconds.multipliedReportingOverflow(by: 1000)
        guard limitSeconds > 0, !overflow else {
            throw ValidationError("the maximum duration must be a positive number of seconds")
        }

        let info: AudioInfo
        do {
            info = try AudioProbe(maxDurationMilliseconds: limitMilliseconds).probe(fileAtPath: file)
        } catch {
            FileHandle.standardError.write(Data("auris probe: \(error.code): \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        let credits = CreditPricing.credits(forDurationMilliseconds: info.durationMilliseconds)
        print(json ? try Self.json(info, credits: credits) : Self.text(info, credits: credits))
    }

    private static func environmentLimitSeconds() throws -> Int64? {
        guard let value = ProcessInfo.processInfo.environment["AURIS_MAX_DURATION_SECONDS"], !value.isEmpty else { return nil }
        guard let seconds = Int64(value) else {
            throw ValidationError("AURIS_MAX_DURATION_SECONDS must be a whole number of seconds, not \(value)")
        }
        return seconds
    }

    private static func text(_ info: AudioInfo, credits: Int64) -> String {
        var lines = ["format: \(info.formatName) (\(info.formatLongName))"]
        for stream in info.audioStreams {
            let measured = stream.index == info.measuredStreamIndex ? " (measured)" : ""
            lines.append("stream \(stream.index): audio \(stream.codecName), \(stream.sampleRate) Hz, \(stream.channels) ch\(measured)")
        }
        lines.append("video: \(info.hasVideo ? "yes" : "no")")
        lines.append("duration_seconds: \(seconds(info.durationMilliseconds))")
        if let header = info.headerDurationMilliseconds {
            lines.append("header_duration_seconds: \(seconds(header))")
        }
        lines.append("credits: \(credits)")
        lines.append("size_bytes: \(info.sizeBytes)")
        return lines.joined(separator: "\n")
    }

    private static func json(_ info: AudioInfo, credits: Int64) throws -> String {
        var streams: [Stream] = info.audioStreams.map {
            Stream(index: $0.index, type: "audio", codec: $0.codecName, sampleRate: $0.sampleRate,
                   channels: $0.channels, measured: $0.index == info.measuredStreamIndex)
        }
        if info.hasVideo { streams.append(Stream(type: "video")) }
        let output = Output(
            format: info.formatName, streams: streams,
            durationSeconds: Decimal(string: seconds(info.durationMilliseconds)) ?? 0,
            durationMs: info.durationMilliseconds, credits: credits, sizeBytes: info.sizeBytes
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }

    /// Milliseconds as seconds with three decimals, without a detour through Double.
    private static func seconds(_ milliseconds: Int64) -> String {
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    private struct Output: Encodable {
        var format: String
        var streams: [Stream]
        var durationSeconds: Decimal
        var durationMs: Int64
        var credits: Int64
        var sizeBytes: Int64
    }

    private struct Stream: Encodable {
        var index: Int?
        var type: String
        var codec: String?
        var sampleRate: Int?
        var channels: Int?
        var measured: Bool?
    }
}
