#!/usr/bin/env python3
"""The Auris web app in headless Chromium, against a running `auris up` (scripts/browser-test
starts it with the fake OpenAI and the fake Stripe and passes their addresses in the
environment). Strangers sign up through the page, in French and in English.

Each check runs even when an earlier one failed, saves screenshots to AURIS_TEST_ARTIFACTS,
and the last line says "N passed, N failed". Exit status 1 when any failed.
"""
import shutil
import sys
import time
import traceback

from helpers import (BASE, PASSWORD, PHONE, accessibility_violations, api, as_stranger, browser, clip, clip_folders, element, elements,
                     fake_latency, fill_and_submit, go, new_email, open_page, post_json, quit_browser, screenshot,
                     sign_up, two_speaker_clip, upload, video_clip, visible, wait, JOB_TIMEOUT_SECONDS)
from journey import SAYS, accounts, stranger_journey
from test_webhooks import test_webhooks_page_adds_an_endpoint_lists_a_delivery_and_resends_it  # noqa: F401 (run by main)

def test_a_stranger_signs_up_in_french_dubs_and_buys_pro():
    stranger_journey("fr")


def test_a_stranger_signs_up_in_english_dubs_and_buys_pro():
    stranger_journey("en")


def test_the_language_can_be_switched_and_is_remembered():
    driver = browser()
    as_stranger("en")
    element("button[data-lang=fr]").click()
    wait(lambda: SAYS["fr"]["title"] in element("#signin-title").text, message="the page speaks French")
    open_page("/")
    wait(lambda: visible("#signin-title") and SAYS["fr"]["title"] in element("#signin-title").text,
         message="still French after a reload, though the browser asks for English")
    assert element("button[data-lang=fr]").get_attribute("aria-pressed") == "true"
    element("button[data-lang=en]").click()
    wait(lambda: SAYS["en"]["title"] in element("#signin-title").text, message="back to English")
    assert driver.execute_script("return localStorage.getItem('auris.lang')") == "en"


def test_reduced_motion_turns_transitions_off():
    driver = browser()
    as_stranger("en")
    duration = "return getComputedStyle(document.querySelector('#signup-form button.primary')).transitionDuration"
    assert driver.execute_script(duration) != "0s", "transitions by default"
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
    try:
        assert driver.execute_script(duration) == "0s", driver.execute_script(duration)
        assert driver.execute_script("return matchMedia('(prefers-reduced-motion: reduce)').matches")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_a_wrong_password_says_so_in_each_language():
    for language in ("fr", "en"):
        as_stranger(language)
        fill_and_submit("signin", accounts.get(language, new_email("nobody")), "not the password")
        wait(lambda: SAYS[language]["wrong"] in element("#signin-error").text, message=f"the {language} message")
        assert element("#signin-password").get_attribute("aria-invalid") == "true"
        screenshot(f"08-{language}-wrong-password")
        fill_and_submit("signin", accounts.get(language, ""), PASSWORD)
        wait(lambda: visible("#view-dub"), message="the right password signs in")


def test_keys_page_creates_a_key_that_works_and_stops_working_once_revoked():
    sign_up("en", "keys")
    go("keys")
    element("#key-name").send_keys("render farm")
    element("#key-form button[type=submit]").click()
    key = wait(lambda: visible("#key-created") and element("#key-value").text, message="the new key is shown once")
    assert key.startswith("ak_"), key
    wait(lambda: "render farm" in element("#keys").text and key[:7] in element("#keys").text, message="listed by name and prefix")
    assert key not in element("#keys").text.replace(key[:7] + "…", "")
    assert api("/api/credits", key=key)[0] == 200, "the key works for programs"
    screenshot("09-en-keys")
    element("#keys button[data-action=revoke]").click()
    wait(lambda: "render farm" not in element("#keys tbody").text, message="the revoked key leaves the list")
    assert api("/api/credits", key=key)[0] == 401, "a revoked key is refused at once"


