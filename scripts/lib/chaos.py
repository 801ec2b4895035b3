"""The chaos run behind scripts/chaos: `auris up` and the fake OpenAI, a steady stream
of uploads from several accounts, and SIGKILLs of workers, the API or the whole `up` at
random moments. Then it checks what a paying user relies on:

  1. every accepted job reached a terminal state;
  2. no job ran to success twice: the fake's answered speech and transcription calls
     per job (the inputs name the audio's hash) repeat only for calls in flight at a kill;
  3. every account's balance is its grants minus its succeeded jobs' credits, none held;
  4. every accepted upload is a job of its account, idempotent replays gave the same job;
     an upload that got no answer (cut off by a kill) is resolved: replayed with its
     Idempotency-Key, or found (or not) in the account's job list, and its money counted;
  5. the run did work: uploads were accepted, and every accepted job that was not
     canceled succeeded unless an injected fault explains its failure; only jobs the
     load asked to cancel were canceled;
  6. no child of `auris up` outlives it: a worker still running after its parent was
     SIGKILLed means the parent watch is broken (reported, then killed);
  7. `auris ledger verify` passes.

With --database-url (a PostgreSQL cluster), the run gets a fresh database there and
every `auris` it starts is given it as AURIS_DATABASE_URL. With --media-url (an S3
store, with the AWS_* variables in the environment), uploads and results go there,
under a prefix of the run's own. Without them, every `auris` runs on SQLite and a media
folder in the data folder.

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

from chaos_checks import FAULTS, Violations, check, ledger_verify, resolve_keyed
from harness import Fake, alive, free_port, make_clip, multipart, request, wait_ready
from pg_database import database_name, drop_database, fresh_database


def log(message):
    print("chaos: " + message, file=sys.stderr, flush=True)


class Up:
    """`auris up` on the run's data folder; restartable after a SIGKILL."""

    def __init__(self, binary, data, port, workers, concurrency, environment):
        self.binary, self.data, self.port = binary, data, port
        self.workers, self.concurrency, self.environment = workers, concurrency, environment
        self.process = None
        self.log = open(os.path.join(data, "up.log"), "ab")
        # How long children may take to notice a dead parent and drain (their shutdown
        # grace is 2 s; the rest is slack for a loaded machine).
        self.drain_seconds = 30.0

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

    def ours(self):
        """pid → command line of every live process of this run (its environment names
        the run's data folder): `up`, its children, and children whose parent died."""
        marker = b"\0AURIS_DATA_DIR=" + self.data.encode() + b"\0"
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or not alive(int(entry)):
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if marker not in b"\0" + handle.read():
                        continue
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    found[int(entry)] = handle.read().replace(b"\0", b" ").decode().strip()
            except OSError:
                continue
        return found

    def kill_all(self, deadline, violations):
        """SIGKILL `up`; its children must see their parent gone and drain by `deadline`.
        One still alive then is a broken parent watch: reported, then killed."""
        self.process.kill()
        self.process.wait()
        while time.monotonic() < deadline and self.ours():
            time.sleep(0.05)
        self.kill_leftovers(f"outlived a SIGKILLed auris up by {self.drain_seconds:.0f} s (parent watch broken?)", violations)

    def kill_leftovers(self, why, violations):
        for pid, command in self.ours().items():
            if violations is not None:
                violations.add(f"pid {pid} `{command}` {why}")
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def stop(self, violations=None):
        """SIGTERM `up` and wait for it; a process of the run still alive after that is
        killed, and reported when `violations` is given."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                if violations is not None:
                    violations.add("auris up did not stop within 60 s of SIGTERM")
                self.process.kill()
                self.process.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.ours():
            time.sleep(0.05)
        self.kill_leftovers("still running 10 s after auris up stopped", violations)


# ---------------------------------------------------------------- load

class Account:
    def __init__(self, name, key, account_id, credits):
        self.name, self.key, self.id, self.granted = name, key, account_id, credits
        self.accepted = set()     # job ids answered 202
        self.replays = 0
        self.refused = 0
        self.cancel_asked = set()  # job ids the load sent a DELETE for (answered or not)
        # Uploads that got no answer: (Idempotency-Key or None, fields, clip, seconds).
        self.unanswered = []
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
            fields = {"target_language": rng.choice(["fr", "de", "es"])}
            status, answer = self.upload(auth, clip, key, fields)
            if status == 0:
                with account.lock:
                    account.unanswered.append((key, fields, clip, seconds))
            elif status == 202:
                job = answer["id"]
                with account.lock:
                    account.accepted.add(job)
                if idempotent:
                    again, replay = self.upload(auth, clip, key, fields)
                    if again == 202 and replay.get("id") != job:
                        self.violations.add(f"{account.name}: replayed key {key} made job {replay.get('id')}, not {job}")
                    if again == 202:
                        account.replays += 1
                if rng.random() < 0.15:
                    time.sleep(rng.uniform(0.05, 1.5))
                    with account.lock:
                        account.cancel_asked.add(job)
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

    def upload(self, auth, clip, key, fields):
        """Posts the clip; a request cut off by a kill is retried when it has an
        idempotency key (the point of having one), else given up."""
        body, content_type = multipart(fields, "clip.wav", clip)
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
    parser.add_argument("--keep", action="store_true", help="keep the data folder (and database)")
    parser.add_argument("--database-url", default=os.environ.get("CHAOS_DATABASE_URL") or None,
                        help="a PostgreSQL cluster to make the run's database on (default: SQLite)")
    parser.add_argument("--media-url", default=os.environ.get("CHAOS_MEDIA_URL") or None,
                        help="an s3:// media store to put the run's media under (default: the data folder)")
    arguments = parser.parse_args()
    if arguments.cycles < 1 or arguments.cycles > 1000:
        raise SystemExit("chaos: CHAOS_CYCLES must be 1 to 1000")
    rng = random.Random(arguments.seed)
    started = time.monotonic()
    deadline = started + arguments.time_limit
    log(f"seed {arguments.seed}, {arguments.cycles} cycles, {arguments.workers} workers × {arguments.concurrency} slots")

    database_url = fresh_database(arguments.database_url, "auris_chaos") if arguments.database_url else None
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
        for endpoint, fault, after, _ in FAULTS:
            fake.control("/_fake/faults", {"endpoint": endpoint, "fault": fault, "count": 1, "afterCalls": after})

        environment = dict(os.environ)
        environment.update({
            "AURIS_DATA_DIR": data, "AURIS_ENGINE": "openai", "OPENAI_API_KEY": "sk-chaos",
            "OPENAI_BASE_URL": fake.base + "/v1", "AURIS_LEASE_SECONDS": "4", "AURIS_SHUTDOWN_GRACE_SECONDS": "2",
            "AURIS_RETRY_BASE_MS": "200", "AURIS_POLL_MS": "200", "AURIS_MAX_ATTEMPTS": "8",
            "AURIS_LOG_LEVEL": "info",
        })
        # Every auris of the run gets the run's database, or none (SQLite in `data`),
        # whatever the caller's environment says.
        environment.pop("AURIS_DATABASE_URL", None)
        if database_url:
            environment["AURIS_DATABASE_URL"] = database_url
            log("on PostgreSQL, database " + database_name(database_url))
        environment.pop("AURIS_MEDIA_URL", None)
        if arguments.media_url:
            path, _, query = arguments.media_url.partition("?")
            environment["AURIS_MEDIA_URL"] = f"{path.rstrip('/')}/chaos-{arguments.seed}?{query}"
            log("media in " + environment["AURIS_MEDIA_URL"].partition("?")[0])
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
                up.kill_all(time.monotonic() + up.drain_seconds, violations)
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
        unanswered = sum(len(account.unanswered) for account in accounts)
        keyed_queued, keyed_not_queued = resolve_keyed(load, accounts, violations)

        totals, repeated_speech, repeated_transcriptions, allowed = check(
            base, accounts, fake, slots_killed, int(environment["AURIS_MAX_ATTEMPTS"]), violations)
        up.stop(violations)
        ledger = ledger_verify(arguments.auris, environment, violations)
        accepted = sum(len(account.accepted) for account in accounts)
        refused = sum(account.refused for account in accounts)
        replays = sum(account.replays for account in accounts)
        print(
            f"chaos: {'OK' if not violations else 'FAILED'} seed={arguments.seed} cycles={arguments.cycles} "
            f"kills=worker:{kills['worker']},api:{kills['api']},up:{kills['up']} accepted={accepted} "
            f"succeeded={totals['succeeded']} failed={totals['failed']} canceled={totals['canceled']} "
            f"refused_402={refused} replays={replays} cut_off={counters['cut_off']} "
            f"unanswered={unanswered}(queued:{keyed_queued + totals['unkeyed_found']},not_queued:{keyed_not_queued},"
            f"unkeyed_not_queued:{unanswered - keyed_queued - keyed_not_queued - totals['unkeyed_found']}) "
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
            log("data kept in " + data + (" (and its PostgreSQL database)" if database_url else ""))
        else:
            shutil.rmtree(data, ignore_errors=True)
            if database_url:
                drop_database(arguments.database_url, database_url)


if __name__ == "__main__":
    sys.exit(main())
