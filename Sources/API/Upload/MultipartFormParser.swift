import Foundation
import NIOCore

/// A streaming parser of `multipart/form-data` framing (RFC 2046 §5.1.1, RFC 7578): it
/// takes the body in chunks of any size and reports each part's header lines, its body
/// bytes as slices of the chunks (no copy) and its end.
///
/// Ours rather than multipart-kit's: multipart-kit 4.7.1 indexes a 128-entry table with
/// each header-name byte, so one byte ≥ 0x80 there traps and takes the whole server down
/// (docs/ARCHITECTURE.md, "Files of a job"). Every byte here is either accepted or refused
/// with `MultipartFormParser.Malformed`; nothing the client sends can trap.
struct MultipartFormParser {
    enum Event {
        /// One header line of the current part, its value without surrounding blanks.
        case header(name: String, value: String)
        /// Bytes of the current part's body, in order.
        case body(ByteBuffer)
        /// The current part's body ended at a delimiter.
        case partEnd
    }

    /// The body breaks the framing; `reason` says where, for the client.
    struct Malformed: Error, Equatable {
        let reason: String
    }

    private enum State {
        /// Preamble (discarded) or the current part's body, up to a CR that may start a
        /// delimiter.
        case data(inBody: Bool)
        /// `matched` bytes of the delimiter seen, after preamble or body data.
        case delimiter(matched: Int, inBody: Bool)
        /// Just after a delimiter: `--` closes the body; blanks, then CRLF, open a part.
        case afterDelimiter(hyphens: Int, sawCR: Bool)
        /// Reading a header line (an empty one ends the headers).
        case headerLine(sawCR: Bool)
        /// After the closing delimiter: ignored, as RFC 2046 says.
        case epilogue
    }

    /// `CRLF--boundary`: the body starts as if a CRLF came before it, so a first delimiter
    /// without one matches too.
    private let delimiter: [UInt8]
    private let maxHeaderLineBytes: Int
    private var state: State
    private var line: [UInt8] = []

    /// Whether the closing delimiter has been read.
    var isComplete: Bool {
        if case .epilogue = state { return true }
        return false
    }

    /// - Parameter boundary: 1 to 70 of RFC 2046's `bchars`, checked by
    ///   `MultipartFormParser.isValidBoundary`.
    /// - Parameter maxHeaderLineBytes: the longest header line kept in memory; a longer
    ///   one is refused as soon as it is this long.
    init(boundary: String, maxHeaderLineBytes: Int) {
        precondition(Self.isValidBoundary(boundary))
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.maxHeaderLineBytes = maxHeaderLineBytes
        state = .delimiter(matched: 2, inBody: false)  // as if CRLF came first
    }

    /// RFC 2046's `boundary := 0*69<bchars> bcharsnospace`, at least one character. The
    /// parser relies on it: a boundary without CR lets a failed delimiter match restart at
    /// the byte that broke it.
    static func isValidBoundary(_ boundary: String) -> Bool {
        let bytes = Array(boundary.utf8)
        guard (1...70).contains(bytes.count), bytes.last != UInt8(ascii: " ") else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                true
            default:
                "'()+_,-./:=? ".utf8.contains(byte)
            }
        }
    }

    /// Parses one chunk, reporting what it completes to `onEvent` in order.
    /// - Throws: `Malformed` when the framing is broken, or whatever `onEvent` throws.
    mutating func execute(_ chunk: ByteBuffer, _ onEvent: (Event) throws -> Void) throws {
        var chunk = chunk
        while chunk.readableBytes > 0 {
            switch state {
            case .data(let inBody):
                // The only CR that matters in data is one that may start a delimiter.
                let run = chunk.withUnsafeReadableBytes { bytes -> Int in
                    guard let start = bytes.baseAddress, let cr = memchr(start, 13, bytes.count) else { return bytes.count }
                    return UnsafeRawPointer(cr) - start
                }
                let data = chunk.readSlice(length: run)!
                if inBody, run > 0 { try onEvent(.body(data)) }
                if chunk.readableBytes > 0 { state = .delimiter(matched: 0, inBody: inBody) }
            case .delimiter(var matched, let inBody):
                while matched < delimiter.count, let byte = chunk.getInteger(at: chunk.readerIndex, as: UInt8.self),
                    byte == delimiter[matched]
                {
                    chunk.moveReaderIndex(forwardBy: 1)
                    matched += 1
                }
                if matched == delimiter.count {
                    if inBody { try onEvent(.partEnd) }
                    state = .afterDelimiter(hyphens: 0, sawCR: false)
                } else if chunk.readableBytes == 0 {
                    state = .delimiter(matched: matched, inBody: inBody)
                } else {
                    // Not a delimiter: what matched was data, and the byte that broke the
                    // match is data too (the delimiter's only CR is its first byte, and
                    // `.data` only stops at a CR, so `matched` is at least 1 here).
                    if inBody { try onEvent(.body(ByteBuffer(bytes: delimiter[0..<matched]))) }
                    state = .data(inBody: inBody)
                }
            case .afterDelimiter(let hyphens, let sawCR):
                let byte = chunk.readInteger(as: UInt8.self)!
                switch byte {
                case UInt8(ascii: "-") where !sawCR && hyphens < 2:
                    state = hyphens == 1 ? .epilogue : .afterDelimiter(hyphens: 1, sawCR: false)
                case UInt8(ascii: " "), UInt8(ascii: "\t"):
                    guard hyphens == 0, !sawCR else { throw Malformed(reason: "a delimiter line has stray bytes") }
                case 13 where hyphens == 0 && !sawCR:
                    state = .afterDelimiter(hyphens: 0, sawCR: true)
                case 10 where sawCR:
                    state = .headerLine(sawCR: false)
                default:
                    throw Malformed(reason: "a delimiter line has stray bytes")
                }
            case .headerLine(let sawCR):
                let byte = chunk.readInteger(as: UInt8.self)!
                if sawCR {
                    guard byte == 10 else { throw Malformed(reason: "a part header line ends in CR without LF") }
                    if line.isEmpty {
                        state = .data(inBody: true)
                    } else {
                        try onEvent(try Self.header(line))
                        line.removeAll(keepingCapacity: true)
                        state = .headerLine(sawCR: false)
                    }
                } else if byte == 13 {
                    state = .headerLine(sawCR: true)
                } else {
                    guard line.count < maxHeaderLineBytes else {
                        throw Malformed(reason: "a part's header line is longer than \(maxHeaderLineBytes) bytes")
                    }
                    line.append(byte)
                }
            case .epilogue:
                return
            }
        }
    }

    /// `name: value`, the name an RFC 9110 token.
    private static func header(_ line: [UInt8]) throws -> Event {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
            line[..<colon].allSatisfy(isTokenByte)
        else { throw Malformed(reason: "a part header line is not `name: value`") }
        let blanks: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t")]
        var value = line[(colon + 1)...]
        while let first = value.first, blanks.contains(first) { value = value.dropFirst() }
        while let last = value.last, blanks.contains(last) { value = value.dropLast() }
        guard let text = String(validating: value, as: UTF8.self) else {
            throw Malformed(reason: "a part header value is not UTF-8 text")
        }
        return .header(name: String(decoding: line[..<colon], as: UTF8.self), value: text)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
