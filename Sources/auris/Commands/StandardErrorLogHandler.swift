import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes the lines swift-log's `StreamLogHandler.standardError` writes, byte for byte,
/// at a fraction of the cost: the server writes one for every request.
///
/// Measured on a status poll (release, 16 connections): the request's log line cost
/// about 25 µs of the server's 175 µs. `StreamLogHandler` renders its own metadata into
/// a string every time a key is set (the server sets the request id and the account on
/// every request), formats the time with `strftime` for every line, and goes through
/// stdio's lock and `fflush`. Here metadata is a dictionary rendered only for a line
/// written, the time is formatted once a second, and a line is one `write(2)`.
struct StandardErrorLogHandler: LogHandler {
    private let label: String
    var logLevel: Logger.Level = .info
    var metadataProvider: Logger.MetadataProvider?
    var metadata: Logger.Metadata = [:]

    init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // As `StreamLogHandler`: the provider's metadata wins over the handler's, the
        // line's own over both, and an error adds its message and type.
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { $1 } }
        if let explicit = event.metadata, !explicit.isEmpty { merged.merge(explicit) { $1 } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var line = LogTimestamp.now()
        line.reserveCapacity(256)
        line += " "
        line += event.level.rawValue
        if !label.isEmpty { line += " " }
        line += label
        line += ":"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += key
            line += "="
            line += value.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        StandardError.write(line)
    }
}

/// The local time as `StreamLogHandler` writes it (`%Y-%m-%dT%H:%M:%S%z`), formatted
/// once per second.
enum LogTimestamp {
    private static let cache = Mutex<(second: time_t, text: String)?>(nil)
    // `localtime_r` need not read the zone itself: read it once, as `localtime` would.
    private static let zoneRead: Void = tzset()

    static func now() -> String {
        var second = time(nil)
        if let text = cache.withLock({ $0?.second == second ? $0?.text : nil }) { return text }
        _ = zoneRead
        var parts = tm()
        guard localtime_r(&second, &parts) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        let text = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        cache.withLock { $0 = (second, text) }
        return text
    }
}

/// Standard error, written a whole line at a time.
enum StandardError {
    /// Lines of several threads never interleave: a `write(2)` of a long line to a pipe
    /// may be split, so writers take turns.
    private static let turn = Mutex(())

    static func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            turn.withLock { _ in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(STDERR_FILENO, base + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return  // Nowhere left to report a failed log write.
                    }
                    offset += written
                }
            }
        }
    }
}
