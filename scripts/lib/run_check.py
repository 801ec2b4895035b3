"""What scripts/run-test checks: scripts/run, started as a user would (on a temporary data
folder and port, with an auris already built), prints a demo API key and a curl command;
that very command dubs the sample clip offline, the job succeeds, the documented download
gives real audio, and SIGTERM stops everything. Every wait is bounded; prints one line
per step and exits 1 at the first failure. Standard library only (and ffprobe).
"""
import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

from harness import alive, free_port, request


def fail(message, log_path=None):
    print("run-test: FAILED " + message, file=sys.stderr, flush=True)
    if log_path and os.path.exists(log_path):
        print("--- scripts/run output (last 40 lines) ---\n" + "".join(open(log_path).readlines()[-40:]), file=sys.stderr)
    raise SystemExit(1)


def step(message):
    print("run-test: " + message, file=sys.stderr, flush=True)


def wait_for_text(log_path, pattern, process, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = open(log_path).read() if os.path.exists(log_path) else ""
        if re.search(pattern, text, re.S):
            return text
        if process.poll() is not None:
            fail(f"scripts/run exited ({process.returncode}) before printing {pattern!r}", log_path)
        time.sleep(0.1)
    fail(f"scripts/run did not print {pattern!r} in {seconds} s", log_path)


def command_after(text, heading):
    """The shell command printed under `heading`, its backslash-continued lines joined."""
    lines = text.split(heading, 1)[1].splitlines()[1:]
    command = []
    for line in lines:
        if not line.strip():
            break
        command.append(line.strip().rstrip("\\").strip())
        if not line.rstrip().endswith("\\"):
            break
    return " ".join(command)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--auris", required=True)
    arguments = parser.parse_args()
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    work = tempfile.mkdtemp(prefix="auris-run-test-")
    data = os.path.join(work, "data")
    port = free_port()
    log_path = os.path.join(work, "run.log")
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("OPENAI_API_KEY", "AURIS_ENGINE", "STRIPE_SECRET_KEY")}
    environment.update({"AURIS_RUN_BINARY": os.path.abspath(arguments.auris), "AURIS_DATA_DIR": data, "AURIS_PORT": str(port)})
    with open(log_path, "wb") as log:
        process = subprocess.Popen([os.path.join(root, "scripts", "run")], cwd=work, env=environment,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        text = wait_for_text(log_path, r"Demo API key: \S+.*Stop with Ctrl-C", process, 60)
        key = re.search(r"Demo API key: (\S+)", text).group(1)
        upload = command_after(text, "Dub the sample clip into French:")
        step(f"printed key {key[:8]}… and: {upload}")
        if f"127.0.0.1:{port}" not in upload or key not in upload:
            fail("the printed curl does not name the port and the key", log_path)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while request("GET", base + "/readyz", timeout=2)[0] != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                fail("auris did not become ready in 60 s", log_path)
            time.sleep(0.2)

        # The printed command, run as printed (paths relative to where scripts/run ran).
        answer = subprocess.run(upload, shell=True, cwd=root, capture_output=True, text=True, timeout=60)
        try:
            job = json.loads(answer.stdout)
        except ValueError:
            fail(f"the printed curl answered {answer.stdout!r} {answer.stderr!r}", log_path)
        if job.get("status") not in ("queued", "running") or not job.get("id"):
            fail(f"the printed curl did not queue a job: {job}", log_path)
        step(f"queued {job['id']}")

        status_command = command_after(text, "Then poll the status_url").split("\n")[0]
        poll = status_command.replace("<id>", job["id"])
        deadline = time.monotonic() + 180
        while True:
            state = json.loads(subprocess.run(poll, shell=True, capture_output=True, text=True, timeout=30).stdout or "{}")
            if state.get("status") == "succeeded":
                break
            if state.get("status") in ("failed", "canceled") or time.monotonic() > deadline:
                fail(f"the job ended {state}", log_path)
            time.sleep(0.5)
        step(f"succeeded, charged {state.get('credits_charged')} credits")

        download_line = [line for line in text.splitlines() if "-o dubbed.mp3" in line][0].strip()
        download = download_line.replace("<id>", job["id"])
        subprocess.run(download, shell=True, cwd=work, check=True, timeout=60)
        result = os.path.join(work, "dubbed.mp3")
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type",
                                "-of", "default=noprint_wrappers=1", result], capture_output=True, text=True, timeout=30)
        duration = re.search(r"duration=([\d.]+)", probe.stdout)
        if "codec_type=audio" not in probe.stdout or not duration or float(duration.group(1)) < 3:
            fail(f"the download is not the dubbed audio: {probe.stdout!r} {probe.stderr!r}", log_path)
        step(f"downloaded {os.path.getsize(result)} bytes, {float(duration.group(1)):.1f} s of audio")

        children = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                    if alive(pid) and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1] == str(process.pid)]
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            fail("auris up did not stop within 30 s of SIGTERM", log_path)
        if code != 0:
            fail(f"auris up exited {code} after SIGTERM", log_path)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in children if alive(pid)]
        if left:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            fail(f"processes {left} outlived auris up", log_path)
        step("stopped by SIGTERM")
        print("run-test: OK", flush=True)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
