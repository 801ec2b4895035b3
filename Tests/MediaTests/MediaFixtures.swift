import Foundation
import Testing

/// A temporary folder of media generated with the `ffmpeg` command line, so no
/// binary fixture is committed and each test states how its file is made.
struct MediaFixtures {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("auris-media-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// Runs `ffmpeg -v error -y ARGUMENTS… OUTPUT` and returns the output's path.
    @discardableResult
    func ffmpeg(_ arguments: [String], output name: String) throws -> String {
        let output = path(name)
        try Self.run(["-nostdin", "-v", "error", "-y"] + arguments + [output])
        return output
    }

    /// A sine tone of `seconds` at `sampleRate`, cut to the exact sample count.
    @discardableResult
    func tone(seconds: Double, sampleRate: Int = 44_100, channels: Int = 1, codec: [String], output name: String) throws -> String {
        let samples = Int((seconds * Double(sampleRate)).rounded())
        return try ffmpeg(
            ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=\(sampleRate):duration=\(seconds + 1)",
             "-af", "atrim=end_sample=\(samples)", "-ac", "\(channels)"] + codec,
            output: name
        )
    }

    /// How many of this process's open file descriptors point into the folder: a
    /// probe that closes what it opens leaves none. Nil where `/proc` is missing.
    func openDescriptorCount() -> Int? {
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return descriptors.count { descriptor in
            let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")
            return target?.hasPrefix(directory.path) == true
        }
    }

    /// Writes `bytes` as a file and returns its path.
    func write(_ bytes: some Sequence<UInt8>, to name: String) throws -> String {
        let output = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: output))
        return output
    }

    /// The length of the audio `ffmpeg` decodes from the file's first audio stream,
    /// counted as 48 kHz mono samples: the reference the probe is held to.
    func decodedMilliseconds(of file: String) throws -> Double {
        let raw = path(UUID().uuidString + ".raw")
        defer { try? FileManager.default.removeItem(atPath: raw) }
        try Self.run(["-nostdin", "-v", "error", "-y", "-i", file, "-map", "0:a:0", "-ac", "1", "-ar", "48000", "-f", "s16le", raw])
        let bytes = try #require(try FileManager.default.attributesOfItem(atPath: raw)[.size] as? Int)
        return Double(bytes) / 2 / 48
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(description: "ffmpeg \(arguments.joined(separator: " ")): \(String(decoding: message, as: UTF8.self))")
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}
