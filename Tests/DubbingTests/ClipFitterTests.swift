import AurisTestSupport
import Foundation
import Testing

@testable import Dubbing

@Suite(.timeLimit(.minutes(5))) struct ClipFitterTests {
    func fitter(_ folder: TemporaryDirectory) -> ClipFitter {
        ClipFitter(scratchFolder: folder.path, maxTempo: 2.0, ffmpegTimeoutSeconds: 30)
    }

    /// Samples of `raw` (16-bit little-endian) as a file of the folder.
    func rawClip(_ samples: [Int16], in folder: TemporaryDirectory, named name: String) throws -> String {
        let path = folder.appending("\(name).\(ClipFitter.rawClipExtension)")
        let bytes = samples.flatMap { value -> [UInt8] in
            let bits = UInt16(bitPattern: value)
            return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
        }
        try #require(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    @Test func aClipThatFitsIsKeptAsIs() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let clip = try await AudioFixture.tone(seconds: 1, at: folder.appending("clip.wav"))
        let samples = try await self.fitter(folder).fittedSamples(clipFiles: [clip], roomSamples: 3 * ClipFitter.sampleRate)
        #expect(samples.count / ClipFitter.bytesPerSample == ClipFitter.sampleRate)
    }

    @Test func aLongerClipIsSpedUpToItsSlot() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let clip = try await AudioFixture.tone(seconds: 4, at: folder.appending("clip.wav"))
        let room = 3 * ClipFitter.sampleRate
        let samples = try await self.fitter(folder).fittedSamples(clipFiles: [clip], roomSamples: room)
        let count = samples.count / ClipFitter.bytesPerSample
        // Stretched by 4/3 to about the slot (atempo is exact to a few milliseconds), never past it.
        #expect(count <= room && count >= room - ClipFitter.sampleRate / 20)
    }

    @Test func beyondTheTempoCapTheRestIsCutWithAFade() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let parts = [
            try await AudioFixture.tone(seconds: 4, at: folder.appending("part1.wav")),
            try await AudioFixture.tone(seconds: 4, at: folder.appending("part2.mp3")),
        ]
        let room = 2 * ClipFitter.sampleRate
        let samples = try await self.fitter(folder).fittedSamples(clipFiles: parts, roomSamples: room)
        // 8 s at twice the speed is 4 s: cut to the 2 s slot, ending in silence rather than a click.
        #expect(samples.count / ClipFitter.bytesPerSample == room)
        let last = Int16(bitPattern: UInt16(samples[samples.count - 2]) | UInt16(samples[samples.count - 1]) << 8)
        #expect(last == 0)
    }

    @Test func tempoFiltersAreChainedWithinTheirRange() {
        #expect(ClipFitter.atempoChain(1.5) == "atempo=1.500000")
        #expect(ClipFitter.atempoChain(3.0) == "atempo=2.000000,atempo=1.500000")
    }
}

extension ClipFitterTests {
    @Test func aDamagedClipIsRemovedAndTheErrorIsTransient() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let clip = try folder.write("not audio at all", to: "0003.mp3")
        let error = await #expect(throws: DubbingError.self) {
            _ = try await self.fitter(folder).fittedSamples(clipFiles: [clip], roomSamples: ClipFitter.sampleRate)
        }
        #expect(error?.isTransient == true)
        #expect(!FileManager.default.fileExists(atPath: clip))
    }
}

extension ClipFitterTests {
    /// OpenAI's `pcm` speech is already the track's format: read, not decoded.
    @Test func aRawClipIsTakenAsItsSamples() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let clip = try self.rawClip((0..<ClipFitter.sampleRate).map { Int16($0 % 2_000 - 1_000) }, in: folder, named: "0001")
        let samples = [UInt8](try #require(FileManager.default.contents(atPath: clip)))
        let fitted = try await self.fitter(folder).fittedSamples(clipFiles: [clip], roomSamples: 2 * ClipFitter.sampleRate)
        #expect(fitted == samples)
    }

    @Test func aRawClipOfHalfASampleIsRemovedAndTheErrorIsTransient() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let clip = folder.appending("0002.\(ClipFitter.rawClipExtension)")
        #expect(FileManager.default.createFile(atPath: clip, contents: Data([1, 2, 3])))
        let error = await #expect(throws: DubbingError.self) {
            _ = try await self.fitter(folder).fittedSamples(clipFiles: [clip], roomSamples: ClipFitter.sampleRate)
        }
        #expect(error?.isTransient == true)
        #expect(!FileManager.default.fileExists(atPath: clip))
    }
}

extension ClipFitterTests {
    /// A segment that says far more than its slot holds: only what the capped tempo can fit
    /// is read and stretched, so the work and the memory follow the slot, not the text.
    @Test func speechFarLongerThanItsSlotIsReadOnlyAsFarAsTheSlotHolds() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        // Three seconds of sound, then silence up to 2 GiB (about 12 hours) in a sparse file:
        // reading it whole would take the memory and the time this test does not have.
        let clip = try self.rawClip((0..<(3 * ClipFitter.sampleRate)).map { Int16($0 % 200 * 100 - 10_000) }, in: folder, named: "0004")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: clip))
        try handle.truncate(atOffset: 2 << 30)
        try handle.close()
        let scratch = folder.appending("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let fitter = ClipFitter(scratchFolder: scratch, maxTempo: 2.0, ffmpegTimeoutSeconds: 30)
        let room = ClipFitter.sampleRate
        let output = folder.appending("fitted.pcm")
        let fitted = try await fitter.fit(clipFiles: [clip], roomSamples: room, to: output)
        #expect(fitted == room)
        let bytes = try #require(FileManager.default.contents(atPath: output))
        #expect(bytes.count == room * ClipFitter.bytesPerSample)
        #expect(bytes[bytes.count - 2] == 0 && bytes[bytes.count - 1] == 0, "the cut fades to silence")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty, "no joined or decoded file is left")
    }

    @Test func aSlotOfNoRoomGetsNoSpeech() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let clip = try self.rawClip([Int16](repeating: 1_000, count: 4_800), in: folder, named: "0005")
        let output = folder.appending("fitted.pcm")
        #expect(try await self.fitter(folder).fit(clipFiles: [clip], roomSamples: 0, to: output) == 0)
        #expect(FileManager.default.contents(atPath: output)?.isEmpty == true)
    }
}

extension ClipFitter {
    /// The fitted speech read back from its file.
    func fittedSamples(clipFiles: [String], roomSamples: Int) async throws -> [UInt8] {
        let output = "\(self.scratchFolder)/fitted-under-test.pcm"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let samples = try await self.fit(clipFiles: clipFiles, roomSamples: roomSamples, to: output)
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: output)))
        #expect(bytes.count == samples * Self.bytesPerSample)
        return bytes
    }
}
