import Foundation

/// The files one job keeps between attempts, so a retried or rescued attempt resumes
/// after the last finished step and never pays the provider twice for it.
///
/// ```
/// <work folder>/
///   request.json              the request this folder belongs to (a different one is refused)
///   prepared/pieces.json      the speech-to-text pieces: file names and offsets
///   prepared/piece000.mp3 …   mono 16 kHz pieces under the provider's upload limit
///   transcript/piece000.json  one transcription answer per piece
///   transcript.json           all segments in the source language (or the subtitle cues)
///   translation/batch000.json one translation answer per batch of segments
///   translation.json          all segments in the target language: the script to speak
///   clips/0007.mp3            the speech for segment 7 (`0007.1.mp3` … when split in parts)
///   assembly/                 scratch space of the assemble step, rebuilt by every attempt
/// ```
///
/// Every file is written under a temporary name, flushed and then renamed, so a
/// crash never leaves a half-written file under a name that means "finished".
struct WorkFolder: Sendable {
    let path: String

    var requestFile: String { self.file("request.json") }
    var preparedFolder: String { self.file("prepared") }
    var piecesManifest: String { self.file("prepared/pieces.json") }
    var transcriptFolder: String { self.file("transcript") }
    var transcriptFile: String { self.file("transcript.json") }
    var translationFolder: String { self.file("translation") }
    var translationFile: String { self.file("translation.json") }
    var clipsFolder: String { self.file("clips") }
    var assemblyFolder: String { self.file("assembly") }

    func file(_ relativePath: String) -> String {
        self.path + "/" + relativePath
    }

    func pieceTranscript(_ pieceIndex: Int) -> String {
        self.file("transcript/piece\(Self.padded(pieceIndex, width: 3)).json")
    }

    func translationBatch(_ batchIndex: Int) -> String {
        self.file("translation/batch\(Self.padded(batchIndex, width: 3)).json")
    }

    /// The clip of one segment; `part` is set when its text was too long for one request.
    func clip(segmentID: Int, part: Int?, fileExtension: String) -> String {
        let name = Self.padded(segmentID, width: 4) + (part.map { ".\($0)" } ?? "")
        return self.file("clips/\(name).\(fileExtension)")
    }

    static func padded(_ number: Int, width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    func createFolder(_ folder: String) throws(DubbingError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .storageFailed("cannot create \(folder): \(error)")
        }
    }

    func exists(_ file: String) -> Bool {
        FileManager.default.fileExists(atPath: file)
    }

    /// Removes a file or folder; a missing one is fine.
    func remove(_ path: String) throws(DubbingError) {
        guard self.exists(path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw .storageFailed("cannot remove \(path): \(error)")
        }
    }

    /// A fresh temporary name next to `file`, keeping its extension (ffmpeg picks the
    /// format from it).
    static func temporaryName(for file: String) -> String {
        let url = URL(fileURLWithPath: file)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().path
        return "\(stem).partial-\(UUID().uuidString.prefix(8))" + (ext.isEmpty ? "" : ".\(ext)")
    }

    /// Writes `data` to `file` all at once: temporary file, flush to disk, rename.
    func writeAtomically(_ data: Data, to file: String) throws(DubbingError) {
        let temporary = Self.temporaryName(for: file)
        do {
            guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
                throw CocoaError(.fileWriteUnknown)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .storageFailed("cannot write \(file): \(error)")
        }
        try self.rename(temporary, to: file)
    }

    /// Moves a finished temporary file (or folder) to its final name, replacing any older one.
    func rename(_ temporary: String, to file: String) throws(DubbingError) {
        // rename(2) replaces a file atomically; Foundation's moveItem refuses to, so call it directly.
        if Foundation.rename(temporary, file) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw .storageFailed("cannot rename \(temporary) to \(file): \(reason)")
        }
    }

    func writeJSON(_ value: some Encodable, to file: String) throws(DubbingError) {
        let data: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            data = try encoder.encode(value)
        } catch {
            throw .storageFailed("cannot encode \(file): \(error)")
        }
        try self.writeAtomically(data, to: file)
    }

    /// The saved value, or `nil` when the step has not finished yet. A file that cannot
    /// be decoded (disk damage) is treated as missing: the step runs again.
    func readJSON<Value: Decodable>(_ type: Value.Type, from file: String) -> Value? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    func readBytes(_ file: String) throws(DubbingError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw .storageFailed("cannot read \(file)")
        }
        return [UInt8](data)
    }
}
