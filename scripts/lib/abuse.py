"""The hostile-client run behind scripts/abuse: `auris up` on SQLite in a temporary data
folder, with the fake OpenAI, short header and body timeouts and small per-account
limits; each attack of scripts/lib/abuse_attacks.py is played in turn, and for each:

  1. it is refused with the documented status and `error.code` (or its connection closed
     at the timeout), within the attack's bound;
  2. the API process's memory stays bounded: peak RSS during the attack at most
     --rss-bound-mib above its RSS before;
  3. no credits move (every account's available and held credits; the bystander's
     upload in the probe flood holds its own price, nothing else);
  4. no file is left behind: the spool is empty again, no upload row or media object
     appears but the bystander's;
  5. another account is still served: its `GET /api/credits` polls answer within
     --bystander-bound seconds all along.

Then `auris ledger verify`. One line per attack on stdout (status, time to refuse, RSS
before/peak/after), a summary line; exit 1 on any violation. Loopback only.
"""
import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from abuse_attacks import ATTACKS
from abuse_http import form, post
from chaos import Up
from chaos_checks import Violations, ledger_verify
from harness import Fake, free_port, make_clip, request

UPLOAD_ID = re.compile(r"up_[0-9A-Z]{26}")


def log(message):
    print("abuse: " + message, file=sys.stderr, flush=True)


class Run:
    """What the attacks read: the server, the accounts and the limits of the run."""

    def __init__(self, arguments, port, keys, ids):
        self.port, self.keys, self.ids, self.long = port, keys, ids, arguments.long
        self.header_timeout, self.body_timeout = arguments.header_timeout, arguments.body_timeout
        self.max_uploads, self.max_streams = arguments.max_uploads, arguments.max_streams
        self.max_duration_seconds = arguments.max_duration
        self.problems, self.notes, self.bystander_jobs = [], {}, []
        self.streamer_job = self.session_cookie = self.csrf_token = None

    def key(self, name):
        return self.keys[name]


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Watch:
    """During an attack: the API's RSS every 0.1 s, and the bystander's polls."""

    def __init__(self, run, pid):
        self.run, self.pid = run, pid
        self.peak_kib = rss_kib(pid)
        self.slowest_poll = 0.0
        self.failed_polls = 0
        self.polls = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.sample, daemon=True), threading.Thread(target=self.poll, daemon=True)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        # At least one poll overlaps every attack, however quick its refusal.
        deadline = time.monotonic() + 30
        while self.polls == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def sample(self):
        while not self.stop.wait(0.1):
            self.peak_kib = max(self.peak_kib, rss_kib(self.pid))

    def poll(self):
        auth = {"Authorization": "Bearer " + self.run.key("bob")}
        while True:
            started = time.monotonic()
            status, _, _ = request("GET", f"http://127.0.0.1:{self.run.port}/api/credits", headers=auth, timeout=30)
            self.slowest_poll = max(self.slowest_poll, time.monotonic() - started)
            self.polls += 1
            if status != 200:
                self.failed_polls += 1
            if self.stop.wait(0.25):
                return


def balances(run):
    found = {}
    for name, key in run.keys.items():
        status, body, _ = request("GET", f"http://127.0.0.1:{run.port}/api/credits", headers={"Authorization": "Bearer " + key})
        found[name] = (body.get("credits"), body.get("held")) if status == 200 else None
    return found


def upload_rows(data):
    with sqlite3.connect(f"file:{data}/auris.sqlite?mode=ro", uri=True, timeout=10) as database:
        return {row[0]: row[1] for row in database.execute("SELECT id, account_id FROM uploads")}


def media_upload_ids(data):
    found = set()
    for root, _, files in os.walk(os.path.join(data, "media")):
        for name in files:
            found.update(UPLOAD_ID.findall(os.path.join(root, name)))
    return found


def spool_entries(data):
    try:
        return os.listdir(os.path.join(data, "spool"))
    except OSError:
        return []