def test_a_video_comes_back_as_a_video_and_plays():
    sign_up("en", "video")
    upload(video_clip())
    job_id = wait(lambda: visible("#dub-result [data-job-id]"), timeout=30).get_attribute("data-job-id")
    go("jobs")
    card = f"#job-{job_id}"
    wait(lambda: visible(card) and element(card).get_attribute("data-status") == "succeeded", timeout=JOB_TIMEOUT_SECONDS,
         message="the video job succeeds")
    assert "Download the video" in element(card).text, element(card).text
    element(f"{card} button[data-action=listen]").click()
    player = f"{card} video"
    wait(lambda: visible(player), message="a video player appears")
    wait(lambda: browser().execute_script(
        "const v = document.querySelector(arguments[0]); return v.readyState >= 1 && v.videoWidth === 64 && v.duration > 0", player),
        timeout=15, message="the player shows the 64x36 video")
    assert api(f"/api/dub/{job_id}")[1]["result"]["content_type"] == "video/webm"
    screenshot("11-en-jobs-video")


def test_cancel_a_running_job_returns_its_credits():
    sign_up("en", "cancel")
    before = api("/api/credits")[1]["credits"]
    fake_latency("transcriptions", 30_000)  # holds the job in its first paid step
    try:
        upload(clip())
        job_id = wait(lambda: visible("#dub-result [data-job-id]"), timeout=30).get_attribute("data-job-id")
        go("jobs")
        card = f"#job-{job_id}"
        wait(lambda: visible(card) and element(card).get_attribute("data-status") == "running", timeout=30,
             message="the job runs")
        element(f"{card} button.danger").click()
        wait(lambda: element(card).get_attribute("data-status") == "canceled", timeout=30, message="the job is canceled")
        assert "nothing charged" in element(card).text, element(card).text
        screenshot("10-en-jobs-canceled")
    finally:
        fake_latency("transcriptions", 0)
    wait(lambda: api("/api/credits")[1]["credits"] == before, message="the reserved credits came back")


# The first upload reaches the server (which queues it) but the page is told the
# connection failed, as when a network drops the answer; every Idempotency-Key is kept.
LOSE_FIRST_ANSWER = """
    window.__keys = [];
    const setHeader = XMLHttpRequest.prototype.setRequestHeader;
    XMLHttpRequest.prototype.setRequestHeader = function (name, value) {
      if (name === 'Idempotency-Key') window.__keys.push(value);
      return setHeader.call(this, name, value);
    };
    const listen = XMLHttpRequest.prototype.addEventListener;
    let lost = false;
    XMLHttpRequest.prototype.addEventListener = function (type, listener, options) {
      if (type === 'load' && !lost) {
        lost = true;
        const xhr = this;
        return listen.call(this, 'load', () => xhr.dispatchEvent(new ProgressEvent('error')), options);
      }
      return listen.call(this, type, listener, options);
    };
"""


def test_a_retried_upload_reuses_its_key_and_is_charged_once():
    driver = browser()
    open_page("/#dub")  # the canceling stranger, still signed in
    wait(lambda: visible("#view-dub"))
    before_jobs = len(api("/api/dub?limit=100")[1]["jobs"])
    before_credits = api("/api/credits")[1]["credits"]
    driver.execute_script(LOSE_FIRST_ANSWER)
    upload(clip())
    wait(lambda: element("#dub-error").text.strip() != "", timeout=30, message="the lost answer is reported")
    first_message = element("#dub-error").text
    assert "may have queued it" in first_message and "Nothing was charged" not in first_message, first_message
    element("#dub-submit").click()  # the user tries again with the same file
    wait(lambda: elements("#dub-result [data-job-id]"), timeout=30, message="the retry is accepted")
    keys = driver.execute_script("return window.__keys")
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0].startswith("web-"), keys
    after_jobs = api("/api/dub?limit=100")[1]["jobs"]
    assert len(after_jobs) == before_jobs + 1, "one job for the two attempts"
    assert before_credits - api("/api/credits")[1]["credits"] == after_jobs[0]["credits_reserved"], "reserved once"


