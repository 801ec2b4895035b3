import Foundation

/// A `multipart/form-data` body built in memory (RFC 7578). Transcription pieces are
/// at most 25 MB, so holding one in memory is fine.
struct MultipartFormBody {
    let boundary = "auris-" + UUID().uuidString
    private(set) var data = Data()

    var contentType: String { "multipart/form-data; boundary=\(self.boundary)" }

    mutating func addField(_ name: String, _ value: String) {
        self.data.append(Data("--\(self.boundary)\r\n".utf8))
        self.data.append(Data("Content-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n".utf8))
        self.data.append(Data(value.utf8))
        self.data.append(Data("\r\n".utf8))
    }

    mutating func addFile(_ name: String, fileName: String, contentType: String, contents: Data) {
        self.data.append(Data("--\(self.boundary)\r\n".utf8))
        self.data.append(Data(
            "Content-Disposition: form-data; name=\"\(Self.quoted(name))\"; filename=\"\(Self.quoted(fileName))\"\r\n".utf8
        ))
        self.data.append(Data("Content-Type: \(contentType)\r\n\r\n".utf8))
        self.data.append(contents)
        self.data.append(Data("\r\n".utf8))
    }

    /// The body with its closing boundary.
    func finished() -> Data {
        self.data + Data("--\(self.boundary)--\r\n".utf8)
    }

    /// Names are ours (ASCII), but a quote or line break would break the header, so drop them.
    private static func quoted(_ text: String) -> String {
        String(text.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" })
    }
}
