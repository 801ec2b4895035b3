import ArgumentParser
import Foundation
import Media

/// `auris-bench probe`: probing in-process against spawning `ffprobe`, on ten-minute
/// MP3 and M4A files. Prints one JSON line per comparison.
struct ProbeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Compare AudioProbe with spawning ffprobe on 10-minute MP3 and M4A files."
    )

    @Option(help: "Seconds to repeat each measurement for.")
    var seconds: Double = 3

    @Option(help: "Folder for the generated files (kept between runs).")
    var directory: String = ".bench/probe"

    @Option(help: "Use this MP3 instead of generating one.")
    var mp3: String?

    @Option(help: "Use this M4A instead of generating one.")
    var m4a: String?

    func run() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let files = [
            try mp3 ?? generate("10min.mp3", codec: ["-c:a", "libmp3lame", "-b:a", "128k"]),
            try m4a ?? generate("10min.m4a", codec: ["-c:a", "aac", "-b:a", "128k"]),
        ]
        let ffprobe = try Self.executable(named: "ffprobe")
        let variants: [(name: String, arguments: [String])] = [
            ("format_duration", ["-v", "error", "-show_entries", "format=duration"]),
            // Reads every packet, as AudioProbe does: the like-for-like comparison.
            ("count_packets", ["-v", "error", "-count_packets", "-select_streams", "a:0", "-show_entries", "stream=nb_read_packets"]),
        ]

        for file in files {
            let probe = AudioProbe()
            let info = try probe.probe(fileAtPath: file)
            let inProcess = try Self.rate(seconds: seconds) { _ = try probe.probe(fileAtPath: file) }
            for variant in variants {
                let spawned = try Self.rate(seconds: seconds) { try Self.spawn(ffprobe, variant.arguments + [file]) }
                let line: [String: any Sendable] = [
                    "bench": "probe",
                    "file": (file as NSString).lastPathComponent,
                    "duration_ms": info.durationMilliseconds,
                    "ffprobe_variant": variant.name,
                    "in_process_per_second": Self.rounded(inProcess),
                    "ffprobe_per_second": Self.rounded(spawned),
                    "speedup": Self.rounded(inProcess / spawned),
                ]
                let json = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                print(String(decoding: json, as: UTF8.self))
            }
        }
    }

    private func generate(_ name: String, codec: [String]) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: path) { return path }
        let ffmpeg = try Self.executable(named: "ffmpeg")
        // Speech-like material would not change the packet count; a tone encodes fast.
        try Self.spawn(ffmpeg, ["-nostdin", "-v", "error", "-y", "-f", "lavfi",
                                "-i", "sine=frequency=220:sample_rate=44100:duration=600", "-ac", "2"] + codec + [path])
        return path
    }

    /// Runs `body` repeatedly for about `seconds` and returns runs per second.
    private static func rate(seconds: Double, _ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        var runs = 0
        while clock.now - start < budget {
            try body()
            runs += 1
        }
        return Double(runs) / (clock.now - start).seconds
    }

    private static func rounded(_ value: Double) -> Double {
        (value * 10).rounded() / 10
    }

    private static func spawn(_ executable: URL, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(executable.lastPathComponent) failed on \(arguments.last ?? "")")
        }
    }

    private static func executable(named name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw ValidationError("\(name) is not on PATH; run scripts/setup")
    }
}