def test_checkout_cancel_says_nothing_was_charged_and_drops_the_query():
    driver = browser()
    driver.get(BASE + "/?checkout=cancel&session_id=cs_test_1")
    wait(lambda: "Checkout canceled" in element("#notices").text, message="the cancel notice shows")
    assert "checkout=" not in driver.current_url, driver.current_url
    assert visible("#view-credits"), "the return lands on My credits"


STICKING_OUT_OF_CARDS = """
    return [...document.querySelectorAll('.view:not([hidden]) .card')].flatMap((card) => {
      const box = card.getBoundingClientRect();
      return [...card.querySelectorAll('*')]
        .filter((node) => { const r = node.getBoundingClientRect(); return r.width > 0 && r.right > box.right + 1; })
        .map((node) => node.tagName.toLowerCase() + (node.id ? '#' + node.id : ''));
    });
"""


SIGN_OUT_PLACE = """
    const button = document.querySelector('#sign-out');
    if (!button || button.closest('[hidden]')) return null;
    const box = button.getBoundingClientRect();
    const language = document.querySelector('.language').getBoundingClientRect();
    const lineHeight = parseFloat(getComputedStyle(button).lineHeight) || parseFloat(getComputedStyle(button).fontSize) * 1.5;
    const padding = parseFloat(getComputedStyle(button).paddingTop) + parseFloat(getComputedStyle(button).paddingBottom);
    return { lines: Math.round((box.height - padding) / lineHeight), besideTheLanguage: box.top < language.bottom && box.bottom > language.top };
"""


def test_a_two_speaker_clip_shows_its_transcript_per_speaker():
    sign_up("en", "speakers")
    element("#dub-speakers").click()
    upload(two_speaker_clip())
    job_id = wait(lambda: visible("#dub-result [data-job-id]"), timeout=30).get_attribute("data-job-id")
    go("jobs")
    card = f"#job-{job_id}"
    wait(lambda: visible(card) and element(card).get_attribute("data-status") == "succeeded", timeout=JOB_TIMEOUT_SECONDS,
         message="the job succeeds")
    element(f"{card} button[data-action=transcript]").click()
    wait(lambda: len(elements(f"{card} .transcript-line")) == 4, message="four lines in the transcript")
    speakers = [line.get_attribute("data-speaker") for line in elements(f"{card} .transcript-line")]
    assert speakers == ["A", "B", "A", "B"], speakers
    assert "2 speakers" in element(f"{card} .transcript-summary").text, element(f"{card} .transcript-summary").text
    assert "Speaker A" in element(f"{card} .transcript-line").text
    assert [button.get_attribute("data-format") for button in elements(f"{card} .transcript button")] == ["srt", "vtt"]
    status, transcript = api(f"/api/dub/{job_id}/transcript")
    assert status == 200 and len({line["voice"] for line in transcript["lines"]}) == 2, transcript
    screenshot("11-en-jobs-transcript")


def check_fits_a_phone(name):
    driver = browser()
    time.sleep(0.5)  # lists load
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than a phone"
    sticking_out = driver.execute_script(STICKING_OUT_OF_CARDS)
    assert not sticking_out, f"{name}: {sticking_out} stick out of their card"
    sign_out = driver.execute_script(SIGN_OUT_PLACE)
    if sign_out is not None:
        assert sign_out["lines"] == 1 and sign_out["besideTheLanguage"], f"{name}: Sign out wraps: {sign_out}"
    screenshot(f"11-phone-{name}")


def test_every_page_fits_a_phone_in_both_languages():
    driver = browser()
    # A phone's viewport, as DevTools' device mode sets it: windows have a minimum width.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    try:
        for language in ("fr", "en"):
            as_stranger(language)
            check_fits_a_phone(f"{language}-sign-up")
            fill_and_submit("signin", accounts.get(language, ""), PASSWORD)
            wait(lambda: visible("#view-dub"), message="signed in on a phone")
            for view in ("dub", "jobs", "credits", "keys"):
                driver.get(f"{BASE}/#{view}")
                wait(lambda: visible(f"#view-{view}"))
                check_fits_a_phone(f"{language}-{view}")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_every_page_meets_wcag_aa_in_both_languages():
    """Contrast on the glass cards and the gradient, names of controls, language of the page."""
    found = {}
    for language in ("fr", "en"):
        as_stranger(language)
        found[f"{language}-sign-up"] = accessibility_violations()
        fill_and_submit("signin", accounts.get(language, ""), PASSWORD)
        wait(lambda: visible("#view-dub"), message="signed in")
        for view in ("dub", "jobs", "credits", "keys"):
            go(view)
            time.sleep(0.8)  # lists load, the balance finishes counting
            found[f"{language}-{view}"] = accessibility_violations()
    failing = {page: violations for page, violations in found.items() if violations}
    assert not failing, failing


