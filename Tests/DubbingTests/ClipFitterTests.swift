import AurisTestSupport
import Foundation
import Testing

@testable import Dubbing

@Suite(.timeLimit(.minutes(5))) struct ClipFitterTests {
    func fitter(_ folder: TemporaryDirectory) -> ClipFitter {
        ClipFitter(scratchFolder: folder.path, maxTempo: 2.0, ffmpegTimeoutSeconds: 30)
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
        let samples: [UInt8] = (0..<ClipFitter.sampleRate).flatMap { index -> [UInt8] in
            let value = UInt16(bitPattern: Int16(index % 2_000 - 1_000))
            return [UInt8(value & 0xFF), UInt8(value >> 8)]
        }
        let clip = folder.appending("0001.\(ClipFitter.rawClipExtension)")
        #expect(FileManager.default.createFile(atPath: clip, contents: Data(samples)))
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
