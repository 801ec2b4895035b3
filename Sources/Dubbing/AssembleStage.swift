import Foundation
import Media

/// Step 5: the dubbed track. Each segment's speech is fitted to its slot and written
/// between silences into one raw track of exactly the source's length (`TrackWriter`);
/// ffmpeg then encodes it to MP3, with the original underneath when asked, ducked
/// whenever the dub speaks — or, for a video upload, muxes it beside the source's video
/// and original audio (`VideoMux`).
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

    /// Encodes the track to MP3, or muxes it with the source's video (`VideoMux`).
    private func encode(
        trackPath: String, request: DubbingRequest, sourcePath: String, outputPath: String
    ) async throws(DubbingError) {
        let temporary = WorkFolder.temporaryName(for: outputPath)
        var arguments = ["-f", "s16le", "-ar", "\(ClipFitter.sampleRate)", "-ac", "1", "-i", trackPath]
        if request.keepBackground || request.video != nil { arguments += ["-i", sourcePath] }
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
            arguments += ["-map", dubbedTrack, "-c:a", "libmp3lame", "-b:a", "96k", "-f", "mp3"]
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
}
