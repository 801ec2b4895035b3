import Foundation
import Media

/// Step 5: the dubbed track. Each segment's speech is fitted to its slot and written
/// between silences into one raw track of exactly the source's length (`TrackWriter`),
/// then encoded to MP3 in-process (`MP3Encoder`). Two cases still run the ffmpeg
/// command, once per job: the original kept underneath, ducked whenever the dub speaks
/// (a filter graph: sidechain compressor and mix), and a video upload, muxed beside the
/// source's video and original audio (`VideoMux`).
///
/// Streaming the track segment by segment, through files, keeps memory and ffmpeg
/// inputs constant however long the source is and however much a segment says.
struct AssembleStage: Sendable {
    let folder: WorkFolder
    let maxTempo: Double
    let ffmpegTimeoutSeconds: Double

    /// ffmpeg runs fitting clips at once: they are CPU-bound, and workers run several jobs.
    static let fittingConcurrency = 2

    func run(
        script: [Segment],
        clips: [Int: [SynthesizeStage.Clip]],
        request: DubbingRequest,
        sourcePath: String,
        outputPath: String,
        progress: ProgressReporter
    ) async throws(DubbingError) {
        let scratch = self.folder.assemblyFolder
        try self.folder.remove(scratch)
        try self.folder.createFolder(scratch)
        let trackPath = "\(scratch)/track.pcm"
        try await self.writeTrack(trackPath, script: script, clips: clips, request: request, progress: progress)
        try await self.encode(trackPath: trackPath, request: request, sourcePath: sourcePath, outputPath: outputPath)
        try self.folder.remove(scratch)
        await progress(.assemble, 1)
    }

    /// Writes the raw track of exactly the source's length (see `TrackWriter`).
    private func writeTrack(
        _ trackPath: String,
        script: [Segment],
        clips: [Int: [SynthesizeStage.Clip]],
        request: DubbingRequest,
        progress: ProgressReporter
    ) async throws(DubbingError) {
        let totalSamples = TrackWriter.samples(request.durationMilliseconds)
        let track = try PCMFile.create(trackPath)
        defer { try? track.close() }
        let writer = TrackWriter(
            fitter: ClipFitter(
                scratchFolder: self.folder.assemblyFolder, maxTempo: self.maxTempo, ffmpegTimeoutSeconds: self.ffmpegTimeoutSeconds
            ),
            concurrency: Self.fittingConcurrency
        )
        let slots = TrackWriter.slots(script: script, clips: clips, totalSamples: totalSamples)
        try await writer.write(slots, totalSamples: totalSamples, to: track, progress: progress)
    }

    /// Encodes the track to MP3, or mixes or muxes it with the source (see the type).
    private func encode(
        trackPath: String, request: DubbingRequest, sourcePath: String, outputPath: String
    ) async throws(DubbingError) {
        let temporary = WorkFolder.temporaryName(for: outputPath)
        guard request.keepBackground || request.video != nil else {
            try await self.encodeMP3(trackPath: trackPath, to: temporary)
            try self.folder.rename(temporary, to: outputPath)
            return
        }
        var arguments = ["-f", "s16le", "-ar", "\(ClipFitter.sampleRate)", "-ac", "1", "-i", trackPath, "-i", sourcePath]
        var dubbedTrack = "0:a"
        if request.keepBackground {
            // The original at 60 %, compressed hard by the dub's own level (a sidechain):
            // it falls back while the dub speaks and returns in the pauses.
            arguments += ["-filter_complex", """
                [0:a]asplit=2[voice][key];\
                [1:a:0]aresample=\(ClipFitter.sampleRate),aformat=sample_fmts=fltp:channel_layouts=mono,volume=0.6[bed];\
                [key]aformat=sample_fmts=fltp[keyf];\
                [bed][keyf]sidechaincompress=threshold=0.02:ratio=12:attack=20:release=400[ducked];\
                [voice]aformat=sample_fmts=fltp[voicef];\
                [voicef][ducked]amix=inputs=2:duration=first:normalize=0[out]
                """]
            dubbedTrack = "[out]"
        }
        if let video = request.video {
            arguments += VideoMux(video: video, targetLanguage: request.targetLanguage).outputArguments(dubbedTrack: dubbedTrack)
        } else {
            arguments += ["-map", dubbedTrack, "-c:a", "libmp3lame", "-b:a", "\(Self.bitsPerSecond / 1000)k", "-f", "mp3"]
        }
        arguments.append(temporary)
        do {
            _ = try await FFmpegCommand.ffmpeg(arguments, timeoutSeconds: self.ffmpegTimeoutSeconds).run()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .ffmpeg(error, during: request.video == nil ? "assemble (encoding)" : "assemble (muxing the video)")
        }
        try self.folder.rename(temporary, to: outputPath)
    }

    /// The MP3's bit rate: mono speech at the speech model's rate.
    static let bitsPerSecond = 96_000

    /// Encodes the raw track to an MP3 at `path`, in-process.
    private func encodeMP3(trackPath: String, to path: String) async throws(DubbingError) {
        // At most twice what the bit rate makes of the track, and a little for the headers:
        // more would be the encoder gone wrong, not a longer dub.
        let trackSeconds = Int64(try PCMFile.sizeBytes(trackPath) / ClipFitter.bytesPerSample / ClipFitter.sampleRate) + 1
        let maxBytes = 2 * trackSeconds * Int64(Self.bitsPerSecond / 8) + 64 * 1024
        do {
            try await CodecStop.run(timeLimitSeconds: self.ffmpegTimeoutSeconds) { stop throws(AudioCodecError) in
                let encoder = try MP3Encoder(
                    path: path, sampleRate: ClipFitter.sampleRate, bitsPerSecond: Self.bitsPerSecond, maxBytes: maxBytes, stop: stop)
                try encoder.write(contentsOfRawFileAt: trackPath)
                try encoder.finish()
            }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw .codec(error, during: "assemble (encoding)")
        }
    }
}