def test_sign_out_ends_the_session_on_the_server():
    driver = browser()
    open_page("/#dub")
    wait(lambda: visible("#view-dub"))
    session = driver.get_cookie("auris_session")["value"]
    element("#sign-out").click()
    wait(lambda: visible("#signup-form") or visible("#signin-form"), message="back to sign-in")
    assert driver.get_cookie("auris_session") is None
    assert not visible("#nav")
    assert api("/api/me", session=session)[0] == 401, "the old session no longer works"


def test_a_session_ended_elsewhere_brings_the_page_back_to_sign_in():
    driver = browser()
    as_stranger("en")
    fill_and_submit("signin", accounts.get("en", ""), PASSWORD)
    wait(lambda: visible("#view-dub"), message="signed in")
    session = driver.get_cookie("auris_session")["value"]
    csrf = driver.get_cookie("auris_csrf")["value"]
    post_json(f"{BASE}/api/logout", {}, {"Cookie": f"auris_session={session}; auris_csrf={csrf}", "X-CSRF-Token": csrf})
    element("#nav a[data-view=jobs]").click()  # the page asks for the jobs, and hears the session is gone
    wait(lambda: visible("#signin-form") or visible("#signup-form"), message="back to sign-in")
    wait(lambda: "signed out" in element("#notices").text, message="a notice says why")
    assert "Could not load" not in element("#notices").text, element("#notices").text


def test_a_rate_limited_sign_up_says_so():
    """Sign-ups from one address are limited (AURIS_SIGNUP_LIMIT_PER_HOUR, 12 in this run);
    the checks above used some, so the limit is reached within a few more."""
    for _ in range(14):
        as_stranger("en")
        fill_and_submit("signup", new_email("many"), PASSWORD)
        wait(lambda: visible("#view-dub") or element("#signup-error").text, message="an answer")
        if visible("#view-dub"):
            element("#sign-out").click()
            wait(lambda: visible("#signup-form"))
            continue
        assert SAYS["en"]["too_many"] in element("#signup-error").text, element("#signup-error").text
        screenshot("12-en-sign-up-rate-limited")
        as_stranger("fr")
        fill_and_submit("signup", new_email("many"), PASSWORD)
        wait(lambda: SAYS["fr"]["too_many"] in element("#signup-error").text, message="the French message")
        return
    raise AssertionError("sign-up was never limited")


def test_nothing_is_loaded_from_another_origin():
    open_page("/#credits")
    resources = browser().execute_script("return performance.getEntriesByType('resource').map((entry) => entry.name)")
    foreign = [name for name in resources if not name.startswith(BASE) and not name.startswith("blob:")]
    assert resources and not foreign, foreign


def test_no_script_errors_in_the_console():
    errors = [entry for entry in browser().get_log("browser")
              if entry["level"] == "SEVERE" and "status of 4" not in entry["message"]
              and "checkout.stripe.com" not in entry["message"]]
    assert not errors, errors


def main():
    tests = [(name, check) for name, check in globals().items() if name.startswith("test_") and callable(check)]
    passed = failed = 0
    try:
        for name, check in tests:
            started = time.monotonic()
            try:
                check()
                passed += 1
                print(f"PASS {name} ({time.monotonic() - started:.1f} s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {name} ({time.monotonic() - started:.1f} s)", flush=True)
                traceback.print_exc()
                try:
                    screenshot(f"failed-{name}")
                except Exception:
                    pass
    finally:
        quit_browser()
        for folder in clip_folders():
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
