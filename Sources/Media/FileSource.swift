#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFFmpeg

/// The one file a probe reads, handed to libavformat through AVIO callbacks.
///
/// Every read and seek first checks the deadline and the byte budget, so no demuxer
/// can read without bound or for ever; libavformat sees `AVERROR_EXIT` and unwinds,
/// and ``stopReason`` tells the caller why. Reading a descriptor instead of letting
/// libavformat open a URL means a path such as `concat:a|b` or `http://…` is only
/// ever a file name.
///
/// Not thread-safe: one probe owns it on one thread, the C callbacks run on that thread.
final class FileSource {
    enum StopReason: Equatable {
        case deadline
        case byteLimit
    }

    let sizeBytes: Int64
    let budget: ProbeBudget
    private(set) var bytesRead: Int64 = 0
    private(set) var stopReason: StopReason?
    /// The errno of the first failed read, if one failed.
    private(set) var readErrno: Int32?
    private let fileDescriptor: Int32

    /// Opens `path` read-only; refuses what is not a readable regular file.
    init(path: String, budget: ProbeBudget) throws(MediaError) {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as
        // not a regular file, and for regular files the flag changes nothing.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw .unreadable("cannot open the file: \(Self.describe(errno: errno))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let failure = errno
            close(descriptor)
            throw .unreadable("cannot inspect the file: \(Self.describe(errno: failure))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .unreadable("not a regular file")
        }
        self.fileDescriptor = descriptor
        self.sizeBytes = Int64(status.st_size)
        self.budget = budget
    }

    deinit {
        close(fileDescriptor)
    }

    /// Whether work must stop now. Once true it stays true, with the reason recorded.
    func shouldStop() -> Bool {
        if stopReason == nil {
            if bytesRead > budget.maxBytesRead {
                stopReason = .byteLimit
            } else if ContinuousClock.now >= budget.deadline {
                stopReason = .deadline
            }
        }
        return stopReason != nil
    }

    /// The AVIO read callback's body: fills `buffer`, or returns an AVERROR.
    func fill(_ buffer: UnsafeMutablePointer<UInt8>, capacity: Int32) -> Int32 {
        if shouldStop() { return cffmpeg_averror_exit() }
        while true {
            let count = read(fileDescriptor, buffer, Int(max(capacity, 0)))
            if count > 0 {
                bytesRead += Int64(count)
                return Int32(count)
            }
            if count == 0 { return cffmpeg_averror_eof() }
            let failure = errno
            if failure != EINTR {
                readErrno = readErrno ?? failure
                return cffmpeg_averror(failure)
            }
        }
    }

    /// The AVIO seek callback's body: an absolute position, the size, or an AVERROR.
    func reposition(offset: Int64, whence: Int32) -> Int64 {
        if whence & AVSEEK_SIZE != 0 { return sizeBytes }
        if shouldStop() { return Int64(cffmpeg_averror_exit()) }
        let position = lseek(fileDescriptor, off_t(offset), whence & ~AVSEEK_FORCE)
        return position < 0 ? Int64(cffmpeg_averror(errno)) : Int64(position)
    }

    /// Up to `maxBytes` from the start of the file, read without moving the demuxer's
    /// position and counted in the budget; empty when the read fails.
    func head(maxBytes: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: maxBytes)
        let count = bytes.withUnsafeMutableBytes { pread(fileDescriptor, $0.baseAddress, maxBytes, 0) }
        guard count > 0 else { return [] }
        bytesRead += Int64(count)
        return Array(bytes.prefix(count))
    }

    static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }
}
