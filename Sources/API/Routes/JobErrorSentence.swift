/// What a failed or canceled job tells its customer: a stable code and one sentence per
/// code. The detail the worker recorded (a provider's raw answer, a command line, a
/// path on a worker host) stays in the job row and the worker's log, for the operator.
enum JobErrorSentence {
    static func forCode(_ code: String) -> String {
        switch code {
        case "canceled":
            "Canceled. Nothing was charged."
        case "provider_rate_limited", "provider_unavailable", "provider_timeout", "provider_connection", "provider_bad_response":
            "The dubbing provider was unavailable or answered badly every time we tried. Nothing was charged; try again later."
        case "insufficient_quota", "provider_unauthorized", "invalid_configuration":
            "This server cannot reach its dubbing provider right now. Nothing was charged; the operator can see why."
        case "provider_rejected":
            "The dubbing provider refused this audio or its text. Nothing was charged."
        case "diarization_refused":
            "The dubbing provider could not tell the speakers apart in this audio. Nothing was charged; try again with one voice (speakers=one)."
        case "invalid_audio":
            "The audio could not be read for dubbing. Nothing was charged."
        case "invalid_subtitles":
            "The subtitles could not be read. Nothing was charged."
        case "too_much_text":
            "There is more text to speak than the audio's length allows. Nothing was charged."
        case "no_speech":
            "No speech was found in the audio. Nothing was charged."
        case "engine_unsupported":
            "This server cannot dub this request. Nothing was charged."
        case "ffmpeg_failed", "ffmpeg_timeout", "storage_failed":
            "Processing the audio failed on our side. Nothing was charged; try again."
        case "worker_lost":
            "The worker running this job stopped too many times. Nothing was charged; try again."
        default:
            "The job failed. Nothing was charged."
        }
    }
}
