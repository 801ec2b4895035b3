"""What the scripts that drive Auris from outside share (scripts/lib/chaos.py,
scripts/lib/worker_bench.py): HTTP with the standard library, multipart bodies, noise
clips, the fake OpenAI as a child process, ports and process checks. Loopback only.
"""
import io
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
import wave


# ---------------------------------------------------------------- HTTP

def request(method, url, body=None, headers=None, timeout=30):
    """(status, parsed JSON or {}, headers); status 0 when the server could not be reached."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            raw = response.read()
            return response.status, parse_json(raw), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, parse_json(error.read()), dict(error.headers)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, {}, {}


def parse_json(raw):
    try:
        value = json.loads(raw or b"{}")
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def multipart(fields, file_name, file_bytes):
    boundary = "chaos-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: audio/wav\r\n\r\n".encode() + file_bytes + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------- audio

def make_clip(seconds, rng):
    """A distinct WAV (16 kHz mono, noise), so that no two jobs send the fake the same audio."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(16_000)
        clip.writeframes(rng.randbytes(int(16_000 * seconds) * 2))
    return buffer.getvalue()


# ---------------------------------------------------------------- processes

class Fake:
    """The fake OpenAI server (Tests/fake-openai) as a child process, with its HTTP controls."""

    def __init__(self, binary, flags=()):
        self.process = subprocess.Popen([binary, *flags], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        listening = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not listening:
            raise SystemExit("fake-openai did not start: " + line)
        self.base = f"http://127.0.0.1:{int(listening.group(1))}"

    def control(self, path, body):
        status, _, _ = request("POST", self.base + path, body)
        if status != 200:
            raise SystemExit(f"fake-openai {path} answered {status}")

    def stats(self):
        status, stats, _ = request("GET", self.base + "/_fake/stats")
        if status != 200:
            raise SystemExit("cannot read the fake's stats")
        return stats

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def auris_environment(data, fake):
    """This process's environment plus what an `auris` against the fake OpenAI needs."""
    environment = dict(os.environ)
    environment.update({
        "AURIS_DATA_DIR": data, "AURIS_ENGINE": "openai", "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": fake.base + "/v1", "AURIS_LOG_LEVEL": "info",
    })
    return environment


def stop_and_verify(processes, auris, environment, bench):
    """SIGTERM to every process, waits for each (60 s), then `auris ledger verify` must pass."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)
    processes.clear()
    verify = subprocess.run([auris, "ledger", "verify"], env=environment, capture_output=True, text=True)
    if verify.returncode != 0:
        raise SystemExit(f"{bench}: auris ledger verify failed: " + verify.stdout + verify.stderr)


def clean_up(processes, data, keep, log):
    """Kills what still runs; removes the data folder unless the run failed (`keep`)."""
    for process in processes:
        process.kill()
        process.wait()
    if keep:
        log("data kept in " + data)
    else:
        shutil.rmtree(data, ignore_errors=True)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_ready(base, deadline):
    while time.monotonic() < deadline:
        status, _, _ = request("GET", base + "/readyz", timeout=2)
        if status == 200:
            return
        time.sleep(0.1)
    raise SystemExit("the API did not become ready at " + base)


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
