#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
#endif

/// A raw file read in chunks by an encoder, its failures kept as ``AudioCodecError``.
final class InputFile {
    private let path: String
    private let descriptor: Int32

    init(path: String) throws(AudioCodecError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .ioFailed("cannot open \(path)", errno: errno) }
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(self.descriptor)
    }

    /// Fills `buffer` unless the file ends first, so only the last chunk is short;
    /// returns how many bytes it read (0 at the end).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(AudioCodecError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = systemRead(self.descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .ioFailed("cannot read \(self.path)", errno: errno)
            }
            filled += count
        }
        return filled
    }
}
