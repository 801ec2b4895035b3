import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One GET's body written to a file: through a temporary name, its length checked
/// against `Content-Length` and its SHA-256 against the `x-amz-checksum-sha256` the
/// store kept from the put, renamed into place only when both agree. A body cut short
/// leaves no file behind.
struct S3Download {
    let key: MediaKey
    let headers: HTTPHeaders

    func write(_ body: HTTPClientResponse.Body, to filePath: String) async throws -> Int64 {
        let file = try PartialFile(destinationPath: filePath)
        do {
            for try await chunk in body {
                try chunk.withUnsafeReadableBytes { bytes in try file.write(bytes) }
            }
            try check(file)
            try file.commit()
            return file.writtenBytes
        } catch {
            file.discard()
            throw error
        }
    }

    private func check(_ file: PartialFile) throws(MediaStoreError) {
        if let declared = headers.first(name: "content-length").flatMap({ Int64($0) }), declared != file.writtenBytes {
            throw .badAnswer("S3 sent \(file.writtenBytes) bytes of \(key), not the \(declared) it announced")
        }
        let digest = file.finalizeSHA256Hex()
        // A multipart object's checksum ("…-3") is of its parts, not of the whole.
        if let stored = headers.first(name: "x-amz-checksum-sha256"), !stored.contains("-"),
            let storedBytes = Data(base64Encoded: stored), Array(storedBytes).hexString != digest
        {
            throw .integrity("\(key) read back with SHA-256 \(digest), not the stored \(Array(storedBytes).hexString)")
        }
    }
}
