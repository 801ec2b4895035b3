#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
private let systemClose = Glibc.close
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
private let systemClose = Darwin.close
#endif
import CFFmpeg

/// A file the codecs write, through a descriptor of our own rather than libavformat's
/// `file:` protocol: a failed write keeps its errno (a full disk is the host's problem,
/// not the input's), and the file cannot grow past `maxBytes`.
///
/// Not thread-safe: one encoder or decoder owns it on one thread, as with ``FileSource``.
final class OutputFile {
    let path: String
    let maxBytes: Int64
    /// How far the file extends: a muxer seeks back to rewrite its header, so this is
    /// not the sum of the writes.
    private(set) var sizeBytes: Int64 = 0
    /// The first failure, kept for the caller when libav only sees an error code.
    private(set) var failure: AudioCodecError?
    private var position: Int64 = 0
    private var descriptor: Int32

    /// Creates (or truncates) `path`.
    init(path: String, maxBytes: Int64) throws(AudioCodecError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .ioFailed("cannot create \(path)", errno: errno) }
        self.path = path
        self.maxBytes = maxBytes
        self.descriptor = descriptor
    }

    deinit {
        if self.descriptor >= 0 { _ = systemClose(self.descriptor) }
    }

    /// Writes all of `bytes` at the current position.
    func write(_ bytes: UnsafeRawBufferPointer) throws(AudioCodecError) {
        if let failure { throw failure }
        guard self.position + Int64(bytes.count) <= self.maxBytes else {
            let failure = AudioCodecError.outputTooLarge(maxBytes: self.maxBytes)
            self.failure = failure
            throw failure
        }
        var offset = 0
        while offset < bytes.count {
            let count = systemWrite(self.descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                let failure = AudioCodecError.ioFailed("cannot write \(self.path)", errno: errno)
                self.failure = failure
                throw failure
            }
            offset += count
        }
        self.position += Int64(bytes.count)
        self.sizeBytes = max(self.sizeBytes, self.position)
    }

    /// Closes the file; a close can report a write the kernel deferred (NFS, quotas).
    func close() throws(AudioCodecError) {
        if let failure { throw failure }
        let descriptor = self.descriptor
        self.descriptor = -1
        if systemClose(descriptor) != 0 { throw .ioFailed("cannot close \(self.path)", errno: errno) }
    }

    /// The AVIO write callback's body: 0 or an AVERROR.
    func avioWrite(_ buffer: UnsafeMutablePointer<UInt8>, count: Int32) -> Int32 {
        do {
            try self.write(UnsafeRawBufferPointer(start: buffer, count: Int(max(0, count))))
            return 0
        } catch {
            return cffmpeg_averror(error.code == .outputTooLarge ? EFBIG : EIO)
        }
    }

    /// The AVIO seek callback's body: the new position, the size, or an AVERROR.
    func avioSeek(offset: Int64, whence: Int32) -> Int64 {
        if whence & AVSEEK_SIZE != 0 { return self.sizeBytes }
        let moved = lseek(self.descriptor, off_t(offset), whence & ~AVSEEK_FORCE)
        guard moved >= 0 else { return Int64(cffmpeg_averror(errno)) }
        self.position = Int64(moved)
        return self.position
    }
}
