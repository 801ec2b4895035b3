"""The attacks of scripts/abuse, one function each (docs/SECURITY.md names what stops
them). Each returns (Answer, expected status or "closed", expected `error.code`, the
seconds it may take to be refused). `ctx` is the run: the port, the accounts' keys, the
timeouts, the short or long sizes."""
import random
import threading
import time

import abuse_http
from abuse_http import form, head, multipart_head, post, send_streaming, stall
from harness import make_clip

MIB = 1 << 20


def endless_part_header(ctx):
    """A part header line of several MiB without CR: 400 at the 16 KiB limit, not after."""
    size = (40 if ctx.long else 8) * MIB
    boundary = "abuse-endless"
    start = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nX-Padding: '.encode()
    chunk = b"a" * (64 * 1024)
    chunks = [start] + [chunk] * (size // len(chunk))
    answer = send_streaming(ctx.port, multipart_head("/api/dub", ctx.key("mallory"), len(start) + size, boundary), chunks)
    return answer, 400, "invalid_request", 2.0


def too_many_part_headers(ctx):
    boundary = "abuse-headers"
    lines = "".join(f"X-Header-{index}: {index}\r\n" for index in range(40))
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n{lines}\r\n'
            "RIFF\r\n" f"--{boundary}--\r\n").encode()
    answer = post(ctx.port, "/api/dub", body, {"Authorization": "Bearer " + ctx.key("mallory"),
                                               "Content-Type": f"multipart/form-data; boundary={boundary}"})
    return answer, 400, "invalid_request", 2.0


def too_many_parts(ctx):
    boundary = "abuse-parts"
    parts = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="voice"\r\n\r\nalloy\r\n' for _ in range(200))
    body = parts.encode() + f"--{boundary}--\r\n".encode()
    answer = post(ctx.port, "/api/dub", body, {"Authorization": "Bearer " + ctx.key("mallory"),
                                               "Content-Type": f"multipart/form-data; boundary={boundary}"})
    return answer, 400, "invalid_request", 2.0


