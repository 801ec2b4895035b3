"""What scripts/lib/chaos.py checks once the load has stopped: unanswered uploads
resolved, every job finished, work actually done, failures explained by the injected
faults, no step paid twice, balances equal to grants minus spending, the ledger whole.
"""
import subprocess
import sys
import time

from harness import request

TERMINAL = {"succeeded", "failed", "canceled"}

# The faults the run injects: (endpoint, fault, afterCalls). The fault lands on call
# number afterCalls + 1 of that endpoint. Permanent ones end one job as failed with the
# error code named here; the transient ones are retried.
FAULTS = (
    ("speech", {"serverError": {}}, 3, None),
    ("chat_completions", {"rateLimited": {"retryAfterSeconds": 1}}, 2, None),
    ("transcriptions", {"serverError": {}}, 5, None),
    ("speech", {"badRequest": {}}, 25, "provider_rejected"),
    ("transcriptions", {"insufficientQuota": {}}, 20, "insufficient_quota"),
)


class Violations(list):
    def add(self, message):
        self.append(message)
        print("chaos: VIOLATION " + message, file=sys.stderr, flush=True)


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


def resolve_keyed(load, accounts, violations):
    """Replays every unanswered upload that had an Idempotency-Key: the answer says
    whether it was queued (202, the same job as the lost answer would have named) or
    not (402, 429: the key was never used). Returns (queued, not queued)."""
    queued = not_queued = 0
    for account in accounts:
        auth = {"Authorization": "Bearer " + account.key}
        for key, fields, clip, _ in [entry for entry in account.unanswered if entry[0]]:
            status, answer = load.upload(auth, clip, key, fields)
            if status == 202 and answer.get("id"):
                account.accepted.add(answer["id"])
                queued += 1
            elif status in (402, 429):
                not_queued += 1
            else:
                violations.add(f"{account.name}: replay of unanswered upload {key} answered {status}: {answer}")
    return queued, not_queued


def resolve_unkeyed(account, jobs, violations):
    """Jobs listed but never answered 202 must be unanswered uploads without a key (same
    audio length); they are then the account's like any other. Returns how many."""
    pool = [round(seconds, 1) for key, _, _, seconds in account.unanswered if not key]
    found = 0
    for job_id, job in sorted(jobs.items()):
        if job_id in account.accepted:
            continue
        seconds = round(job["duration_seconds"], 1)
        if seconds in pool:
            pool.remove(seconds)
            account.accepted.add(job_id)
            found += 1
        else:
            violations.add(f"{account.name}: job {job_id} ({seconds} s) is listed but no upload of it was answered or lost")
    return found


def explained_failure(job, allowed, max_attempts):
    """Whether an injected fault explains this failed job: a permanent fault's code
    (each lands on one job), or attempts used up by transient faults and kills."""
    error = job.get("error") or {}
    code, message = error.get("code"), error.get("message") or ""
    if allowed.get(code, 0) > 0:
        allowed[code] -= 1
        return True
    return "gave up after" in message and job.get("attempts", 0) >= max_attempts


def check_repeats(fake, slots_killed, violations):
    # The fake names each job's audio in its answers: transcription inputs are "audio
    # <hash of the prepared audio>", and every speech input ends "of audio <hash>.".
    stats = fake.stats()
    answered = stats.get("answeredByInput", {})
    speech, transcriptions = answered.get("speech", {}), answered.get("transcriptions", {})
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
    return stats, repeated_speech, repeated_transcriptions, allowed


def check(base, accounts, fake, slots_killed, max_attempts, violations):
    everything = wait_until_settled(base, accounts, time.monotonic() + 180)
    if everything is None:
        violations.add("jobs still queued or running 180 s after the load stopped")
        everything = {account.name: list_jobs(base, account) or [] for account in accounts}
    stats, repeated_speech, repeated_transcriptions, allowed = check_repeats(fake, slots_killed, violations)

    # A permanent fault explains one failure once its call number was reached.
    calls = stats.get("calls", {})
    permanent = {}
    for endpoint, _, after, code in FAULTS:
        if code and calls.get(endpoint, 0) > after:
            permanent[code] = permanent.get(code, 0) + 1

    totals = {"succeeded": 0, "failed": 0, "canceled": 0, "unkeyed_found": 0}
    for account in accounts:
        jobs = {job["id"]: job for job in everything.get(account.name, [])}
        totals["unkeyed_found"] += resolve_unkeyed(account, jobs, violations)
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
            if state == "canceled" and job["id"] not in account.cancel_asked:
                violations.add(f"{account.name}: job {job['id']} was canceled, but no cancel was asked for")
            if state == "failed" and not explained_failure(job, permanent, max_attempts):
                violations.add(f"{account.name}: job {job['id']} failed ({job.get('error')}), which no injected fault explains")
        status, credits, _ = request("GET", base + "/api/credits", headers={"Authorization": "Bearer " + account.key})
        if status != 200:
            violations.add(f"{account.name}: /api/credits answered {status}")
            continue
        if credits["credits"] != account.granted - spent or credits["held"] != 0:
            violations.add(f"{account.name}: balance {credits['credits']} (held {credits['held']}), "
                           f"expected {account.granted} granted - {spent} spent, none held")

    # The run must have done work: a pipeline that fails (or never runs) every job
    # passes every check above.
    accepted = sum(len(account.accepted) for account in accounts)
    if accepted < len(accounts):
        violations.add(f"only {accepted} uploads accepted, fewer than the {len(accounts)} accounts")
    not_canceled = totals["succeeded"] + totals["failed"]
    if totals["succeeded"] == 0 or totals["succeeded"] * 2 < not_canceled:
        violations.add(f"only {totals['succeeded']} of {not_canceled} jobs not canceled succeeded")
    return totals, repeated_speech, repeated_transcriptions, allowed


def ledger_verify(auris, environment, violations):
    result = subprocess.run([auris, "ledger", "verify"], env=environment, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        violations.add("auris ledger verify failed: " + (result.stdout + result.stderr).strip()[-2000:])
        return "FAILED"
    return "ok"