def play(attack, run, data, pid, arguments, violations):
    name = attack.__name__
    before_balances, before_rows, before_media = balances(run), upload_rows(data), media_upload_ids(data)
    before_kib = rss_kib(pid)
    bystander_jobs = len(run.bystander_jobs)
    with Watch(run, pid) as watch:
        answer, status, code, bound = attack(run)
        # What the attack left must go within a moment of the refusal.
        deadline = time.monotonic() + 5
        while spool_entries(data) and time.monotonic() < deadline:
            time.sleep(0.05)
    after_kib = rss_kib(pid)
    problems = []
    if status == "closed":
        if not answer.closed:
            problems.append(f"expected the connection closed, got {answer.describe()}")
    elif (answer.status, answer.code) != (status, code) and not (code is None and answer.status == status):
        problems.append(f"expected {status} {code or ''}, got {answer.describe()} {json.dumps(answer.body)[:200]}")
    if answer.seconds > bound:
        problems.append(f"took {answer.seconds:.2f} s, more than {bound:.1f} s")
    if watch.peak_kib - before_kib > arguments.rss_bound_mib * 1024:
        problems.append(f"RSS grew {(watch.peak_kib - before_kib) / 1024:.0f} MiB, more than {arguments.rss_bound_mib} MiB")
    if watch.failed_polls or watch.slowest_poll > arguments.bystander_bound or watch.polls == 0:
        problems.append(f"bystander: {watch.failed_polls} of {watch.polls} polls failed, slowest {watch.slowest_poll:.2f} s")
    if spool_entries(data):
        problems.append(f"left in the spool: {spool_entries(data)}")
    after_balances, after_rows = balances(run), upload_rows(data)
    new_bystander = set(run.bystander_jobs[bystander_jobs:])
    for account, before in before_balances.items():
        after = after_balances.get(account)
        if account == "bob" and new_bystander and before and after:
            # The bystander's own upload holds its price; nothing else moves.
            if after[0] + after[1] != before[0] + before[1] or after[1] < before[1]:
                problems.append(f"bob's credits moved beyond his upload's hold: {before} → {after}")
        elif after != before:
            problems.append(f"{account}'s credits moved: {before} → {after}")
    bob = run.ids["bob"]
    for upload, account in after_rows.items():
        if upload not in before_rows and account != bob:
            problems.append(f"upload row {upload} of account {account} left behind")
    for upload in media_upload_ids(data) - before_media:
        if after_rows.get(upload) != bob:
            problems.append(f"media object of upload {upload} left behind")
    refused = answer.describe()
    print(f"abuse: {name:<24} {refused:<26} {answer.seconds:6.2f} s  RSS {before_kib / 1024:6.1f} → peak "
          f"{watch.peak_kib / 1024:6.1f} → {after_kib / 1024:6.1f} MiB  bystander slowest {watch.slowest_poll:.2f} s"
          f"{'  ' + run.notes[name] if name in run.notes else ''}{'  FAILED: ' + '; '.join(problems) if problems else ''}",
          flush=True)
    for problem in problems:
        violations.add(f"{name}: {problem}")


