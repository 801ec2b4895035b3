#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFFmpeg

/// An open libavformat demuxer over one ``FileSource``; closing it is its `deinit`,
/// so every path out of a probe (return, throw) releases the handles exactly once.
struct DemuxerInput: ~Copyable {
    /// The containers accepted, by libavformat demuxer name (a demuxer's name lists
    /// its aliases, e.g. `matroska,webm`). Anything else, even if libavformat can read
    /// it (images, playlists, subtitles, raw streams), is not an upload we dub.
    static let acceptedDemuxerNames: Set<String> = [
        "wav", "w64", "aiff", "caf", "mp3", "aac", "ac3", "eac3", "flac", "ogg", "wv", "amr",
        "mov", "mp4", "m4a", "matroska", "webm", "asf", "avi", "flv", "mpegts", "mpeg",
    ]

    /// A larger buffer than AVIO's 32 KiB default: fewer read calls per file.
    static let ioBufferBytes = 256 * 1024

    let source: FileSource
    let format: UnsafeMutablePointer<AVFormatContext>
    private let io: UnsafeMutablePointer<AVIOContext>

    private init(source: FileSource, format: UnsafeMutablePointer<AVFormatContext>, io: UnsafeMutablePointer<AVIOContext>) {
        self.source = source
        self.format = format
        self.io = io
    }

    deinit {
        var context: UnsafeMutablePointer<AVFormatContext>? = format
        avformat_close_input(&context)
        // With custom I/O the caller frees the context and its (possibly replaced) buffer.
        av_freep(&io.pointee.buffer)
        var ioContext: UnsafeMutablePointer<AVIOContext>? = io
        avio_context_free(&ioContext)
    }

    /// Opens `path`, detects its container from its content (not its name) and reads
    /// the container header.
    static func open(path: String, budget: ProbeBudget) throws(MediaError) -> DemuxerInput {
        let source = try FileSource(path: path, budget: budget)
        guard source.sizeBytes > 0 else { throw .emptyFile() }

        let opaque = Unmanaged.passUnretained(source).toOpaque()
        guard let buffer = av_malloc(ioBufferBytes) else { throw .unreadable("out of memory") }
        guard let io = avio_alloc_context(
            buffer.assumingMemoryBound(to: UInt8.self), Int32(ioBufferBytes), 0, opaque,
            readCallback, nil, seekCallback
        ) else {
            av_free(buffer)
            throw .unreadable("out of memory")
        }
        var cleanupIO: UnsafeMutablePointer<AVIOContext>? = io
        func releaseIO() {
            av_freep(&io.pointee.buffer)
            avio_context_free(&cleanupIO)
        }

        var detected: UnsafePointer<AVInputFormat>?
        // An empty URL: detection uses the bytes only, so a stored upload without an
        // extension probes exactly like the same file on the command line.
        let score = av_probe_input_buffer2(io, &detected, "", nil, 0, 0)
        if let stop = failure(source: source) {
            releaseIO()
            throw stop
        }
        guard score >= 0, let detected else {
            releaseIO()
            throw .unknownFormat("the data is not in a known audio or video format")
        }
        let demuxerName = String(cString: detected.pointee.name)
        guard !acceptedDemuxerNames.isDisjoint(with: demuxerName.split(separator: ",").map(String.init)) else {
            releaseIO()
            throw .unknownFormat("\(demuxerName) is not an accepted audio or video format")
        }

        guard let allocated = avformat_alloc_context() else {
            releaseIO()
            throw .unreadable("out of memory")
        }
        allocated.pointee.pb = io
        allocated.pointee.interrupt_callback = AVIOInterruptCB(callback: interruptCallback, opaque: opaque)
        allocated.pointee.io_open = cffmpeg_refuse_io_open
        var context: UnsafeMutablePointer<AVFormatContext>? = allocated
        let opened = avformat_open_input(&context, "", detected, nil)
        if opened >= 0, let stop = failure(source: source) {
            // Opened on a partial read: the header may be incomplete, so do not go on.
            avformat_close_input(&context)
            releaseIO()
            throw stop
        }
        guard opened >= 0, let context else {
            // avformat_open_input has freed the format context; the I/O is still ours.
            releaseIO()
            if let stop = failure(source: source) { throw stop }
            throw .corrupt("the \(demuxerName) header cannot be read (\(errorText(opened)))")
        }
        return DemuxerInput(source: source, format: context, io: io)
    }

    /// The refusal owed when the source stopped libav (budget spent) or a read failed,
    /// if either happened. Checked after every libav call, whatever it returned,
    /// because some demuxers report a failed read as an ordinary end of file.
    static func failure(source: FileSource) -> MediaError? {
        if let code = source.readErrno {
            return .unreadable("reading the file failed: \(FileSource.describe(errno: code))")
        }
        switch source.stopReason {
        case .deadline?:
            return .timeout(seconds: source.budget.timeLimitSeconds)
        case .byteLimit?:
            return .corrupt("reading the file needed more than \(source.budget.maxBytesRead) bytes")
        case nil:
            return nil
        }
    }

    static func errorText(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: 128)
        av_strerror(code, &text, text.count)
        let bytes = text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private func readCallback(_ opaque: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int32) -> Int32 {
    guard let opaque, let buffer else { return cffmpeg_averror(EINVAL) }
    return Unmanaged<FileSource>.fromOpaque(opaque).takeUnretainedValue().fill(buffer, capacity: capacity)
}

private func seekCallback(_ opaque: UnsafeMutableRawPointer?, _ offset: Int64, _ whence: Int32) -> Int64 {
    guard let opaque else { return Int64(cffmpeg_averror(EINVAL)) }
    return Unmanaged<FileSource>.fromOpaque(opaque).takeUnretainedValue().reposition(offset: offset, whence: whence)
}

private func interruptCallback(_ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let opaque else { return 0 }
    return Unmanaged<FileSource>.fromOpaque(opaque).takeUnretainedValue().shouldStop() ? 1 : 0
}
