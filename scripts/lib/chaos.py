"""The chaos run behind scripts/chaos: `auris up` and the fake OpenAI, a steady stream
of uploads from several accounts, and SIGKILLs of workers, the API or the whole `up` at
random moments. Then it checks what a paying user relies on:

  1. every accepted job reached a terminal state;
  2. no job ran to success twice: the fake's answered speech and transcription calls
     per job (the inputs name the audio's hash) repeat only for calls in flight at a kill;
  3. every account's balance is its grants minus its succeeded jobs' credits, none held;
  4. every accepted upload is a job of its account, idempotent replays gave the same job;
  5. `auris ledger verify` passes.

Prints one summary line; exits 1 on any violation. Loopback only; bounded in time.
Standard library only.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from harness import Fake, alive, free_port, make_clip, multipart, request, wait_ready

TERMINAL = {"succeeded", "failed", "canceled"}


class Violations(list):
    def add(self, message):
        self.append(message)
        print("chaos: VIOLATION " + message, file=sys.stderr)


def log(message):
    print("chaos: " + message, file=sys.stderr, flush=True)


class Up:
    """`auris up` on the run's data folder; restartable after a SIGKILL."""

    def __init__(self, binary, data, port, workers, concurrency, environment):
        self.binary, self.data, self.port = binary, data, port
        self.workers, self.concurrency, self.environment = workers, concurrency, environment
        self.process = None
        self.log = open(os.path.join(data, "up.log"), "ab")

    def start(self, deadline):
        self.process = subprocess.Popen(
            [self.binary, "up", "--port", str(self.port), "--workers", str(self.workers),
             "--concurrency", str(self.concurrency)],
            env=self.environment, stdin=subprocess.PIPE, stdout=self.log, stderr=self.log)
        while time.monotonic() < deadline:
            status, _, _ = request("GET", f"http://127.0.0.1:{self.port}/readyz", timeout=2)
            if status == 200:
                return
            if self.process.poll() is not None:
                raise SystemExit("chaos: auris up exited at start; see " + self.log.name)
            time.sleep(0.1)
        raise SystemExit("chaos: auris up did not become ready")

    def children(self):
        """pid → command line of up's children."""
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                if parent != self.process.pid:
                    continue
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    found[int(entry)] = handle.read().replace(b"\0", b" ").decode()
            except (OSError, ValueError, IndexError):
                continue
        return found

    def kill_all(self, deadline):
        """SIGKILL `up`; its children see their parent gone and drain; wait until they have."""
        orphans = list(self.children())
        self.process.kill()
        self.process.wait()
        while time.monotonic() < deadline and any(alive(pid) for pid in orphans):
            time.sleep(0.05)
        for pid in orphans:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------- load

class Account:
    def __init__(self, name, key, account_id, credits):
        self.name, self.key, self.id, self.granted = name, key, account_id, credits
        self.accepted = set()     # job ids answered 202
        self.replays = 0
        self.refused = 0
        self.lock = threading.Lock()


