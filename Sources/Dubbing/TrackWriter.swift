import Foundation

/// Writes the raw dubbed track of the assemble step: silence, fitted speech, silence …
/// up to exactly the source's length. Each segment's speech goes into its slot, from its
/// start to the next segment's start (segments are normalized: sorted, no overlap).
///
/// Fitting a clip is an ffmpeg run, so `concurrency` run at once, each into its own
/// file in the scratch folder; files are copied into the track in segment order, a
/// chunk at a time, and removed. At most `windowSegments` segments are fitted ahead of
/// the one the track waits for, so one slow segment cannot fill the disk either.
struct TrackWriter: Sendable {
    struct Slot: Sendable {
        var startSample: Int
        var roomSamples: Int
        var files: [String]
    }

    /// One segment's fitted speech, in a file of the scratch folder.
    private struct Fitted: Sendable {
        var path: String
        var samples: Int
    }

    let fitter: ClipFitter
    let concurrency: Int
    var windowSegments: Int { 4 * self.concurrency }

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
        let failure: DubbingError? = await withTaskGroup(of: (Int, Result<Fitted?, DubbingError>).self) { group in
            var launched = 0
            var nextToWrite = 0
            var writtenSamples = 0
            var finished: [Int: Fitted?] = [:]
            var failure: DubbingError?
            func launchMore(_ group: inout TaskGroup<(Int, Result<Fitted?, DubbingError>)>, running: inout Int) {
                while failure == nil, !Task.isCancelled, running < self.concurrency, launched < slots.count,
                    launched < nextToWrite + self.windowSegments
                {
                    let index = launched
                    let slot = slots[index]
                    launched += 1
                    running += 1
                    group.addTask {
                        guard !slot.files.isEmpty else { return (index, .success(nil)) }
                        let path = "\(fitter.scratchFolder)/fitted-\(WorkFolder.padded(index, width: 6)).pcm"
                        do throws(DubbingError) {
                            let samples = try await fitter.fit(clipFiles: slot.files, roomSamples: slot.roomSamples, to: path)
                            return (index, .success(Fitted(path: path, samples: samples)))
                        } catch {
                            try? FileManager.default.removeItem(atPath: path)
                            return (index, .failure(error))
                        }
                    }
                }
            }
            var running = 0
            launchMore(&group, running: &running)
            while let (index, result) = await group.next() {
                running -= 1
                switch result {
                case .success(let fitted): finished[index] = fitted
                case .failure(let error): failure = failure ?? error
                }
                while failure == nil, let fitted = finished.removeValue(forKey: nextToWrite) {
                    let slot = slots[nextToWrite]
                    do throws(DubbingError) {
                        if let fitted {
                            defer { try? FileManager.default.removeItem(atPath: fitted.path) }
                            assert(fitted.samples <= slot.roomSamples, "fitted speech longer than its slot")
                            try PCMFile.appendSilence(samples: slot.startSample - writtenSamples, to: track)
                            _ = try PCMFile.append(fitted.path, upTo: fitted.samples * ClipFitter.bytesPerSample, to: track)
                            writtenSamples = slot.startSample + fitted.samples
                        }
                    } catch {
                        failure = error
                        break
                    }
                    nextToWrite += 1
                    await progress(.assemble, 0.8 * Double(nextToWrite) / Double(slots.count))
                }
                launchMore(&group, running: &running)
            }
            if failure == nil, !Task.isCancelled {
                do throws(DubbingError) {
                    try PCMFile.appendSilence(samples: totalSamples - writtenSamples, to: track)
                } catch {
                    failure = error
                }
            }
            return failure
        }
        if Task.isCancelled { throw .canceled }
        if let failure { throw failure }
    }
}
