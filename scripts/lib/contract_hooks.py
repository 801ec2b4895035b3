"""Schemathesis hooks for scripts/contract-test (loaded through SCHEMATHESIS_HOOKS).

They give the fuzzer what no schema can: a real audio file for `format: binary` (the
server measures the audio, so random bytes are rightly 415), subtitles that parse for
`format: subtitles`, Stripe's signature on the webhook's positive cases (the fuzzer
does not know the secret), and the rules OpenAPI cannot say (the spec's descriptions
do): `target_language` must be in the form or in the query; sign-up's limits are in
UTF-8 bytes.
"""
import hashlib
import hmac
import io
import json
import os
import time
import uuid
import wave

import schemathesis
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.transport.serialization import Binary


def wav(seconds, seed):
    """A short 8 kHz mono WAV of noise (at most 40 KB, so the run stays small)."""
    frames = int(8_000 * seconds)
    samples = bytes((seed * 7919 + index * 104_729) % 251 for index in range(frames * 2))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(8_000)
        clip.writeframes(samples)
    return buffer.getvalue()


schemathesis.openapi.format(
    "binary",
    st.builds(wav, st.sampled_from([0.5, 1.0, 2.5]), st.integers(0, 10_000)).map(Binary))

# One or two cues inside the first half second (every clip is at least that long), text
# well under the speech budget of the shortest clip.
schemathesis.openapi.format(
    "subtitles",
    st.sampled_from([
        "1\n00:00:00,000 --> 00:00:00,400\nBonjour\n",
        "WEBVTT\n\n00:00:00.000 --> 00:00:00.300\nSalut\n\n00:00:00.300 --> 00:00:00.450\nà tous\n",
    ]))


def is_positive(case):
    """Valid as a whole: the coverage phase marks a case positive when only one of its
    components (a header, say) is made invalid."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return False
    return all(component.mode == GenerationMode.POSITIVE for component in case.meta.components.values())


@schemathesis.hook
def filter_case(context, case):
    """Drops the valid-by-schema cases that break a rule the spec can only say in words."""
    if not is_positive(case):
        return True
    path, method = case.operation.path, case.operation.method.upper()
    if method == "POST" and path == "/api/dub":
        is_form = (case.media_type or "").lower().startswith("multipart/")
        form = case.body if is_form and isinstance(case.body, dict) else {}
        # A form carries exactly one of `file` and `audio`.
        if is_form and ("file" in form) == ("audio" in form):
            return False
        query = case.query or {}
        # voices implies speakers=auto (with speakers=one it is refused) and names each
        # label once: rules the spec says in words.
        for voices in (form.get("voices"), query.get("voices")):
            if not voices:
                continue
            if (form.get("speakers") or query.get("speakers")) == "one":
                return False
            labels = [pair.split(":")[0] for pair in str(voices).split(",")]
            if len(labels) != len(set(labels)):
                return False
        # target_language in the form or in the query.
        return bool(form.get("target_language") or query.get("target_language"))
    if method == "POST" and path in ("/api/signup", "/api/login") and isinstance(case.body, dict):
        # Sign-up and sign-in count UTF-8 bytes where JSON Schema counts characters.
        email, password = case.body.get("email"), case.body.get("password")
        return ((not isinstance(email, str) or len(email.strip().lower().encode()) <= 254)
                and (not isinstance(password, str) or len(password.encode()) <= 72))
    return True


@schemathesis.hook
def before_call(context, case, kwargs):
    """Valid cases get a fresh Idempotency-Key (the fuzzer reuses short ones, and the
    same key for another request is 422 idempotency_conflict, by design); the webhook's
    are signed as Stripe would, with the run's secret. Invalid cases are left alone."""
    if not is_positive(case):
        return
    for name in list(case.headers or {}):
        if name.lower() == "idempotency-key":
            case.headers[name] = "contract-" + uuid.uuid4().hex
    if case.operation.path != "/api/stripe/webhook" or not isinstance(case.body, dict):
        return
    # The bytes `requests` will send for this body (its own json.dumps call); the body
    # itself stays as generated, so the case is still checked as the valid one it is.
    body = json.dumps(case.body, allow_nan=False).encode()
    timestamp = int(time.time())
    secret = os.environ["CONTRACT_STRIPE_WEBHOOK_SECRET"].encode()
    signature = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    case.headers = dict(case.headers or {})
    case.headers["Stripe-Signature"] = f"t={timestamp},v1={signature}"


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """A webhook URL refused for where its host resolves (`webhook_url_private`,
    `webhook_url_unresolvable`) depends on DNS, which no schema can say; a body refused
    with 413 for its size is refused, whatever else is wrong with it.

    DELETE /api/dub/{id} cancels a job and keeps its record readable (status
    `canceled`, its credits released), by design: a read after it that shows the job
    canceled is not a use after free. Any other read after a DELETE still fails."""
    if (failure.code == "ST202" and case.operation.path == "/api/webhooks" and response is not None
            and response.status_code == 422 and '"webhook_url_' in (response.text or "")):
        # Whether a host resolves, and to public addresses, is DNS's answer, not the schema's.
        return False
    if failure.code == "ST201" and response is not None and response.status_code == 413:
        # A body past the route's size limit is refused before it is read: a rejection.
        return False
    if failure.code != "ST301":
        return True
    shown = (response.text or "") if response is not None else ""
    return not ('"status":"canceled"' in shown and case.operation.path.startswith("/api/dub/{id}"))
