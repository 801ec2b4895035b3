import API
import AurisTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MediaStore
import Queue
import Testing

/// Video uploads: accepted and charged by their audio, held to their own size limit,
/// refused without audio, and their results typed as video from the status to the download.
@Suite(.timeLimit(.minutes(5))) struct VideoUploadTests {
    /// 14 s of video with 8 s of audio: charged one credit, not two.
    static func clip() async throws -> [UInt8] {
        try await AudioFixtures.video("clip.mp4", TestVideo(seconds: 14, audioSeconds: 8))
    }

    static func form(_ video: [UInt8], filename: String = "clip.mp4", fields: [String: String] = [:]) -> MultipartForm {
        .upload(audio: video, filename: filename, fields: fields.merging(["target_language": "fr"]) { mine, _ in mine })
    }

    @Test("a video is charged by its audio, and its status says the result is a video with the original kept")
    func chargedByItsAudio() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let video = try await Self.clip()
        try await harness.application().test(.router) { client in
            let response = try await client.upload(Self.form(video), as: harness.alice)
            #expect(response.status == .accepted)
            let json = try response.json()
            #expect(abs((json["duration_seconds"] as? Double ?? 0) - 8) < 0.05)
            #expect(json["credits_reserved"] as? Int == 1)
            let id = try #require(json["id"] as? String)
            let status = try await client.get("/api/dub/\(id)", as: harness.alice).json()
            let result = try #require(status["result"] as? [String: Any])
            #expect(result["content_type"] as? String == "video/mp4")
            #expect(result["file_extension"] as? String == "mp4")
            #expect(result["video"] as? Bool == true)
            #expect(result["original_track"] as? Bool == true)
        }
        #expect(try await harness.store.violations() == [])
    }

    @Test("original=drop is kept with the job; a WebM's result is a WebM; an audio upload's an MP3")
    func resultTypes() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let webm = try await AudioFixtures.video("clip.webm", TestVideo(seconds: 3))
        let audio = try await AudioFixtures.wavBytes(seconds: 3)
        try await harness.application().test(.router) { client in
            let uploads: [(MultipartForm, String, Bool)] = [
                (Self.form(webm, filename: "clip.webm", fields: ["original": "drop"]), "video/webm", false),
                (.upload(audio: audio), "audio/mpeg", false),
            ]
            for (form, contentType, originalTrack) in uploads {
                let response = try await client.upload(form, as: harness.alice)
                #expect(response.status == .accepted)
                let id = try #require(try response.json()["id"] as? String)
                let result = try #require(try await client.get("/api/dub/\(id)", as: harness.alice).json()["result"] as? [String: Any])
                #expect(result["content_type"] as? String == contentType)
                #expect(result["original_track"] as? Bool == originalTrack)
            }
            let bad = try await client.upload(Self.form(webm, filename: "clip.webm", fields: ["original": "sideways"]), as: harness.alice)
            #expect(bad.status == .badRequest)
            #expect(try bad.errorCode() == "invalid_request")
        }
    }

    @Test("original is part of the request an Idempotency-Key names")
    func originalInTheFingerprint() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let video = try await Self.clip()
        let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "video-1"]
        try await harness.application().test(.router) { client in
            #expect(try await client.upload(Self.form(video), as: harness.alice, headers: key).status == .accepted)
            let replay = try await client.upload(Self.form(video, fields: ["original": "keep"]), as: harness.alice, headers: key)
            #expect(replay.status == .accepted && replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let other = try await client.upload(Self.form(video, fields: ["original": "drop"]), as: harness.alice, headers: key)
            #expect(other.status == .unprocessableContent)
            #expect(try other.errorCode() == "idempotency_conflict")
        }
        #expect(try await harness.jobCount() == 1)
    }

    @Test("a video without audio is refused with 422, nothing held and nothing stored")
    func noAudioTrack() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let silent = try await AudioFixtures.video("silent.mp4", TestVideo(seconds: 3, hasAudio: false))
        try await harness.application().test(.router) { client in
            try await harness.expectNothingChanged {
                let response = try await client.upload(Self.form(silent), as: harness.alice)
                #expect(response.status == .unprocessableContent)
                #expect(try response.errorCode() == "invalid_audio")
                let message = try #require((try response.json()["error"] as? [String: Any])?["message"] as? String)
                #expect(message.contains("no audio track"))
            }
        }
    }

    @Test("audio is held to AURIS_MAX_UPLOAD_BYTES and video to AURIS_MAX_VIDEO_BYTES")
    func eachKindHasItsLimit() async throws {
        let video = try await Self.clip()
        let audio = try await AudioFixtures.wavBytes(seconds: 3)
        let audioLimit = Int64(min(video.count, audio.count) - 1)
        let harness = try await APIHarness.make { $0.maxUploadBytes = audioLimit }
        defer { harness.remove() }
        try await harness.application().test(.router) { client in
            try await harness.expectNothingChanged {
                let refused = try await client.upload(.upload(audio: audio), as: harness.alice)
                #expect(refused.status == .contentTooLarge)
                #expect((try refused.json()["error"] as? [String: Any])?["limit_bytes"] as? Int == Int(audioLimit))
            }
            #expect(try await client.upload(Self.form(video), as: harness.alice).status == .accepted)
        }

        let small = try await APIHarness.make { $0.maxVideoUploadBytes = Int64(video.count - 1) }
        defer { small.remove() }
        try await small.application().test(.router) { client in
            try await small.expectNothingChanged {
                let refused = try await client.upload(Self.form(video), as: small.alice)
                #expect(refused.status == .contentTooLarge)
                #expect(try refused.errorCode() == "payload_too_large")
            }
        }
    }

    @Test("a video result downloads with its own type and file name")
    func downloadType() async throws {
        let harness = try await APIHarness.make()
        defer { harness.remove() }
        let video = try await Self.clip()
        try await harness.application().test(.router) { client in
            let id = try #require(try await client.upload(Self.form(video), as: harness.alice).json()["id"] as? String)
            let claimed = try #require(try await harness.queue.claim(owner: "w"))
            try await harness.succeed(claimed, result: video, fileExtension: "mp4")

            let download = try await client.get("/api/dub/\(id)/result", as: harness.alice)
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "video/mp4")
            #expect(download.headers[.contentDisposition] == "attachment; filename=\"\(id).mp4\"")
            #expect(Array(download.body.readableBytesView) == video)
        }
    }
}
