"""The long-file benchmark behind scripts/bench.d/long: one long clip (10 minutes; 3 with
BENCH_QUICK=1) dubbed end to end by `auris serve` + one `auris worker` against the fake
OpenAI with realistic latencies and request limits, and the job's wall time against the
floor those latencies and limits set.

The fake (flags of Tests/fake-openai):
  transcription  T0 + T1 * audio seconds    per call   (500 ms + 40 ms/s: 25x real time)
  chat           C0                         per call   (600 ms)
  speech         S0 + S1 * characters       per call   (300 ms + 8 ms/character)
  speech limit   B requests per W seconds, refilled evenly (120 per 60 s), with
                 x-ratelimit-*-requests headers on every answer and 429 + Retry-After past it;
                 transcriptions 50 per 60 s and chat 500 per 60 s (not reached).

The floor is what the provider's latencies and limits leave, for the same work (the job's
own speech calls, as the fake counted them), with unlimited concurrency on our side:
  floor = T_transcribe + T_translate + T_speech
  T_transcribe = T0 + T1 * D / n     the n = ceil(D / P) pieces of P seconds (the worker's
                                     AURIS_TRANSCRIBE_PIECE_SECONDS, 120) all at once
  T_translate  = C0                  every batch at once
  T_speech     = max over k of  max(0, (k - B) / r) + L_k
                 the k-th call (k = 1..N) can start no sooner than the bucket allows
                 (B at once, then r = B / W a second); L_k = S0 + S1 * characters, the
                 longest calls first (the best order).
Everything else in the job (fetching the upload, preparing pieces, assembling the dub,
storing the result) is the worker's own time, which the floor does not include.

Each variant runs in a fresh data folder: a 10-s warm-up job first (a long-running worker
has met the provider before and knows its limits), then the fake's counters and buckets
are reset and the long clip is uploaded. Wall time is the job's claim to its settle, as the
database records them. `--auris-before` runs a copy of the build before this work in the
same minutes (A/B); it has no rate limiter, so it is given 100 attempts and a 1 ms retry
base to get through the 429s. One JSON line per variant on stdout.
"""
import argparse
import json
import math
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

from harness import Fake, auris_environment, clean_up, free_port, make_clip, multipart, request, stop_and_verify, wait_ready

TRANSCRIBE = (500, 40)
CHAT = (600, 0)
SPEECH = (300, 8)
SPEECH_LIMIT = (120, 60)
OTHER_LIMITS = {"transcriptions": (50, 60), "chat_completions": (500, 60)}
PIECE_SECONDS = 120
SETTLED = re.compile(r"overhead_ms=(\d+).*provider_wait_ms=(\d+)")


def log(message):
    print("long bench: " + message, file=sys.stderr, flush=True)


def floor_seconds(clip_seconds, speech_texts):
    pieces = math.ceil(clip_seconds / PIECE_SECONDS)
    transcribe = (TRANSCRIBE[0] + TRANSCRIBE[1] * clip_seconds / pieces) / 1000
    translate = CHAT[0] / 1000
    burst, window = SPEECH_LIMIT
    rate = burst / window
    latencies = sorted(((SPEECH[0] + SPEECH[1] * len(text)) / 1000 for text in speech_texts), reverse=True)
    speech = max((max(0.0, (k - burst) / rate) + latency for k, latency in enumerate(latencies, start=1)), default=0)
    return transcribe + translate + speech, {"transcribe": round(transcribe, 2), "translate": translate, "speech": round(speech, 2)}


def wait_for_jobs(database, deadline, data):
    while True:
        (open_jobs,) = database.execute("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()
        if open_jobs == 0:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"long bench: a job is still open; see {data}")
        time.sleep(0.1)


def upload(base, key, seconds, rng):
    body, content_type = multipart({"target_language": "fr"}, "clip.wav", make_clip(seconds, rng))
    status, answer, _ = request("POST", base + "/api/dub", body, {
        "Authorization": "Bearer " + key, "Content-Type": content_type}, timeout=300)
    if status != 202:
        raise SystemExit(f"long bench: upload answered {status}: {answer}")
    return answer["id"]