class Load:
    """Uploads from one thread per account until told to stop."""

    def __init__(self, base, accounts, seed, counters):
        self.base, self.accounts, self.counters = base, accounts, counters
        self.stop = threading.Event()
        self.violations = Violations()
        self.threads = [threading.Thread(target=self.run, args=(account, seed + index), daemon=True)
                        for index, account in enumerate(accounts)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def run(self, account, seed):
        rng = random.Random(seed)
        auth = {"Authorization": "Bearer " + account.key}
        while not self.stop.is_set():
            seconds = rng.choice([2.5, 4, 6, 9, 14])
            clip = make_clip(seconds, rng)
            idempotent = rng.random() < 0.25
            key = "chaos-" + uuid.uuid4().hex if idempotent else None
            status, answer = self.upload(auth, clip, key, rng)
            if status == 202:
                job = answer["id"]
                with account.lock:
                    account.accepted.add(job)
                if idempotent:
                    again, replay = self.upload(auth, clip, key, rng)
                    if again == 202 and replay.get("id") != job:
                        self.violations.add(f"{account.name}: replayed key {key} made job {replay.get('id')}, not {job}")
                    if again == 202:
                        account.replays += 1
                if rng.random() < 0.15:
                    time.sleep(rng.uniform(0.05, 1.5))
                    code, _, _ = request("DELETE", f"{self.base}/api/dub/{job}", headers=auth)
                    if code in (200, 202):
                        self.counters["cancel_requests"] += 1
                    elif code not in (0, 409):
                        self.violations.add(f"{account.name}: cancel of {job} answered {code}")
            elif status == 402:
                account.refused += 1
            elif status not in (0, 429, 503):
                self.violations.add(f"{account.name}: upload answered {status}: {answer}")
            self.stop.wait(rng.uniform(0.8, 2.0))

    def upload(self, auth, clip, key, rng):
        """Posts the clip; a request cut off by a kill is retried when it has an
        idempotency key (the point of having one), else given up."""
        body, content_type = multipart({"target_language": rng.choice(["fr", "de", "es"])}, "clip.wav", clip)
        headers = dict(auth, **{"Content-Type": content_type})
        if key:
            headers["Idempotency-Key"] = key
        for _ in range(40 if key else 1):
            status, answer, _ = request("POST", self.base + "/api/dub", body, headers)
            if status != 0:
                return status, answer
            self.counters["cut_off"] += 1
            time.sleep(0.25)
        return 0, {}


# ---------------------------------------------------------------- checks

def list_jobs(base, account):
    jobs, cursor = [], None
    for _ in range(100):
        path = "/api/dub?limit=100" + (f"&cursor={cursor}" if cursor else "")
        status, page, _ = request("GET", base + path, headers={"Authorization": "Bearer " + account.key})
        if status != 200:
            return None
        jobs += page.get("jobs", [])
        cursor = page.get("next_cursor")
        if not cursor:
            return jobs
    return None


def wait_until_settled(base, accounts, deadline):
    while time.monotonic() < deadline:
        everything = {}
        for account in accounts:
            jobs = list_jobs(base, account)
            if jobs is None:
                break
            everything[account.name] = jobs
        else:
            if all(job["status"] in TERMINAL for jobs in everything.values() for job in jobs):
                return everything
        time.sleep(0.5)
    return None


def check(base, accounts, fake, slots_killed, violations):
    everything = wait_until_settled(base, accounts, time.monotonic() + 180)
    if everything is None:
        violations.add("jobs still queued or running 180 s after the load stopped")
        everything = {account.name: list_jobs(base, account) or [] for account in accounts}

    # The fake names each job's audio in its answers: transcription inputs are "audio
    # <hash of the prepared audio>", and every speech input ends "of audio <hash>.".
    stats = fake.stats().get("answeredByInput", {})
    speech, transcriptions = stats.get("speech", {}), stats.get("transcriptions", {})
    repeated_speech = sum(count - 1 for count in speech.values())
    repeated_transcriptions = sum(count - 1 for count in transcriptions.values())
    # Only calls in flight when a process died may be paid again: at most one
    # transcription or four speech calls (the pipeline's parallelism) per slot killed.
    allowed = slots_killed * 4
    if repeated_speech > allowed:
        violations.add(f"{repeated_speech} speech calls repeated, more than the {allowed} in flight at kills")
    if repeated_transcriptions > slots_killed:
        violations.add(f"{repeated_transcriptions} transcriptions repeated, more than {slots_killed} in flight at kills")
    # A job run twice from the start would show its transcription and every one of its
    # speech calls twice; a kill mid-job repeats at most the step in flight.
    for audio, count in transcriptions.items():
        said = [times for text, times in speech.items() if text.rstrip(".").endswith(audio)]
        if count > 1 and said and min(said) > 1:
            violations.add(f"the job of {audio} ran twice: transcribed {count} times, every line spoken again")

    totals = {"succeeded": 0, "failed": 0, "canceled": 0}
    for account in accounts:
        jobs = {job["id"]: job for job in everything.get(account.name, [])}
        for job_id in account.accepted:
            if job_id not in jobs:
                violations.add(f"{account.name}: accepted job {job_id} is not listed")
        spent = 0
        for job in jobs.values():
            state = job["status"]
            if state not in TERMINAL:
                violations.add(f"{account.name}: job {job['id']} ended {state}")
                continue
            totals[state] += 1
            charged = job.get("credits_charged") or 0
            if state == "succeeded":
                spent += job["credits_reserved"]
                if charged != job["credits_reserved"]:
                    violations.add(f"{account.name}: job {job['id']} succeeded but charged {charged} of {job['credits_reserved']}")
            elif charged:
                violations.add(f"{account.name}: job {job['id']} {state} but charged {charged}")
        status, credits, _ = request("GET", base + "/api/credits", headers={"Authorization": "Bearer " + account.key})
        if status != 200:
            violations.add(f"{account.name}: /api/credits answered {status}")
            continue
        if credits["credits"] != account.granted - spent or credits["held"] != 0:
            violations.add(f"{account.name}: balance {credits['credits']} (held {credits['held']}), "
                           f"expected {account.granted} granted - {spent} spent, none held")
    return totals, repeated_speech, repeated_transcriptions, allowed


def ledger_verify(auris, environment, violations):
    result = subprocess.run([auris, "ledger", "verify"], env=environment, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        violations.add("auris ledger verify failed: " + (result.stdout + result.stderr).strip()[-2000:])
        return "FAILED"
    return "ok"


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--auris", required=True)
    parser.add_argument("--fake-openai", required=True)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--time-limit", type=float, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    arguments = parser.parse_args()
    if arguments.cycles < 1 or arguments.cycles > 1000:
        raise SystemExit("chaos: CHAOS_CYCLES must be 1 to 1000")
    rng = random.Random(arguments.seed)
    started = time.monotonic()
    deadline = started + arguments.time_limit
    log(f"seed {arguments.seed}, {arguments.cycles} cycles, {arguments.workers} workers × {arguments.concurrency} slots")

    data = tempfile.mkdtemp(prefix="auris-chaos-")
    fake = Fake(arguments.fake_openai)
    up = None
    load = None
    violations = Violations()
    try:
        # Latency makes kills land mid-call; the faults are retried (transient) or end a
        # job as failed (permanent), and every one of them must leave the ledger whole.
        for endpoint, milliseconds in (("speech", 150), ("transcriptions", 100), ("chat_completions", 100)):
            fake.control("/_fake/latency", {"endpoint": endpoint, "milliseconds": milliseconds})
        for endpoint, fault, after in (
            ("speech", {"serverError": {}}, 3), ("chat_completions", {"rateLimited": {"retryAfterSeconds": 1}}, 2),
            ("transcriptions", {"serverError": {}}, 5), ("speech", {"badRequest": {}}, 25),
            ("transcriptions", {"insufficientQuota": {}}, 20),
        ):
            fake.control("/_fake/faults", {"endpoint": endpoint, "fault": fault, "count": 1, "afterCalls": after})

        environment = dict(os.environ)
        environment.update({
            "AURIS_DATA_DIR": data, "AURIS_ENGINE": "openai", "OPENAI_API_KEY": "sk-chaos",
            "OPENAI_BASE_URL": fake.base + "/v1", "AURIS_LEASE_SECONDS": "4", "AURIS_SHUTDOWN_GRACE_SECONDS": "2",
            "AURIS_RETRY_BASE_MS": "200", "AURIS_POLL_MS": "200", "AURIS_MAX_ATTEMPTS": "8",
            "AURIS_LOG_LEVEL": "info",
        })
        accounts = []
        for name, credits in (("alice", 200), ("bob", 120), ("carol", 40), ("poor", 3)):
            result = subprocess.run([arguments.auris, "accounts", "create", "--name", name, "--credits", str(credits)],
                                    env=environment, capture_output=True, text=True, check=True)
            created = json.loads(result.stdout)
            accounts.append(Account(name, created["api_key"], created["id"], credits))

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        up = Up(arguments.auris, data, port, arguments.workers, arguments.concurrency, environment)
        up.start(deadline)
        counters = {"cut_off": 0, "cancel_requests": 0}
        load = Load(base, accounts, arguments.seed, counters)
        load.start()

        kills = {"worker": 0, "api": 0, "up": 0}
        slots_killed = 0
        for cycle in range(arguments.cycles):
            if time.monotonic() > deadline - 200:
                violations.add(f"out of time after {cycle} cycles")
                break
            time.sleep(rng.uniform(0.5, 3.0))
            roll = rng.random()
            children = up.children()
            workers = [pid for pid, command in children.items() if " worker " in command + " "]
            apis = [pid for pid, command in children.items() if " serve " in command]
            if roll < 0.25 or not workers:
                kills["up"] += 1
                slots_killed += len(workers) * arguments.concurrency
                up.kill_all(time.monotonic() + 30)
                up.start(deadline)
            elif roll < 0.35 and apis:
                kills["api"] += 1
                os.kill(rng.choice(apis), signal.SIGKILL)
            else:
                kills["worker"] += 1
                slots_killed += arguments.concurrency
                os.kill(rng.choice(workers), signal.SIGKILL)
        load.finish()
        violations.extend(load.violations)
        # The API may be restarting after a kill: wait for it before checking.
        wait_ready(base, deadline)

        totals, repeated_speech, repeated_transcriptions, allowed = check(
            base, accounts, fake, slots_killed, violations)
        up.stop()
        ledger = ledger_verify(arguments.auris, environment, violations)
        accepted = sum(len(account.accepted) for account in accounts)
        refused = sum(account.refused for account in accounts)
        replays = sum(account.replays for account in accounts)
        print(
            f"chaos: {'OK' if not violations else 'FAILED'} seed={arguments.seed} cycles={arguments.cycles} "
            f"kills=worker:{kills['worker']},api:{kills['api']},up:{kills['up']} accepted={accepted} "
            f"succeeded={totals['succeeded']} failed={totals['failed']} canceled={totals['canceled']} "
            f"refused_402={refused} replays={replays} cut_off={counters['cut_off']} "
            f"repeated_speech={repeated_speech}/{allowed} repeated_transcriptions={repeated_transcriptions} "
            f"ledger={ledger} violations={len(violations)} seconds={time.monotonic() - started:.0f}",
            flush=True)
        return 1 if violations else 0
    finally:
        if load:
            load.stop.set()
        if up:
            up.stop()
        fake.stop()
        if arguments.keep or violations:
            log("data kept in " + data)
        else:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