def setup(run, fake):
    """Before the baselines: the streamer's job (kept running by a slow fake), and a
    browser session for the CSRF attack."""
    fake.control("/_fake/latency", {"endpoint": "transcriptions", "milliseconds": 120_000})
    body, boundary = form({"target_language": "fr"}, {"file": ("s.wav", "audio/wav", make_clip(2, random.Random(9)))})
    answer = post(run.port, "/api/dub", body, {"Authorization": "Bearer " + run.key("streamer"),
                                               "Content-Type": f"multipart/form-data; boundary={boundary}"})
    if answer.status != 202:
        raise SystemExit(f"abuse: the streamer's upload answered {answer.describe()}")
    run.streamer_job = answer.body["id"]
    signup = post(run.port, "/api/signup", b'{"email": "victim@example.com", "password": "correct horse battery"}',
                  {"Content-Type": "application/json"})
    if signup.status != 201:
        raise SystemExit(f"abuse: sign-up answered {signup.describe()}")
    # The cookies as a browser sends them back.
    run.session_cookie = "; ".join(getattr(signup, "cookies", []))
    run.csrf_token = signup.body.get("csrf_token")
    if "auris_session=" not in run.session_cookie or not run.csrf_token:
        raise SystemExit(f"abuse: sign-up set no session cookie: {run.session_cookie}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--auris", required=True)
    parser.add_argument("--fake-openai", required=True)
    parser.add_argument("--long", action="store_true", help="bigger attacks, longer floods (ABUSE_LONG=1)")
    parser.add_argument("--only", default="", help="comma-separated attack names")
    parser.add_argument("--header-timeout", type=int, default=2)
    parser.add_argument("--body-timeout", type=int, default=2)
    parser.add_argument("--max-uploads", type=int, default=2)
    parser.add_argument("--max-streams", type=int, default=2)
    parser.add_argument("--max-duration", type=int, default=5)
    parser.add_argument("--rss-bound-mib", type=float, default=64)
    # A debug build on two shared cores: generous, yet far below a starved client's wait.
    parser.add_argument("--bystander-bound", type=float, default=5.0)
    parser.add_argument("--time-limit", type=float, default=240)
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    started = time.monotonic()
    data = tempfile.mkdtemp(prefix="auris-abuse-")
    fake = Fake(arguments.fake_openai)
    up = None
    violations = Violations()
    try:
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("AURIS_", "STRIPE_", "OPENAI_"))}
        environment.update({
            "AURIS_DATA_DIR": data, "AURIS_ENGINE": "openai", "OPENAI_API_KEY": "sk-abuse", "OPENAI_BASE_URL": fake.base + "/v1",
            "AURIS_HEADER_TIMEOUT_SECONDS": str(arguments.header_timeout),
            "AURIS_BODY_TIMEOUT_SECONDS": str(arguments.body_timeout),
            "AURIS_ACCOUNT_MAX_UPLOADS": str(arguments.max_uploads), "AURIS_ACCOUNT_MAX_STREAMS": str(arguments.max_streams),
            "AURIS_MAX_DURATION_SECONDS": str(arguments.max_duration), "AURIS_SHUTDOWN_GRACE_SECONDS": "2",
            "AURIS_BCRYPT_COST": "4", "AURIS_LOG_LEVEL": "warning",
            # Payments on, so the webhook checks signatures (the API base is never called).
            "STRIPE_SECRET_KEY": "sk_test_abuse", "STRIPE_WEBHOOK_SECRET": "whsec_abuse", "STRIPE_API_BASE": "http://127.0.0.1:9",
        })
        keys, ids = {}, {}
        for name, credits in (("bob", 1000), ("mallory", 1000), ("pauper", 0), ("flood", 1000), ("streamer", 1000)):
            result = subprocess.run([arguments.auris, "accounts", "create", "--name", name, "--credits", str(credits)],
                                    env=environment, capture_output=True, text=True, check=True)
            created = json.loads(result.stdout)
            keys[name], ids[name] = created["api_key"], created["id"]
        port = free_port()
        up = Up(arguments.auris, data, port, 1, 1, environment)
        up.start(started + 60)
        serve = [pid for pid, command in up.children().items() if " serve " in command + " "]
        if not serve:
            raise SystemExit("abuse: no `auris serve` child of `auris up`")
        run = Run(arguments, port, keys, ids)
        setup(run, fake)
        only = {name for name in arguments.only.split(",") if name}
        log(f"{'long' if arguments.long else 'short'} run; header/body timeouts {arguments.header_timeout}/"
            f"{arguments.body_timeout} s, {arguments.max_uploads} uploads and {arguments.max_streams} streams an account")
        for attack in ATTACKS:
            if only and attack.__name__ not in only:
                continue
            if time.monotonic() - started > arguments.time_limit:
                violations.add(f"out of time before {attack.__name__}")
                break
            play(attack, run, data, serve[0], arguments, violations)
        for problem in run.problems:
            violations.add(problem)
        up.stop(violations)
        up = None
        ledger = ledger_verify(arguments.auris, environment, violations)
        print(f"abuse: {'OK' if not violations else 'FAILED'} attacks={len(only) or len(ATTACKS)} ledger={ledger} "
              f"violations={len(violations)} seconds={time.monotonic() - started:.0f}", flush=True)
        return 1 if violations else 0
    finally:
        if up:
            up.stop()
        fake.stop()
        if arguments.keep or violations:
            log("data kept in " + data)
        else:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