def run(variant, auris, arguments, fake, rng):
    data = tempfile.mkdtemp(prefix="auris-long-bench-")
    environment = auris_environment(data, fake)
    if variant == "before":
        environment.update({"AURIS_MAX_ATTEMPTS": "100", "AURIS_RETRY_BASE_MS": "1"})
    processes = []
    finished = False
    try:
        created = subprocess.run(
            [auris, "accounts", "create", "--name", "bench", "--credits", str(arguments.clip_seconds // 10 + 10)],
            env=environment, capture_output=True, text=True, check=True)
        key = json.loads(created.stdout)["api_key"]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve_log = open(os.path.join(data, "serve.log"), "wb")
        processes.append(subprocess.Popen([auris, "serve", "--port", str(port)], env=environment,
                                          stdout=serve_log, stderr=serve_log))
        worker_log = os.path.join(data, "worker.log")
        handle = open(worker_log, "wb")
        processes.append(subprocess.Popen([auris, "worker", "--concurrency", "1"], env=environment,
                                          stdout=handle, stderr=handle))
        wait_ready(base, time.monotonic() + 60)
        database = sqlite3.connect(f"file:{data}/auris.sqlite?mode=ro", uri=True, timeout=30)

        upload(base, key, 10, rng)
        wait_for_jobs(database, time.monotonic() + 300, data)
        fake.control("/_fake/reset", {})
        job = upload(base, key, arguments.clip_seconds, rng)
        wait_for_jobs(database, time.monotonic() + arguments.time_limit, data)
        state, attempts, started, ended = database.execute(
            "SELECT state, attempts, started_at_ms, finished_at_ms FROM jobs WHERE id = ?", (job,)).fetchone()
        database.close()
        load = os.getloadavg()[0]
        stats = fake.stats()
        if state != "succeeded":
            raise SystemExit(f"long bench: the {variant} job ended {state} after {attempts} attempts; see {data}")
        stop_and_verify(processes, auris, environment, "long bench")
        with open(worker_log, errors="replace") as handle:
            settled = [match for line in handle if "job settled" in line and (match := SETTLED.search(line))]
        if stats.get("duplicates"):
            raise SystemExit(f"long bench: a call was paid twice: {stats['duplicates']}")

        speech_texts = [text for text, count in stats["answeredByInput"].get("speech", {}).items() for _ in range(count)]
        floor, parts = floor_seconds(arguments.clip_seconds, speech_texts)
        wall = (ended - started) / 1000
        finished = True
        return {
            "bench": "long", "variant": variant, "clip_seconds": arguments.clip_seconds, "attempts": attempts,
            "wall_seconds": round(wall, 2), "floor_seconds": round(floor, 2), "ratio": round(wall / floor, 3),
            "floor_parts": parts, "pieces": stats["answered"].get("transcriptions", 0),
            "speech_calls": stats["answered"].get("speech", 0),
            "rate_limited_429": stats.get("rateLimited", {}),
            "max_speech_in_flight": stats.get("maxInFlight", {}).get("speech", 0),
            # The last attempt's provider wait (calls in flight, rate-limit waits included) and
            # the worker's own time beside it (fetch, prepare, assemble, put, bookkeeping).
            "provider_wait_seconds": int(settled[-1].group(2)) / 1000 if settled else None,
            "overhead_seconds": int(settled[-1].group(1)) / 1000 if settled else None,
            "load_average_1m": round(load, 2),
        }
    finally:
        clean_up(processes, data, not finished, log)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--auris", required=True)
    parser.add_argument("--auris-before", help="a build before the parallel pieces and the rate limiter, for A/B")
    parser.add_argument("--fake-openai", required=True)
    parser.add_argument("--clip-seconds", type=int, default=600)
    parser.add_argument("--time-limit", type=float, default=900, help="seconds for the long job")
    arguments = parser.parse_args()
    rng = random.Random(17)
    flags = [
        "--latency", f"transcriptions={TRANSCRIBE[0]}+{TRANSCRIBE[1]}",
        "--latency", f"chat_completions={CHAT[0]}+{CHAT[1]}",
        "--latency", f"speech={SPEECH[0]}+{SPEECH[1]}",
        "--rate-limit", f"speech={SPEECH_LIMIT[0]}/{SPEECH_LIMIT[1]}",
    ]
    for endpoint, (requests, window) in OTHER_LIMITS.items():
        flags += ["--rate-limit", f"{endpoint}={requests}/{window}"]
    fake = Fake(arguments.fake_openai, flags)
    try:
        variants = ([("before", arguments.auris_before)] if arguments.auris_before else []) + [("after", arguments.auris)]
        for variant, auris in variants:
            log(f"{variant}: a {arguments.clip_seconds}-s clip")
            print(json.dumps(run(variant, auris, arguments, fake, rng)), flush=True)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
