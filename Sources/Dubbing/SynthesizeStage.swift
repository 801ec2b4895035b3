/// Step 4: one clip per segment (several when its text is too long for one call),
/// a few at a time. A clip is saved as soon as it arrives, and clips already in the
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
        let firstError: DubbingError? = await withTaskGroup(of: DubbingError?.self) { group in
            var pending = missing.makeIterator()
            var failure: DubbingError?
            func startNext(_ group: inout TaskGroup<DubbingError?>) {
                guard failure == nil, !Task.isCancelled, let clip = pending.next() else { return }
                group.addTask {
                    do throws(DubbingError) {
                        try await synthesizer.synthesize(
                            clip.text, language: request.targetLanguage, voice: clip.voice, to: clip.file
                        )
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            for _ in 0..<synthesizer.concurrency { startNext(&group) }
            while let result = await group.next() {
                if let error = result {
                    failure = failure ?? error
                } else {
                    finished += 1
                    await progress(.synthesize, Double(finished) / Double(total))
                }
                startNext(&group)
            }
            return failure
        }
        if Task.isCancelled { throw .canceled }
        if let firstError { throw firstError }
        return plan
    }
}
