"""Drives scripts/cluster-test: the API on one host and workers on two others, sharing
only PostgreSQL and the S3 store, and checks what an operator of several machines must
be able to count on:

  1. uploads through the API host are dubbed by both worker hosts (each one's worker id
     settles some jobs, as its log shows);
  2. every process of worker host A is SIGKILLed while it runs a job, and host B
     finishes A's jobs once their leases expire;
  3. every result downloads through the API host, from the store, as audio of its
     source's length;
  4. no job's payload names a path;
  5. every balance is what was granted less what succeeded jobs cost, nothing is held,
     no upload is left in the store, and `auris ledger verify` passes.

The namespaces, servers and clean-up belong to scripts/cluster-test; this script starts
the Auris processes and the fakes inside the namespaces and stops them by pid.
Standard library only (and scripts/lib/harness.py).
"""
import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import make_clip, multipart, request, wait_ready  # noqa: E402

JOBS = 8
CLIP_SECONDS = 6
GRANT = 40


def log(message):
    print("cluster-test: " + message, file=sys.stderr, flush=True)


class Cluster:
    def __init__(self, arguments):
        self.arguments = arguments
        self.processes = []
        self.api = f"http://{arguments.api_address}:8080"

    def namespace(self, host):
        return f"{self.arguments.namespace_prefix}-{host}"

    def environment(self, host, extra):
        environment = {key: value for key, value in os.environ.items() if not key.startswith("AURIS_")}
        environment.update({
            "AURIS_DATA_DIR": os.path.join(self.arguments.work, host),
            "AURIS_DATABASE_URL": self.arguments.host_database_url,
            "AURIS_MEDIA_URL": self.arguments.media_url,
            "AURIS_ENGINE": "openai", "OPENAI_API_KEY": "sk-cluster",
            "AURIS_LEASE_SECONDS": "4", "AURIS_POLL_MS": "200", "AURIS_RETRY_BASE_MS": "200",
            "AURIS_SHUTDOWN_GRACE_SECONDS": "2", "AURIS_LOG_LEVEL": "info",
        })
        environment.update(extra)
        return environment

    def start(self, host, name, command, extra=None):
        """Starts `command` in `host`'s namespace; its output goes to <work>/<name>.log."""
        output = open(os.path.join(self.arguments.work, name + ".log"), "w")
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace(host)] + command,
            env=self.environment(host, extra or {}), stdout=output, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def fake_openai(self, host):
        """The fake OpenAI on `host`'s own loopback, slow enough that a kill lands mid-job."""
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace(host), self.arguments.fake_openai],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.processes.append(process)
        listening = re.search(r"listening on (http://127\.0\.0\.1:\d+)", process.stdout.readline())
        if not listening:
            raise SystemExit(f"the fake OpenAI did not start on {host}")
        base = listening.group(1)
        for endpoint, milliseconds in (("speech", 700), ("transcriptions", 300), ("chat_completions", 200)):
            self.in_namespace(host, ["curl", "-sf", "-X", "POST", base + "/_fake/latency", "-H",
                                     "Content-Type: application/json",
                                     "-d", json.dumps({"endpoint": endpoint, "milliseconds": milliseconds})])
        return base + "/v1"

    def in_namespace(self, host, command):
        subprocess.run(["ip", "netns", "exec", self.namespace(host)] + command, check=True, capture_output=True)

    def auris(self, *arguments):
        """An `auris` command on this machine, against the shared database."""
        environment = self.environment("admin", {"AURIS_DATABASE_URL": self.arguments.local_database_url})
        result = subprocess.run([self.arguments.auris, *arguments], env=environment, capture_output=True, text=True)
        return result

    def sql(self, query):
        result = subprocess.run(["psql", "-X", "-A", "-t", "-q", self.arguments.local_database_url, "-c", query],
                                capture_output=True, text=True, check=True)
        return result.stdout.strip()

    def kill_host(self, host):
        """SIGKILLs every process in the host's namespace: the machine lost its power."""
        pids = subprocess.run(["ip", "netns", "pids", self.namespace(host)], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        return len(pids)

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def settled_by(log_path):
    """Ids of the jobs a worker's log says it settled as succeeded."""
    jobs = set()
    with open(log_path, errors="replace") as handle:
        for line in handle:
            if "job settled" in line and "succeeded" in line:
                found = re.search(r"job=(dub_\w+)", line)
                if found:
                    jobs.add(found.group(1))
    return jobs


def wait_for(what, condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise SystemExit(f"cluster-test: waited {seconds} s for {what}, in vain")


def main():
    parser = argparse.ArgumentParser()
    for name in ("--auris", "--fake-openai", "--work", "--namespace-prefix", "--api-address",
                 "--local-database-url", "--host-database-url", "--media-url"):
        parser.add_argument(name, required=True)
    arguments = parser.parse_args()
    cluster = Cluster(arguments)
    failures = []
    try:
        migrated = cluster.auris("ledger", "verify")
        if migrated.returncode != 0:
            raise SystemExit("auris ledger verify on the empty database failed: " + migrated.stderr)
        accounts = []
        for name in ("ada", "grace"):
            created = cluster.auris("accounts", "create", "--name", name, "--credits", str(GRANT))
            if created.returncode != 0:
                raise SystemExit("accounts create failed: " + created.stderr)
            accounts.append(json.loads(created.stdout))

        cluster.start("api", "api", [arguments.auris, "serve", "--host", arguments.api_address, "--port", "8080"],
                      {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
        for host, worker_id in (("wa", "host-a"), ("wb", "host-b")):
            base = cluster.fake_openai(host)
            cluster.start(host, host, [arguments.auris, "worker", "--concurrency", "2"],
                          {"OPENAI_BASE_URL": base, "AURIS_WORKER_ID": worker_id})
        wait_ready(cluster.api, time.monotonic() + 60)
        log(f"API on {cluster.api}, workers host-a and host-b, media in {arguments.media_url.partition('?')[0]}")

        rng = random.Random(7)
        jobs = {}
        for index in range(JOBS):
            account = accounts[index % len(accounts)]
            body, content_type = multipart({"target_language": "fr"}, f"clip-{index}.wav", make_clip(CLIP_SECONDS, rng))
            status, answer, _ = request("POST", cluster.api + "/api/dub", body, {
                "Authorization": "Bearer " + account["api_key"], "Content-Type": content_type})
            if status != 202:
                raise SystemExit(f"upload {index} answered {status}: {answer}")
            jobs[answer["id"]] = account
        log(f"{JOBS} uploads accepted through the API host")

        # Host A's power goes while it runs a job, once it has finished one.
        wait_for("host A to finish a job and run another",
                 lambda: settled_by(os.path.join(arguments.work, "wa.log"))
                 and cluster.sql("SELECT count(*) FROM jobs WHERE state = 'running' AND lease_owner = 'host-a'") != "0",
                 120)
        orphaned = set(cluster.sql("SELECT id FROM jobs WHERE state = 'running' AND lease_owner = 'host-a'").split())
        killed = cluster.kill_host("wa")
        log(f"SIGKILLed {killed} processes of host A, which was running {sorted(orphaned)}")

        wait_for("every job to finish", lambda: cluster.sql(
            "SELECT count(*) FROM jobs WHERE state NOT IN ('succeeded', 'failed', 'canceled')") == "0", 180)
        states = cluster.sql("SELECT state, count(*) FROM jobs GROUP BY state ORDER BY state")
        if states != f"succeeded|{JOBS}":
            failures.append(f"jobs ended as {states!r}, not {JOBS} succeeded")

        by_a = settled_by(os.path.join(arguments.work, "wa.log"))
        by_b = settled_by(os.path.join(arguments.work, "wb.log"))
        if not by_a or not by_b:
            failures.append(f"both hosts should have dubbed: host A {len(by_a)}, host B {len(by_b)}")
        if not orphaned <= by_b:
            failures.append(f"host B did not finish host A's jobs {sorted(orphaned - by_b)}")
        if (by_a | by_b) != set(jobs):
            failures.append(f"settled {sorted(by_a | by_b)} are not the jobs {sorted(jobs)}")

        for job_id, account in jobs.items():
            download = urllib.request.Request(cluster.api + f"/api/dub/{job_id}/result",
                                              headers={"Authorization": "Bearer " + account["api_key"]})
            with urllib.request.urlopen(download, timeout=30) as response:
                audio = response.read()
                content_type = response.headers.get("Content-Type")
            path = os.path.join(arguments.work, job_id + ".mp3")
            with open(path, "wb") as handle:
                handle.write(audio)
            seconds = float(subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                capture_output=True, text=True, check=True).stdout.strip() or 0)
            if content_type != "audio/mpeg" or abs(seconds - CLIP_SECONDS) > 0.3:
                failures.append(f"result of {job_id}: {content_type}, {seconds:.2f} s for a {CLIP_SECONDS}-s source")
        log(f"{len(jobs)} results downloaded through the API host: host A dubbed {len(by_a)}, host B {len(by_b)}")

        with_paths = cluster.sql("SELECT count(*) FROM jobs WHERE payload LIKE '%/%'")
        if with_paths != "0":
            failures.append(f"{with_paths} job payloads name a path")
        uploads_left = cluster.sql("SELECT count(*) FROM uploads")
        if uploads_left != "0":
            failures.append(f"{uploads_left} uploads are still in the store after their jobs ended")
        for account in accounts:
            status, credits, _ = request("GET", cluster.api + "/api/credits",
                                         headers={"Authorization": "Bearer " + account["api_key"]})
            spent = sum(int(cluster.sql(f"SELECT credits FROM jobs WHERE id = '{job_id}' AND state = 'succeeded'") or 0)
                        for job_id, owner in jobs.items() if owner is account)
            if status != 200 or credits.get("credits") != GRANT - spent or credits.get("held") != 0:
                failures.append(f"{account['id']}: {credits}, expected {GRANT - spent} available and none held")
        verified = cluster.auris("ledger", "verify")
        if verified.returncode != 0:
            failures.append("auris ledger verify: " + verified.stdout + verified.stderr)
    finally:
        cluster.stop()
    if failures:
        for failure in failures:
            log("FAILED " + failure)
        raise SystemExit(1)
    log("OK")


if __name__ == "__main__":
    main()
