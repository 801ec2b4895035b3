import Foundation

/// Raw 16-bit little-endian mono samples in a file, handled a chunk at a time: the
/// assemble step never holds a segment's speech, or the track, in memory.
enum PCMFile {
    /// Bytes read or written at once.
    static let chunkBytes = 1 << 20

    /// Appends at most `maxBytes` of `source` to `output`; returns how many it appended.
    static func append(_ source: String, upTo maxBytes: Int, to output: FileHandle) throws(DubbingError) -> Int {
        guard maxBytes > 0 else { return 0 }
        do {
            let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
            defer { try? input.close() }
            var copied = 0
            while copied < maxBytes, let chunk = try input.read(upToCount: min(Self.chunkBytes, maxBytes - copied)), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
                copied += chunk.count
            }
            return copied
        } catch {
            throw .storageFailed("assemble: cannot copy \(source): \(error)")
        }
    }

    /// Writes `samples` of silence to `output`.
    static func appendSilence(samples: Int, to output: FileHandle) throws(DubbingError) {
        var remaining = samples * ClipFitter.bytesPerSample
        let chunk = Data(count: Self.chunkBytes)
        do {
            while remaining > 0 {
                let size = min(remaining, chunk.count)
                try output.write(contentsOf: size == chunk.count ? chunk : Data(count: size))
                remaining -= size
            }
        } catch {
            throw .storageFailed("cannot write the assembled track: \(error)")
        }
    }

    static func create(_ path: String) throws(DubbingError) -> FileHandle {
        do {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
            return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        } catch {
            throw .storageFailed("cannot create \(path): \(error)")
        }
    }

    static func sizeBytes(_ path: String) throws(DubbingError) -> Int {
        do {
            return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw .storageFailed("assemble: cannot read the size of \(path): \(error)")
        }
    }

    /// Cuts `path` to `samples` and fades out its last `ClipFitter.fadeSamples`, so the
    /// cut does not click.
    static func cut(_ path: String, toSamples samples: Int) throws(DubbingError) {
        let fadeCount = min(ClipFitter.fadeSamples, samples)
        do {
            let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? file.close() }
            try file.truncate(atOffset: UInt64(samples * ClipFitter.bytesPerSample))
            let fadeOffset = UInt64((samples - fadeCount) * ClipFitter.bytesPerSample)
            try file.seek(toOffset: fadeOffset)
            var tail = [UInt8](try file.read(upToCount: fadeCount * ClipFitter.bytesPerSample) ?? Data())
            ClipFitter.fadeOut(&tail)
            try file.seek(toOffset: fadeOffset)
            try file.write(contentsOf: tail)
        } catch {
            throw .storageFailed("assemble: cannot cut \(path): \(error)")
        }
    }
}
