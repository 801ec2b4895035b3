"""The webhooks section of the API keys page, in French: an endpoint added (its secret
shown once), a malformed address refused in words, a finished job's signed event
received by a small receiver on 127.0.0.1 and listed as delivered, resent with the same
event id, and the endpoint deleted. scripts/browser-test runs `auris up` with
AURIS_WEBHOOK_ALLOW_PRIVATE=1 so the receiver may be local."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from helpers import JOB_TIMEOUT_SECONDS, browser, clip, element, go, screenshot, sign_up, upload, visible, wait


class Receiver:
    """A customer's endpoint: records each POST and answers 200."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append({"body": body, "signature": self.headers.get("Auris-Signature"),
                                 "event": self.headers.get("Auris-Event-Id")})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()


def signed_by(secret, delivery):
    parts = dict(item.split("=", 1) for item in delivery["signature"].split(",") if item.startswith("t="))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + delivery["body"], hashlib.sha256).hexdigest()
    return f"v1={expected}" in delivery["signature"].split(",")


def click(selector):
    """Clicks a button in the middle of the view, clear of the toasts in its corner."""
    button = element(selector)
    browser().execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def test_webhooks_page_adds_an_endpoint_lists_a_delivery_and_resends_it():
    receiver = Receiver()
    try:
        sign_up("fr", "hooks")
        go("keys")
        element("#webhook-url").send_keys("ftp://example.com/hook")
        element("#webhook-form button[type=submit]").click()
        wait(lambda: "commençant par https://" in element("#webhook-error").text, message="the French invalid-URL message")

        element("#webhook-url").clear()
        element("#webhook-url").send_keys(receiver.url)
        element("#webhook-form button[type=submit]").click()
        secret = wait(lambda: visible("#webhook-created") and element("#webhook-secret").text, message="the secret is shown once")
        assert secret.startswith("whsec_"), secret
        wait(lambda: receiver.url in element("#webhooks").text, message="the endpoint is listed")
        assert secret not in element("#webhooks").text

        go("dub")
        upload(clip(), "en")
        wait(lambda: receiver.received, timeout=JOB_TIMEOUT_SECONDS, message="the job's end reaches the receiver")
        first = receiver.received[0]
        event = json.loads(first["body"])
        assert event["type"] == "dub.succeeded" and event["data"]["status"] == "succeeded", event
        assert event["id"] == first["event"] and signed_by(secret, first), first["signature"]

        go("keys")
        row = "#webhook-deliveries tr[data-state=delivered]"
        wait(lambda: visible(row) and "Livré" in element(row).text and "HTTP 200" in element(row).text,
             message="the delivery is listed as delivered")
        screenshot("10-fr-webhooks")
        click(f"{row} button[data-action=resend]")
        wait(lambda: len(receiver.received) >= 2, timeout=30, message="the resent event arrives")
        assert receiver.received[1]["event"] == first["event"] and receiver.received[1]["body"] == first["body"]

        click("#webhooks button[data-action=delete]")
        wait(lambda: receiver.url not in element("#webhooks tbody").text, message="the deleted endpoint leaves the list")
    finally:
        receiver.stop()
