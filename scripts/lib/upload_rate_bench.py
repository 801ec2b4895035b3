"""Uploads at a fixed offered rate, for scripts/bench.d/http: issue 17 asks for p99 under
50 ms at 100 uploads/s offered, which wrk (closed loop: a new request only when one comes
back) cannot say. Requests are sent on a schedule (open loop), and each latency counts
from the moment its request was due, not from when a free client sent it, so a slow
server cannot hide its queueing (coordinated omission).

Usage: upload_rate_bench.py URL API_KEY FILE RATE SECONDS; one JSON line on stdout.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

CLIENTS = 32  # enough that a due request never waits for a client at the rates we offer


def main():
    url, key, path, rate, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
    parsed = urllib.parse.urlsplit(url)
    target = parsed.path + ("?" + parsed.query if parsed.query else "")
    body = open(path, "rb").read()
    headers = {"Authorization": "Bearer " + key, "Content-Type": "audio/wav", "Content-Length": str(len(body))}
    count = int(rate * seconds)
    start = time.monotonic() + 0.2
    next_index = [0]
    lock = threading.Lock()
    latencies_ms, statuses = [], []

    def client():
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= count:
                break
            due = start + index / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                connection.request("POST", target, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
                status = 0
            finished = time.monotonic()
            with lock:
                latencies_ms.append((finished - due) * 1000)
                statuses.append(status)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    span = max(time.monotonic() - start, 1e-9)
    latencies_ms.sort()

    def percentile(fraction):
        return round(latencies_ms[min(len(latencies_ms) - 1, int(fraction * len(latencies_ms)))], 3)

    print(json.dumps({
        "benchmark": "http", "measurement": "upload_10s_wav_fixed_rate", "offered_per_second": rate,
        "seconds": seconds, "requests": count, "accepted_per_second": round(statuses.count(202) / span, 1),
        "p50_ms": percentile(0.50), "p99_ms": percentile(0.99), "max_ms": round(latencies_ms[-1], 3),
        "non_202": sum(1 for status in statuses if status != 202),
    }))


if __name__ == "__main__":
    main()
