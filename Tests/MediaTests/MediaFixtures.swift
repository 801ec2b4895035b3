import AurisTestSupport
import Foundation

/// A temporary folder of media generated with the `ffmpeg` command line, so no
/// binary fixture is committed and each test states how its file is made.
struct MediaFixtures {
    let folder: TemporaryDirectory

    init() throws {
        folder = try TemporaryDirectory("auris-media")
    }

    func remove() {
        folder.remove()
    }

    func path(_ name: String) -> String {
        folder.appending(name)
    }

    /// Runs `ffmpeg ARGUMENTS… OUTPUT` and returns the output's path.
    @discardableResult
    func ffmpeg(_ arguments: [String], output name: String) throws -> String {
        let output = path(name)
        try FFmpegTool.ffmpegBlocking(arguments + [output])
        return output
    }

    /// A sine tone of `seconds` at `sampleRate`, cut to the exact sample count.
    @discardableResult
    func tone(seconds: Double, sampleRate: Int = 44_100, channels: Int = 1, codec: [String], output name: String) throws -> String {
        try Tone(seconds: seconds, sampleRate: sampleRate, channels: channels).writeBlocking(to: path(name), codec: codec)
    }

    /// How many of this process's open file descriptors point into the folder: a
    /// probe that closes what it opens leaves none. Nil where `/proc` is missing.
    func openDescriptorCount() -> Int? {
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return descriptors.count { descriptor in
            let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")
            return target?.hasPrefix(folder.path) == true
        }
    }

    /// Writes `bytes` as a file and returns its path.
    func write(_ bytes: some Sequence<UInt8>, to name: String) throws -> String {
        try folder.write(bytes, to: name)
    }

    /// The length of the audio `ffmpeg` decodes from the file's first audio stream: the
    /// reference the probe is held to.
    func decodedMilliseconds(of file: String) throws -> Double {
        try FFmpegTool.decodedMillisecondsBlocking(of: file)
    }
}
