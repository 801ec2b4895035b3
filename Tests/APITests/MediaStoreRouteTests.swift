import API
import AurisTestSupport
import AsyncHTTPClient
import Foundation
import HTTPTransport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import MediaStore
import NIOCore
import Queue
import Testing

/// The API's side of the media store: an upload the store will not take is refused with
/// nothing left anywhere, and a result is streamed from the store or redirected to it.
@Suite(.timeLimit(.minutes(5))) struct MediaStoreRouteTests {
    /// The test's store, refusing every put of a key whose last segment is `refusedName`.
    struct RefusingPuts: MediaStore {
        let store: any MediaStore
        let refusedName: String

        func put(fileAtPath filePath: String, as key: MediaKey, sha256Hex: String) async throws {
            if key.segments.last == refusedName { throw MediaStoreError.unavailable("the test's store refuses \(key)") }
            try await store.put(fileAtPath: filePath, as: key, sha256Hex: sha256Hex)
        }
        func get(_ key: MediaKey, toFileAtPath filePath: String) async throws -> Int64 { try await store.get(key, toFileAtPath: filePath) }
        func read(_ key: MediaKey, into write: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws -> Int64 {
            try await store.read(key, into: write)
        }
        func sizeBytes(of key: MediaKey) async throws -> Int64? { try await store.sizeBytes(of: key) }
        func delete(_ key: MediaKey) async throws { try await store.delete(key) }
        func presignedGetURL(for key: MediaKey, expiresInSeconds: Int) throws -> String? {
            try store.presignedGetURL(for: key, expiresInSeconds: expiresInSeconds)
        }
    }

    @Test("a store that refuses the upload's second file: 503 media_store_unavailable, the first removed, nothing held")
    func aRefusedPutLeavesNothing() async throws {
        let harness = try await APIHarness.make { $0.media = RefusingPuts(store: $0.media, refusedName: "subtitles") }
        defer { harness.remove() }
        let audio = try await AudioFixtures.wavBytes(seconds: 3)
        try await harness.expectNothingChanged("no credits held, no job, no object, row or spool folder") {
            try await harness.application().test(.router) { client in
                let response = try await client.upload(.upload(audio: audio), as: harness.alice)
                #expect(response.status == .serviceUnavailable)
                #expect(try response.errorCode() == "media_store_unavailable")
            }
        }
        #expect(try await harness.leftoverUploads() == [])
        #expect(try await harness.store.violations() == [])
    }

    @Test("AURIS_RESULT_REDIRECT: a store that signs URLs redirects to one that serves the result; a folder streams it")
    func resultRedirect() async throws {
        let harness = try await APIHarness.make { $0.resultRedirectSeconds = 300 }
        defer { harness.remove() }
        let mp3 = try AudioFixtures.bytes(try await AudioFixtures.mp3(seconds: 1))
        try await harness.application().test(.router) { client in
            let audio = try await AudioFixtures.wavBytes(seconds: 2)
            let id = try #require(try await client.upload(.upload(audio: audio), as: harness.alice).json()["id"] as? String)
            let claimed = try #require(try await harness.queue.claim(owner: "w"))
            try await harness.succeed(claimed, result: mp3)

            let response = try await client.get("/api/dub/\(id)/result", as: harness.alice)
            if try harness.store.media.presignedGetURL(for: try MediaKey.result(jobID: id, fileExtension: "mp3"), expiresInSeconds: 60) != nil {
                #expect(response.status == .temporaryRedirect)
                let location = try #require(response.headers[.location])
                // Anyone holding the URL gets the bytes, with no key of ours.
                let answer = try await OutboundHTTP.send(.init(url: location), timeoutSeconds: 30, maxAnswerBytes: 1 << 20)
                #expect(answer.status == 200)
                #expect(Array(answer.body.readableBytesView) == mp3)
            } else {
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == mp3)
            }
        }
    }
}
