"""The worker benchmark behind scripts/bench.d/worker: how many 30-second clips Auris
dubs per minute with 1, 2 and 4 worker processes (one job slot each), against the fake
OpenAI answering every call after a fixed latency, and what each job costs outside its
provider calls.

For each worker count: a new data folder, four accounts (a customer may run only two
jobs at once), every clip uploaded through `auris serve` while no worker runs, then the
workers start together. Throughput is the number of jobs over the span from the first
job's start to the last one's end, as the database recorded them. Per-job times come
from the workers' `job settled` log lines: `elapsed_ms` (the attempt), `provider_wait_ms`
(time with a provider call in flight) and `overhead_ms` (the rest: ffmpeg, files,
bookkeeping). Every job must succeed and `auris ledger verify` must pass, or the run
fails. One JSON line per worker count on stdout.
"""
import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

from harness import Fake, auris_environment, clean_up, free_port, make_clip, multipart, request, stop_and_verify, wait_ready

ACCOUNTS = 4
SETTLED = re.compile(r"elapsed_ms=(\d+).*overhead_ms=(\d+).*provider_wait_ms=(\d+)")


def log(message):
    print("worker bench: " + message, file=sys.stderr, flush=True)


def run(arguments, fake, workers, jobs, rng):
    data = tempfile.mkdtemp(prefix="auris-worker-bench-")
    environment = auris_environment(data, fake)
    processes = []
    finished = False
    try:
        credits_per_job = -(-arguments.clip_seconds // 10)
        keys = []
        for index in range(ACCOUNTS):
            created = subprocess.run(
                [arguments.auris, "accounts", "create", "--name", f"bench-{index}",
                 "--credits", str(credits_per_job * jobs)],
                env=environment, capture_output=True, text=True, check=True)
            keys.append(json.loads(created.stdout)["api_key"])

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve_log = open(os.path.join(data, "serve.log"), "wb")
        processes.append(subprocess.Popen([arguments.auris, "serve", "--port", str(port)],
                                          env=environment, stdout=serve_log, stderr=serve_log))
        wait_ready(base, time.monotonic() + 60)
        for index in range(jobs):
            body, content_type = multipart({"target_language": "fr"}, "clip.wav",
                                           make_clip(arguments.clip_seconds, rng))
            status, answer, _ = request("POST", base + "/api/dub", body, {
                "Authorization": "Bearer " + keys[index % ACCOUNTS], "Content-Type": content_type})
            if status != 202:
                raise SystemExit(f"worker bench: upload {index} answered {status}: {answer}")

        worker_logs = []
        for index in range(workers):
            path = os.path.join(data, f"worker-{index}.log")
            worker_logs.append(path)
            handle = open(path, "wb")
            processes.append(subprocess.Popen([arguments.auris, "worker", "--concurrency", "1"],
                                              env=environment, stdout=handle, stderr=handle))
        database = sqlite3.connect(f"file:{data}/auris.sqlite?mode=ro", uri=True, timeout=30)
        deadline = time.monotonic() + arguments.time_limit
        while True:
            (open_jobs,) = database.execute(
                "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()
            if open_jobs == 0:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"worker bench: {open_jobs} jobs still open after {arguments.time_limit} s; see {data}")
            time.sleep(0.1)
        states = dict(database.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
        first_start, last_end = database.execute(
            "SELECT min(started_at_ms), max(finished_at_ms) FROM jobs").fetchone()
        database.close()
        if states != {"succeeded": jobs}:
            raise SystemExit(f"worker bench: jobs ended as {states}; see {data}")

        stop_and_verify(processes, arguments.auris, environment, "worker bench")

        attempts = []
        for path in worker_logs:
            with open(path, errors="replace") as handle:
                for line in handle:
                    if "job settled" in line and (match := SETTLED.search(line)):
                        attempts.append(tuple(int(value) / 1000 for value in match.groups()))
        if len(attempts) != jobs:
            raise SystemExit(f"worker bench: {len(attempts)} settled attempts logged for {jobs} jobs; see {data}")
        span_seconds = (last_end - first_start) / 1000
        finished = True
        return {
            "bench": "worker", "workers": workers, "jobs": jobs, "clip_seconds": arguments.clip_seconds,
            "call_latency_ms": arguments.latency_ms,
            "jobs_per_minute": round(jobs / span_seconds * 60, 1),
            "job_seconds_p50": round(statistics.median(a[0] for a in attempts), 2),
            "provider_wait_seconds_p50": round(statistics.median(a[2] for a in attempts), 2),
            "overhead_seconds_p50": round(statistics.median(a[1] for a in attempts), 2),
            "overhead_seconds_max": round(max(a[1] for a in attempts), 2),
        }
    finally:
        clean_up(processes, data, not finished, log)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--auris", required=True)
    parser.add_argument("--fake-openai", required=True)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--jobs-per-worker", type=int, default=12)
    parser.add_argument("--clip-seconds", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=600, help="seconds per worker count")
    arguments = parser.parse_args()
    rng = random.Random(7)
    fake = Fake(arguments.fake_openai)
    try:
        for endpoint in ("transcriptions", "chat_completions", "speech"):
            fake.control("/_fake/latency", {"endpoint": endpoint, "milliseconds": arguments.latency_ms})
        baseline = None
        for workers in (int(value) for value in arguments.workers.split(",")):
            jobs = workers * arguments.jobs_per_worker
            log(f"{workers} worker(s), {jobs} jobs of {arguments.clip_seconds} s")
            result = run(arguments, fake, workers, jobs, rng)
            baseline = baseline or result["jobs_per_minute"] / workers
            result["speedup"] = round(result["jobs_per_minute"] / baseline, 2)
            print(json.dumps(result), flush=True)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
