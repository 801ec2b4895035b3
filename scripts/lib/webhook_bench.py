"""The webhook part of scripts/bench.d/http: Stripe's signed `checkout.session.completed`
for each Checkout session the benchmark opened, made by the fake Stripe (which signs as
Stripe does), then delivered to Auris by a few concurrent clients. Every delivery grants
a purchase once, through the ledger. Prints one JSON line.

  webhook_bench.py AURIS_BASE FAKE_STRIPE_BASE WEBHOOK_SECRET [CLIENTS]
"""
import json
import statistics
import sys
import threading
import time
import urllib.request


def post(url, body, headers):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def main():
    base, fake, secret = sys.argv[1:4]
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    with urllib.request.urlopen(fake + "/_fake/sessions", timeout=30) as response:
        sessions = [session["id"] for session in json.load(response)["sessions"]]
    deliveries = []
    for session in sessions:
        _, raw = post(fake + "/_fake/webhook", json.dumps({"session_id": session, "secrets": [secret]}).encode(),
                      {"Content-Type": "application/json"})
        deliveries.append(json.loads(raw))
    latencies, failures, lock = [], [], threading.Lock()

    def deliver(share):
        for delivery in share:
            started = time.perf_counter()
            try:
                status, body = post(base + "/api/stripe/webhook", delivery["body"].encode(), {
                    "Content-Type": "application/json", "Stripe-Signature": delivery["signature"]})
                granted = status == 200 and json.loads(body).get("outcome") == "fulfilled"
            except Exception as error:  # noqa: BLE001 - any failure is counted and reported
                granted, body = False, str(error).encode()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if not granted:
                    failures.append(body[:200].decode(errors="replace"))

    began = time.perf_counter()
    threads = [threading.Thread(target=deliver, args=(deliveries[index::clients],)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        raise SystemExit(f"webhook_bench: {len(failures)} deliveries not granted, e.g. {failures[0]}")
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(json.dumps({
        "benchmark": "http", "measurement": "stripe_webhook_grant", "connections": clients,
        "seconds": round(seconds, 1), "requests_per_second": round(len(latencies) / seconds, 1),
        "ok_per_second": round(len(latencies) / seconds, 1), "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(p99, 3), "requests": len(latencies), "non_2xx": 0,
    }))


if __name__ == "__main__":
    main()
