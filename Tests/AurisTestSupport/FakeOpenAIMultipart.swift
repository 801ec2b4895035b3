import Foundation
import MultipartKit
import NIOCore

/// A `multipart/form-data` body read by MultipartKit's parser: an independent reader,
/// so the fake catches mistakes in the client's hand-built body.
struct FakeOpenAIMultipart {
    struct File {
        var fileName: String?
        var contents: Data
    }

    /// The last value of each field.
    var fields: [String: String] = [:]
    /// Every value of each field in order (`known_speaker_names[]` repeats).
    var lists: [String: [String]] = [:]
    var files: [String: File] = [:]

    static func parse(_ body: ByteBuffer, contentType: String?) -> FakeOpenAIMultipart? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data"),
              let boundaryRange = contentType.range(of: "boundary=")
        else { return nil }
        let boundary = String(contentType[boundaryRange.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard !boundary.isEmpty else { return nil }

        var form = FakeOpenAIMultipart()
        var headers: [String: String] = [:]
        var contents = Data()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers[name.lowercased()] = value }
        parser.onBody = { buffer in contents.append(contentsOf: buffer.readableBytesView) }
        parser.onPartComplete = {
            let disposition = headers["content-disposition"] ?? ""
            if let name = Self.parameter("name", in: disposition) {
                if let fileName = Self.parameter("filename", in: disposition) {
                    form.files[name] = File(fileName: fileName, contents: contents)
                } else {
                    form.fields[name] = String(decoding: contents, as: UTF8.self)
                    form.lists[name, default: []].append(String(decoding: contents, as: UTF8.self))
                }
            }
            headers = [:]
            contents = Data()
        }
        do {
            try parser.execute(body)
        } catch {
            return nil
        }
        return form
    }

    /// `name="value"` inside a `Content-Disposition` header.
    private static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}
