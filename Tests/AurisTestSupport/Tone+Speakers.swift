/// Test audio with several "speakers": consecutive blocks of sine tones, one frequency
/// per block. The fake OpenAI tells voices apart by pitch, so blocks at 440 Hz and
/// 660 Hz are two people talking in turn.
public struct SpeakerTones: Sendable {
    /// The frequency of each block, in order.
    public var frequencies: [Int]
    public var blockSeconds: Double
    public var sampleRate: Int

    public init(frequencies: [Int], blockSeconds: Double = 3, sampleRate: Int = 16_000) {
        self.frequencies = frequencies
        self.blockSeconds = blockSeconds
        self.sampleRate = sampleRate
    }

    public var seconds: Double { Double(frequencies.count) * blockSeconds }

    /// Writes the blocks to `path` (the file name's format) and returns the path.
    @discardableResult
    public func write(to path: String) async throws -> String {
        // if(lt(t,3),440,if(lt(t,6),660,…)) picks the block's frequency at time t.
        var frequency = "\(frequencies.last ?? 440)"
        for (index, value) in frequencies.enumerated().dropLast().reversed() {
            frequency = "if(lt(t,\(Double(index + 1) * blockSeconds)),\(value),\(frequency))"
        }
        let samples = Int((seconds * Double(sampleRate)).rounded())
        try await FFmpegTool.ffmpeg([
            "-f", "lavfi", "-i", "aevalsrc='0.25*sin(2*PI*\(frequency)*t)':s=\(sampleRate):d=\(seconds + 1)",
            "-af", "atrim=end_sample=\(samples)", "-ac", "1", path,
        ])
        return path
    }
}
