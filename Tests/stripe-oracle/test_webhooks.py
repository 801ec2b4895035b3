"""Auris's Stripe webhook checked against Stripe's own Python library (PyPI `stripe`),
an oracle that shares no code with Auris: events signed by the library's signing
scheme are accepted by a live `auris serve` and grant their credits exactly once, and
the signatures our fake Stripe makes (which the Swift tests rely on) pass the library's
own `Webhook.construct_event`.

Run by scripts/stripe-oracle-test, which starts the processes and passes:
AURIS_URL, AURIS_KEY (an account's API key), AURIS_WEBHOOK_SECRET, FAKE_STRIPE_URL.
Prints one line per check; exits 1 when any fails.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

import stripe

BASE = os.environ["AURIS_URL"]
KEY = os.environ["AURIS_KEY"]
SECRET = os.environ["AURIS_WEBHOOK_SECRET"]
FAKE = os.environ["FAKE_STRIPE_URL"]
failures = []


def call(method, url, body=None, headers=None):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"{}")
        except ValueError:
            return error.code, {"raw": raw.decode(errors="replace")}


def check(name, condition, detail=""):
    print(f"{'ok  ' if condition else 'FAIL'} {name}" + (f": {detail}" if detail and not condition else ""), flush=True)
    if not condition:
        failures.append(name)


def stripe_header(payload, secret, timestamp):
    """`Stripe-Signature` as Stripe makes it, by the library's own signing function:
    t=<timestamp>,v1=HMAC-SHA256(secret, "<timestamp>.<payload>")."""
    signature = stripe.WebhookSignature._compute_signature("%d.%s" % (timestamp, payload), secret)
    return f"t={timestamp},v1={signature}"


def event(session_id, event_id=None, payment_status="paid", type_="checkout.session.completed"):
    """An event as Stripe sends it, written here (not by our fake)."""
    return json.dumps({
        "id": event_id or "evt_oracle_" + os.urandom(8).hex(), "object": "event", "api_version": "2024-06-20",
        "created": int(time.time()), "livemode": False, "pending_webhooks": 1, "type": type_,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": {"id": session_id, "object": "checkout.session", "mode": "payment",
                            "payment_status": payment_status, "status": "complete"}},
    }, separators=(", ", ": "))  # Stripe's own spacing; the signature covers the bytes as sent


def deliver(payload, header):
    return call("POST", BASE + "/api/stripe/webhook", payload.encode(),
                {"Content-Type": "application/json", "Stripe-Signature": header})


def refused(status, body, code):
    return status == 400 and (body.get("error") or {}).get("code") == code


def credits():
    status, body = call("GET", BASE + "/api/credits", headers={"Authorization": "Bearer " + KEY})
    assert status == 200, (status, body)
    return body["credits"]


def checkout(plan):
    status, body = call("POST", BASE + "/api/checkout", {"plan": plan},
                        {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
    assert status == 200, (status, body)
    return body["session_id"]


PLAN_CREDITS = {"starter": 15, "pro": 60}

# 1. An event signed by Stripe's library is accepted and grants the plan's credits once.
start = credits()
session = checkout("starter")
payload = event(session)
header = stripe_header(payload, SECRET, int(time.time()))
stripe.WebhookSignature.verify_header(payload, header, SECRET, tolerance=300)  # the library agrees with itself
status, body = deliver(payload, header)
check("a library-signed event is accepted and fulfils", status == 200 and body.get("outcome") == "fulfilled", f"{status} {body}")
check("its credits are granted", credits() == start + PLAN_CREDITS["starter"], f"{credits()} vs {start}+15")

# 2. The same event again (Stripe retries) and another paid event for the session: no second grant.
status, body = deliver(payload, stripe_header(payload, SECRET, int(time.time())))
check("a redelivered event changes nothing", status == 200 and body.get("outcome") == "duplicate_event", f"{status} {body}")
other = event(session)
status, body = deliver(other, stripe_header(other, SECRET, int(time.time())))
check("a second paid event for the session grants nothing", status == 200 and body.get("outcome") == "already_fulfilled",
      f"{status} {body}")
check("credits were granted exactly once", credits() == start + PLAN_CREDITS["starter"], f"{credits()}")

# 3. What the library signs with another secret, or signed long ago, is refused.
session = checkout("pro")
payload = event(session)
status, body = deliver(payload, stripe_header(payload, "whsec_not_ours", int(time.time())))
check("a signature with another secret is refused", refused(status, body, "invalid_signature"), f"{status} {body}")
stale = int(time.time()) - 3_600
status, body = deliver(payload, stripe_header(payload, SECRET, stale))
check("a signature an hour old is refused", refused(status, body, "stale_signature"), f"{status} {body}")
tampered = payload.replace('"paid"', '"paid" ')
status, body = deliver(tampered, stripe_header(payload, SECRET, int(time.time())))
check("a body changed after signing is refused", refused(status, body, "invalid_signature"), f"{status} {body}")
check("no credits for refused deliveries", credits() == start + PLAN_CREDITS["starter"], f"{credits()}")
# Two v1 values, as while a secret is rolled: one of them ours is enough.
now = int(time.time())
rolled = stripe_header(payload, "whsec_old_one", now) + "," + stripe_header(payload, SECRET, now).split(",")[1]
status, body = deliver(payload, rolled)
check("a header with an old and the current secret's v1 is accepted", status == 200 and body.get("outcome") == "fulfilled",
      f"{status} {body}")
check("the pro plan's credits are granted", credits() == start + PLAN_CREDITS["starter"] + PLAN_CREDITS["pro"], f"{credits()}")

# 4. What our fake Stripe signs (the Swift tests' deliveries) passes Stripe's own verification.
status, made = call("POST", FAKE + "/_fake/webhook", {"session_id": session, "secrets": [SECRET]})
assert status == 200, (status, made)
try:
    verified = stripe.Webhook.construct_event(made["body"], made["signature"], SECRET, tolerance=300)
    check("stripe.Webhook.construct_event accepts the fake's signature", verified["id"] == made["event_id"])
    check("the fake's event is a checkout.session.completed for the session",
          verified["type"] == "checkout.session.completed" and verified["data"]["object"]["id"] == session)
except stripe.SignatureVerificationError as error:
    check("stripe.Webhook.construct_event accepts the fake's signature", False, str(error))
status, made = call("POST", FAKE + "/_fake/webhook", {"session_id": session, "secrets": ["whsec_old_one", SECRET]})
try:
    stripe.Webhook.construct_event(made["body"], made["signature"], SECRET, tolerance=300)
    check("construct_event accepts the fake's two-secret header", True)
except stripe.SignatureVerificationError as error:
    check("construct_event accepts the fake's two-secret header", False, str(error))
status, made = call("POST", FAKE + "/_fake/webhook", {"session_id": session, "secrets": ["whsec_not_ours"]})
try:
    stripe.Webhook.construct_event(made["body"], made["signature"], SECRET, tolerance=300)
    check("construct_event refuses the fake's signature with another secret", False, "accepted")
except stripe.SignatureVerificationError:
    check("construct_event refuses the fake's signature with another secret", True)

print(f"stripe-oracle: {'OK' if not failures else 'FAILED'} checks_failed={len(failures)}", flush=True)
sys.exit(1 if failures else 0)
