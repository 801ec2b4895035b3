import Foundation

/// Writes the raw dubbed track of the assemble step: silence, fitted speech, silence …
/// up to exactly the source's length. Each segment's speech goes into its slot, from its
/// start to the next segment's start (segments are normalized: sorted, no overlap).
///
/// Fitting a clip is an ffmpeg run, so a few run at once; results are written in
/// segment order, and at most `concurrency` of them wait in memory.
struct TrackWriter: Sendable {
    struct Slot: Sendable {
        var startSample: Int
        var roomSamples: Int
        var files: [String]
    }

    let fitter: ClipFitter
    let concurrency: Int

    static func slots(script: [Segment], clips: [Int: [SynthesizeStage.Clip]], totalSamples: Int) -> [Slot] {
        script.enumerated().map { index, segment in
            let start = min(totalSamples, Self.samples(segment.startMilliseconds))
            let nextStart = index + 1 < script.count ? min(totalSamples, Self.samples(script[index + 1].startMilliseconds)) : totalSamples
            return Slot(startSample: start, roomSamples: max(0, nextStart - start), files: clips[segment.id]?.map(\.file) ?? [])
        }
    }

    static func samples(_ milliseconds: Int64) -> Int {
        Int(max(0, milliseconds) * Int64(ClipFitter.sampleRate) / 1000)
    }

    func write(_ slots: [Slot], totalSamples: Int, to track: FileHandle, progress: ProgressReporter) async throws(DubbingError) {
        let fitter = self.fitter
        let failure: DubbingError? = await withTaskGroup(of: (Int, Result<[UInt8], DubbingError>).self) { group in
            var launched = 0
            var nextToWrite = 0
            var writtenSamples = 0
            var finished: [Int: [UInt8]] = [:]
            var failure: DubbingError?
            func launchNext(_ group: inout TaskGroup<(Int, Result<[UInt8], DubbingError>)>) {
                guard failure == nil, !Task.isCancelled, launched < slots.count else { return }
                let index = launched
                let slot = slots[index]
                launched += 1
                group.addTask {
                    guard !slot.files.isEmpty else { return (index, .success([])) }
                    do throws(DubbingError) {
                        return (index, .success(try await fitter.fittedSamples(clipFiles: slot.files, roomSamples: slot.roomSamples)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            for _ in 0..<self.concurrency { launchNext(&group) }
            while let (index, result) = await group.next() {
                switch result {
                case .success(let samples): finished[index] = samples
                case .failure(let error): failure = failure ?? error
                }
                while failure == nil, let samples = finished.removeValue(forKey: nextToWrite) {
                    let slot = slots[nextToWrite]
                    assert(samples.count / ClipFitter.bytesPerSample <= slot.roomSamples, "fitted speech longer than its slot")
                    do throws(DubbingError) {
                        try Self.writeSilence(track, samples: slot.startSample - writtenSamples)
                        try Self.write(track, Data(samples))
                    } catch {
                        failure = error
                        break
                    }
                    writtenSamples = slot.startSample + samples.count / ClipFitter.bytesPerSample
                    nextToWrite += 1
                    await progress(.assemble, 0.8 * Double(nextToWrite) / Double(slots.count))
                }
                launchNext(&group)
            }
            if failure == nil, !Task.isCancelled {
                do throws(DubbingError) {
                    try Self.writeSilence(track, samples: totalSamples - writtenSamples)
                } catch {
                    failure = error
                }
            }
            return failure
        }
        if Task.isCancelled { throw .canceled }
        if let failure { throw failure }
    }

    private static func writeSilence(_ track: FileHandle, samples: Int) throws(DubbingError) {
        var remaining = samples * ClipFitter.bytesPerSample
        let chunk = Data(count: 1 << 20)
        while remaining > 0 {
            let size = min(remaining, chunk.count)
            try self.write(track, size == chunk.count ? chunk : Data(count: size))
            remaining -= size
        }
    }

    private static func write(_ track: FileHandle, _ data: Data) throws(DubbingError) {
        do {
            try track.write(contentsOf: data)
        } catch {
            throw .storageFailed("cannot write the assembled track: \(error)")
        }
    }
}