def slowloris_headers(ctx):
    """Half a request head, then silence (several connections in the long run): each is
    closed at the header timeout."""
    count = 20 if ctx.long else 3
    partial = b"POST /api/dub HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + ctx.key("mallory").encode()
    answers = [None] * count

    def one(index):
        answers[index] = stall(ctx.port, partial, timeout=ctx.header_timeout + 20)

    threads = [threading.Thread(target=one, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slowest = max(answers, key=lambda answer: answer.seconds)
    if any(not answer.closed for answer in answers):
        slowest = next(answer for answer in answers if not answer.closed)
    return slowest, "closed", None, ctx.header_timeout + 3.0


def half_body_then_stall(ctx):
    """Half of a declared body, then silence: closed at the body timeout, its spool folder removed."""
    body, boundary = form({"target_language": "fr"}, {"file": ("a.wav", "audio/wav", make_clip(4, random.Random(1)))})
    request_head = multipart_head("/api/dub", ctx.key("mallory"), len(body), boundary)
    answer = stall(ctx.port, request_head, body[: len(body) // 2], timeout=ctx.body_timeout + 20)
    return answer, "closed", None, ctx.body_timeout + 3.0


def no_credits_big_body(ctx):
    """A key whose account cannot pay one credit declares a huge body: 402 before the body is read."""
    declared = 512 * MIB
    boundary = "abuse-pauper"
    chunk = b"\0" * (64 * 1024)
    answer = send_streaming(ctx.port, multipart_head("/api/dub", ctx.key("pauper"), declared, boundary),
                            [f"--{boundary}\r\n".encode()] + [chunk] * 64)
    return answer, 402, "insufficient_credits", 1.0


def too_many_uploads(ctx):
    """The account's upload slots held by slow uploads; one more is 429 at once."""
    clip = make_clip(3, random.Random(2))
    body, boundary = form({"target_language": "fr"}, {"file": ("a.wav", "audio/wav", clip)})
    request_head = multipart_head("/api/dub", ctx.key("mallory"), len(body), boundary)
    stop = threading.Event()
    holders = []

    def hold():
        sock = abuse_http.connect(ctx.port)
        holders.append(sock)
        sock.sendall(request_head + body[:100])
        offset = 100
        # A byte at a time within the body timeout: the upload stays in progress.
        while not stop.is_set() and offset < len(body) - 10:
            time.sleep(min(0.5, ctx.body_timeout / 3))
            try:
                sock.sendall(body[offset:offset + 1])
            except OSError:
                return
            offset += 1

    threads = [threading.Thread(target=hold, daemon=True) for _ in range(ctx.max_uploads)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    answer = post(ctx.port, "/api/dub", body, {"Authorization": "Bearer " + ctx.key("mallory"),
                                               "Content-Type": f"multipart/form-data; boundary={boundary}"})
    stop.set()
    for sock in holders:
        sock.close()
    for thread in threads:
        thread.join(timeout=5)
    return answer, 429, "too_many_uploads", 1.0


def too_many_streams(ctx):
    """The account's event streams all open on its running job; one more is 429."""
    path = f"/api/dub/{ctx.streamer_job}/events"
    auth = {"Authorization": "Bearer " + ctx.key("streamer")}
    opened = []
    for _ in range(ctx.max_streams):
        sock = abuse_http.connect(ctx.port)
        sock.sendall(head("GET", path, auth))
        sock.settimeout(10)
        if not sock.recv(4096).startswith(b"HTTP/1.1 200"):
            raise SystemExit("abuse: the stream the attack holds did not open")
        opened.append(sock)
    started = time.monotonic()
    answer = stall(ctx.port, head("GET", path, auth), timeout=10)
    answer.seconds = time.monotonic() - started
    for sock in opened:
        sock.close()
    return answer, 429, "too_many_streams", 1.0


def too_much_text(ctx):
    """One second of audio with 3 000 characters of subtitles (the budget is 400): 422 at upload."""
    line = ("Bonjour tout le monde. " * 40)[:600]
    subtitles = "".join(
        f"{index + 1}\n00:00:00,{index * 150:03d} --> 00:00:00,{index * 150 + 140:03d}\n{line}\n\n" for index in range(5)).encode()
    body, boundary = form({"target_language": "fr"}, {
        "file": ("a.wav", "audio/wav", make_clip(1, random.Random(3))),
        "subtitles": ("fr.srt", "application/x-subrip", subtitles)})
    answer = post(ctx.port, "/api/dub", body, {"Authorization": "Bearer " + ctx.key("mallory"),
                                               "Content-Type": f"multipart/form-data; boundary={boundary}"})
    return answer, 422, "too_much_text", 2.0


def probe_flood(ctx):
    """One account probes files as fast as it can (each too long, so refused after its
    probe: no credits move); another account's upload is still measured and queued."""
    seconds = 30 if ctx.long else 6
    long_clip = make_clip(ctx.max_duration_seconds + 3, random.Random(4))
    body, boundary = form({"target_language": "fr"}, {"file": ("long.wav", "audio/wav", long_clip)})
    headers = {"Authorization": "Bearer " + ctx.key("flood"), "Content-Type": f"multipart/form-data; boundary={boundary}"}
    stop = threading.Event()
    seen = {}
    lock = threading.Lock()

    def flood():
        while not stop.is_set():
            answer = post(ctx.port, "/api/dub", body, headers)
            with lock:
                seen[answer.describe()] = seen.get(answer.describe(), 0) + 1

    threads = [threading.Thread(target=flood, daemon=True) for _ in range(ctx.max_uploads + 2)]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 2)
    clip = make_clip(2, random.Random(5))
    bystander, bystander_boundary = form({"target_language": "de"}, {"file": ("b.wav", "audio/wav", clip)})
    answer = post(ctx.port, "/api/dub", bystander, {"Authorization": "Bearer " + ctx.key("bob"),
                                                    "Content-Type": f"multipart/form-data; boundary={bystander_boundary}"})
    time.sleep(seconds / 2)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    ctx.notes["probe_flood"] = f"flooder answers {dict(sorted(seen.items()))}"
    # `closed`: refused (429) before its body was sent, the rest of which met a closed socket.
    unexpected = {key: count for key, count in seen.items() if key not in ("422 invalid_audio", "429 too_many_uploads", "closed")}
    if unexpected:
        ctx.problems.append(f"probe_flood: the flooder got {unexpected}")
    if answer.status == 202:
        ctx.bystander_jobs.append(answer.body.get("id"))
    # The bystander's upload waits for CPU, not behind the flood's probes (ProbeGate
    # rounds the accounts): a debug build on two shared cores still answers in seconds.
    return answer, 202, None, 8.0


def bad_stripe_signature(ctx):
    event = b'{"id": "evt_abuse", "type": "checkout.session.completed", "data": {"object": {"id": "cs_abuse", "payment_status": "paid"}}}'
    forged = f"t={int(time.time())},v1={'0' * 64}"
    answer = post(ctx.port, "/api/stripe/webhook", event, {"Content-Type": "application/json", "Stripe-Signature": forged})
    missing = post(ctx.port, "/api/stripe/webhook", event, {"Content-Type": "application/json"})
    if (missing.status, missing.code) != (400, "missing_signature"):
        ctx.problems.append(f"bad_stripe_signature: no signature answered {missing.describe()}")
    return answer, 400, "invalid_signature", 1.0


def csrf_and_origin(ctx):
    """A signed-in browser's cookie without X-CSRF-Token, and with it from another origin: 403."""
    cookie = ctx.session_cookie
    body = b'{"name": "stolen"}'
    without = post(ctx.port, "/api/keys", body, {"Content-Type": "application/json", "Cookie": cookie})
    foreign = post(ctx.port, "/api/keys", body, {"Content-Type": "application/json", "Cookie": cookie,
                                                 "X-CSRF-Token": ctx.csrf_token, "Origin": "https://evil.example"})
    if (foreign.status, foreign.code) != (403, "origin_refused"):
        ctx.problems.append(f"csrf_and_origin: a foreign Origin answered {foreign.describe()}")
    return without, 403, "csrf_failed", 1.0


ATTACKS = [
    endless_part_header, too_many_part_headers, too_many_parts, slowloris_headers, half_body_then_stall,
    no_credits_big_body, too_many_uploads, too_many_streams, too_much_text, probe_flood, bad_stripe_signature,
    csrf_and_origin,
]
