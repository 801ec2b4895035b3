import AurisTestSupport
import Foundation
import Media
import Testing

@Suite(.timeLimit(.minutes(5))) struct FFmpegCommandTests {
    @Test func returnsStandardOutput() async throws {
        let output = try await FFmpegCommand(executable: "printf", arguments: ["hello"], timeoutSeconds: 10).run()
        #expect(String(decoding: output, as: UTF8.self) == "hello")
    }

    @Test func aFailureCarriesTheTailOfStandardError() async throws {
        let error = await #expect(throws: FFmpegError.self) {
            _ = try await FFmpegCommand.ffmpeg(["-i", "/nonexistent/input.wav", "-f", "null", "-"], timeoutSeconds: 10).run()
        }
        #expect(error?.code == .failed)
        #expect(error?.exitStatus != 0)
        #expect(error?.standardErrorTail.contains("No such file") == true)
    }

    @Test func aMissingToolIsALaunchFailure() async throws {
        let error = await #expect(throws: FFmpegError.self) {
            _ = try await FFmpegCommand(executable: "no-such-tool-auris", arguments: [], timeoutSeconds: 10).run()
        }
        #expect(error?.code == .launchFailed)
    }

    @Test func aRunPastItsTimeLimitIsStopped() async throws {
        let startedAt = ContinuousClock.now
        let error = await #expect(throws: FFmpegError.self) {
            _ = try await FFmpegCommand(executable: "sleep", arguments: ["120"], timeoutSeconds: 0.3).run()
        }
        #expect(error?.code == .timedOut)
        // Far less than the 120 s the child would take; generous for a busy two-core machine.
        #expect(ContinuousClock.now - startedAt < .seconds(60))
    }

    @Test func cancellationStopsARunningChild() async throws {
        let folder = try TemporaryDirectory("auris-dubbing")
        defer { folder.remove() }
        let marker = folder.appending("started")
        // The child ignores SIGTERM (an ignored signal stays ignored across exec), so only
        // the SIGKILL after the grace period ends it.
        let command = FFmpegCommand(
            executable: "sh", arguments: ["-c", "trap '' TERM; touch '\(marker)'; exec sleep 120"],
            timeoutSeconds: 60, terminationGraceSeconds: 0.5
        )
        let run = Task { try await command.run() }
        while !FileManager.default.fileExists(atPath: marker) { try await Task.sleep(for: .milliseconds(10)) }
        let canceledAt = ContinuousClock.now
        run.cancel()
        let result = await run.result
        #expect(ContinuousClock.now - canceledAt < .seconds(20))
        #expect(throws: FFmpegError.self) { try result.get() }
        if case .failure(let error as FFmpegError) = result { #expect(error.code == .canceled) }
    }

    @Test func cancellationBeforeTheStartLaunchesNothing() async throws {
        let run = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await FFmpegCommand(executable: "sleep", arguments: ["30"], timeoutSeconds: 60).run()
        }
        let result = await run.result
        if case .failure(let error as FFmpegError) = result { #expect(error.code == .canceled) } else { Issue.record("expected a cancellation") }
    }

    @Test func outputBeyondTheLimitFailsInsteadOfBeingCut() async throws {
        let error = await #expect(throws: FFmpegError.self) {
            _ = try await FFmpegCommand(executable: "head", arguments: ["-c", "5000", "/dev/zero"], timeoutSeconds: 10, maxOutputBytes: 1000).run()
        }
        #expect(error?.code == .failed)
    }
}
