/// Step 3: the transcript's text in the target language, in batches of segments, a few
/// batches at once (each is a request of its own). Each batch's answer is saved as it
/// arrives, so a retry pays only for the batches that had not come back.
struct TranslateStage: Sendable {
    /// Batches in flight at once: a long file's few batches all go together.
    static let concurrency = 4

    let folder: WorkFolder
    let client: OpenAIClient
    let model: String
    let batchSegments: Int
    let batchCharacters: Int

    /// The script to speak: the transcript's segments with translated text.
    func run(
        transcript: [Segment],
        request: DubbingRequest,
        progress: ProgressReporter
    ) async throws(DubbingError) -> [Segment] {
        if let script = self.folder.readJSON([Segment].self, from: self.folder.translationFile) {
            return script
        }
        // Nothing to translate when the speaker already uses the target language.
        if request.sourceLanguage == request.targetLanguage {
            try self.folder.writeJSON(transcript, to: self.folder.translationFile)
            return transcript
        }
        guard let targetName = SupportedLanguages.name(of: request.targetLanguage) else {
            throw .unsupported("cannot translate into \(request.targetLanguage)")
        }
        let sourceName = request.sourceLanguage.flatMap { SupportedLanguages.name(of: $0) }
        try self.folder.createFolder(self.folder.translationFolder)

        let batches = self.batches(of: transcript)
        var translated: [Int: String] = [:]
        var done = 0
        try DubbingError.checkCancellation()
        let stage = self
        try await forEachConcurrently(Array(batches.enumerated()), concurrency: Self.concurrency) { item throws(DubbingError) in
            try await stage.translation(of: item.element, index: item.offset, sourceName: sourceName, targetName: targetName)
        } finished: { _, answer in
            for line in answer { translated[line.id] = line.text }
            done += 1
            await progress(.translate, Double(done) / Double(batches.count))
        }
        let script = transcript.map { segment in
            var segment = segment
            segment.text = translated[segment.id]?.trimmingWhitespace() ?? ""
            return segment
        }
        try self.folder.writeJSON(script, to: self.folder.translationFile)
        return script
    }

    /// The saved answer of batch `index` when it answers exactly these ids (the batch size
    /// may have changed since), or the provider's, saved as soon as it arrives.
    private func translation(
        of batch: [Segment], index: Int, sourceName: String?, targetName: String
    ) async throws(DubbingError) -> [OpenAIClient.TranslationLine] {
        let lines = batch.map { OpenAIClient.TranslationLine(id: $0.id, text: $0.text) }
        let answerFile = self.folder.translationBatch(index)
        if let saved = self.folder.readJSON([OpenAIClient.TranslationLine].self, from: answerFile)
            .flatMap({ try? OpenAIClient.matched($0, to: lines) })
        {
            return saved
        }
        let answer = try await self.client.translate(lines, sourceLanguageName: sourceName, targetLanguageName: targetName, model: self.model)
        try self.folder.writeJSON(answer, to: answerFile)
        return answer
    }

    /// Consecutive segments, at most `batchSegments` and about `batchCharacters` per batch
    /// (a single longer segment gets a batch of its own).
    func batches(of segments: [Segment]) -> [[Segment]] {
        var batches: [[Segment]] = []
        var current: [Segment] = []
        var characters = 0
        for segment in segments {
            if !current.isEmpty,
               current.count >= self.batchSegments || characters + segment.text.count > self.batchCharacters {
                batches.append(current)
                current = []
                characters = 0
            }
            current.append(segment)
            characters += segment.text.count
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }
}
