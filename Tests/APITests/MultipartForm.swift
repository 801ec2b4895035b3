import Foundation
import Hummingbird
import NIOCore

/// A `multipart/form-data` body built by hand, so tests control every byte, including
/// broken ones.
struct MultipartForm {
    let boundary = "auris-test-\(UUID().uuidString.prefix(12))"
    private(set) var bytes: [UInt8] = []

    init() {}

    /// A form with the audio and the usual fields.
    static func upload(
        audio: [UInt8], fileField: String = "file", filename: String = "voice.wav", fields: [String: String] = ["target_language": "fr"],
        subtitles: [UInt8]? = AudioFixtures.subtitles
    ) -> MultipartForm {
        var form = MultipartForm()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) { form.field(name, value) }
        if let subtitles { form.file("subtitles", filename: "fr.srt", contentType: "application/x-subrip", subtitles) }
        form.file(fileField, filename: filename, contentType: "audio/wav", audio)
        return form
    }

    mutating func field(_ name: String, _ value: String) {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
    }

    mutating func file(_ name: String, filename: String, contentType: String, _ content: [UInt8]) {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n")
        append("Content-Type: \(contentType)\r\n\r\n")
        bytes += content
        append("\r\n")
    }

    /// The body with its closing boundary.
    var body: ByteBuffer {
        ByteBuffer(bytes: bytes + Array("--\(boundary)--\r\n".utf8))
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    private mutating func append(_ text: String) { bytes += Array(text.utf8) }
}
