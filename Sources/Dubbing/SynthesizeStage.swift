/// Step 4: one clip per segment (several when its text is too long for one call),
/// up to the synthesizer's `concurrency` at a time; OpenAI's calls also wait for the
/// provider's rate limit (`OpenAIRateLimiter`), shared by every job of the process. A clip is saved as soon as it arrives, and clips already in the
/// work folder are not asked for again.
struct SynthesizeStage: Sendable {
    /// One call to the synthesizer.
    struct Clip: Sendable {
        var segmentID: Int
        var text: String
        var file: String
        /// `nil`: the synthesizer's default.
        var voice: String?
    }

    let folder: WorkFolder
    let synthesizer: any SpeechSynthesizer

    /// The clip files of each segment, in speaking order; a segment with no text has none.
    func plan(script: [Segment], cast: VoiceCast) -> [Int: [Clip]] {
        var plan: [Int: [Clip]] = [:]
        for segment in script where !segment.text.isEmpty {
            let parts = TextSplitter.split(segment.text, maxCharacters: self.synthesizer.maxInputCharacters)
            plan[segment.id] = parts.enumerated().map { index, text in
                let file = self.folder.clip(
                    segmentID: segment.id,
                    part: parts.count > 1 ? index + 1 : nil,
                    fileExtension: self.synthesizer.clipExtension
                )
                return Clip(segmentID: segment.id, text: text, file: file, voice: cast.voice(of: segment))
            }
        }
        return plan
    }

    /// Synthesizes the missing clips and returns the plan.
    ///
    /// After a failure no new call starts, but calls already in flight are awaited and
    /// their clips kept: they are paid for either way. Cancellation stops them all.
    func run(
        script: [Segment],
        cast: VoiceCast,
        request: DubbingRequest,
        progress: ProgressReporter
    ) async throws(DubbingError) -> [Int: [Clip]] {
        try self.folder.createFolder(self.folder.clipsFolder)
        let plan = self.plan(script: script, cast: cast)
        let clips = plan.keys.sorted().flatMap { plan[$0]! }
        let missing = clips.filter { !self.folder.exists($0.file) }
        var finished = clips.count - missing.count
        let total = max(1, clips.count)
        await progress(.synthesize, Double(finished) / Double(total))

        let synthesizer = self.synthesizer
        try await forEachConcurrently(missing, concurrency: synthesizer.concurrency) { clip throws(DubbingError) in
            try await synthesizer.synthesize(clip.text, language: request.targetLanguage, voice: clip.voice, to: clip.file)
        } finished: { _, _ in
            finished += 1
            await progress(.synthesize, Double(finished) / Double(total))
        }
        return plan
    }
}
