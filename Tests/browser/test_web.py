#!/usr/bin/env python3
"""The Auris web app in headless Chromium, against a running `auris up` (scripts/browser-test
starts it with the fake OpenAI and passes its address and two API keys in the environment).

Each check runs even when an earlier one failed, saves screenshots to AURIS_TEST_ARTIFACTS,
and the last line says "N passed, N failed". Exit status 1 when any failed.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ.get("AURIS_URL", "http://127.0.0.1:8080")
KEY = os.environ.get("AURIS_KEY", "")
# One credit: enough to be let in (no body is read for an account that cannot pay
# one credit), one short of the 12-second clip, so the 402 comes from the measured audio.
SHORT_KEY = os.environ.get("AURIS_SHORT_KEY", "")
UP_LOG = os.environ.get("AURIS_UP_LOG", "")
FAKE_OPENAI = os.environ.get("AURIS_FAKE_OPENAI", "")  # its root URL, for /_fake controls
ARTIFACTS = os.environ.get("AURIS_TEST_ARTIFACTS", "test-artifacts")
DESKTOP = (1280, 900)
PHONE = (390, 844)
JOB_TIMEOUT_SECONDS = 120

_browser = None
_clip = None


def browser():
    """One Chromium for every check: starting it is the slowest step."""
    global _browser
    if _browser is None:
        options = Options()
        options.binary_location = "/usr/bin/chromium"
        # --no-sandbox: Chromium refuses to run its sandbox as root, which CI is.
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--mute-audio", f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=en-US"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        _browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        _browser.set_window_size(*DESKTOP)
    return _browser


def clip():
    """A 12-second tone: 2 credits (one per started 10 s)."""
    global _clip
    if _clip is None:
        path = os.path.join(tempfile.mkdtemp(prefix="auris-browser-"), "clip.mp3")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=330:duration=12",
                        "-ac", "1", "-ar", "22050", "-b:a", "64k", path], check=True)
        _clip = path
    return _clip


def fake_latency(endpoint, milliseconds):
    body = json.dumps({"endpoint": endpoint, "milliseconds": milliseconds}).encode()
    request = urllib.request.Request(f"{FAKE_OPENAI}/_fake/latency", data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


def api(path, key=KEY):
    request = urllib.request.Request(BASE + path, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait(condition, timeout=15, message=""):
    return WebDriverWait(browser(), timeout, poll_frequency=0.1).until(lambda driver: condition(), message)


def element(selector):
    return browser().find_element(By.CSS_SELECTOR, selector)


def visible(selector):
    found = browser().find_elements(By.CSS_SELECTOR, selector)
    return found[0] if found and found[0].is_displayed() else None


def screenshot(name):
    """The whole page, not only the viewport (Chrome DevTools' full-size capture)."""
    driver = browser()
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    })
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, f"{name}.png"), "wb") as file:
        file.write(base64.b64decode(shot["data"]))


def open_page(path="/"):
    """A fresh load of the page (not a same-document hash change)."""
    driver = browser()
    driver.get(BASE + path)
    driver.refresh()


def sign_in(key):
    browser().get(BASE + "/")
    browser().execute_script("localStorage.clear()")
    open_page("/")
    field = wait(lambda: visible("#api-key"), message="the sign-in form shows")
    field.send_keys(key)
    element("#signin-form button[type=submit]").click()
    wait(lambda: visible("#view-dub"), message="signed in, the Dub view shows")


def upload(path, language="fr"):
    wait(lambda: browser().find_elements(By.CSS_SELECTOR, f"#dub-target option[value='{language}']"),
         message="the language list is loaded")
    element("#dub-file").send_keys(path)
    Select(element("#dub-target")).select_by_value(language)
    element("#dub-submit").click()


def test_sign_in_rejects_a_wrong_key_then_accepts_the_right_one():
    driver = browser()
    driver.get(BASE + "/")
    driver.execute_script("localStorage.clear()")
    open_page("/")
    field = wait(lambda: visible("#api-key"))
    assert not visible("#nav"), "navigation is hidden while signed out"
    screenshot("01-sign-in")
    field.send_keys("not-a-key")
    element("#signin-form button[type=submit]").click()
    wait(lambda: "not accepted" in element("#signin-error").text, message="a wrong key is refused")
    screenshot("02-sign-in-refused")
    field.clear()
    field.send_keys(KEY)
    element("#signin-form button[type=submit]").click()
    wait(lambda: visible("#view-dub"))
    assert driver.execute_script("return localStorage.getItem('auris.apiKey')") == KEY
    wait(lambda: element("#nav-balance").text == "10", message="the balance shows in the navigation")


def test_dub_a_clip_watch_it_succeed_listen_and_see_the_balance_drop():
    driver = browser()
    sign_in(KEY)
    before = api("/api/credits")["credits"]
    upload(clip())
    screenshot("03-dub-uploading")
    accepted = wait(lambda: visible("#dub-result [data-job-id]"), timeout=30, message="the upload is accepted")
    job_id = accepted.get_attribute("data-job-id")
    assert "2 credits reserved" in accepted.text, accepted.text
    assert "8 credits left" in accepted.text, accepted.text
    screenshot("04-dub-accepted")

    element("#nav a[data-view=jobs]").click()
    card = f"#job-{job_id}"
    wait(lambda: visible(card), message="the job is listed")
    assert driver.execute_script("return document.activeElement.id") == "jobs-title", "focus moves to the view's heading"
    seen = set()

    def reached_succeeded():
        status = element(card).get_attribute("data-status")
        seen.add(status)
        if status == "running" and "running" not in getattr(reached_succeeded, "shot", set()):
            reached_succeeded.shot = {"running"}
            screenshot("05-jobs-running")
        return status == "succeeded"

    wait(reached_succeeded, timeout=JOB_TIMEOUT_SECONDS, message=f"the job reaches succeeded (saw {seen})")
    assert "Succeeded" in element(f"{card} .badge").text
    assert "2 credits charged" in element(card).text, element(card).text

    element(f"{card} button[data-action=listen]").click()
    audio = f"{card} audio"
    wait(lambda: visible(audio), message="a player appears")
    wait(lambda: driver.execute_script(
        "const a = document.querySelector(arguments[0]); return a.readyState >= 1 && a.duration > 0", audio),
        timeout=15, message="the player has a playable source")
    source = element(audio).get_attribute("src")
    assert source.startswith("blob:"), source
    screenshot("06-jobs-succeeded")

    job = api(f"/api/dub/{job_id}")
    assert job["status"] == "succeeded" and job["credits_charged"] == 2, job
    after = api("/api/credits")["credits"]
    assert before - after == job["credits_charged"], (before, after)
    element("#nav a[data-view=credits]").click()
    wait(lambda: element("#balance").text == str(after), message=f"the Credits page shows {after}")
    wait(lambda: "Charged for a job" in element("#history").text, message="the history shows the charge")
    screenshot("07-credits")

    if UP_LOG:  # the page followed the job over Server-Sent Events, not only by polling
        with open(UP_LOG, encoding="utf-8", errors="replace") as log:
            assert f"/api/dub/{job_id}/events" in log.read(), "no request to the events route in the server log"


def test_cancel_a_running_job_returns_its_credits():
    driver = browser()
    sign_in(KEY)
    before = api("/api/credits")["credits"]
    fake_latency("transcriptions", 30_000)  # holds the job in its first paid step
    try:
        upload(clip())
        job_id = wait(lambda: visible("#dub-result [data-job-id]"), timeout=30).get_attribute("data-job-id")
        element("#nav a[data-view=jobs]").click()
        card = f"#job-{job_id}"
        wait(lambda: visible(card) and element(card).get_attribute("data-status") == "running", timeout=30,
             message="the job runs")
        element(f"{card} button.danger").click()
        wait(lambda: element(card).get_attribute("data-status") == "canceled", timeout=30, message="the job is canceled")
        assert "nothing charged" in element(card).text, element(card).text
        screenshot("08-jobs-canceled")
    finally:
        fake_latency("transcriptions", 0)
    wait(lambda: api("/api/credits")["credits"] == before, message="the reserved credits came back")


def test_plans_show_three_cards_and_buy_reports_payments_off():
    driver = browser()
    sign_in(KEY)
    driver.get(BASE + "/#credits")
    wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#plans .plan")) == 3, message="three plans")
    popular = driver.find_elements(By.CSS_SELECTOR, "#plans .plan.popular")
    assert len(popular) == 1 and popular[0].get_attribute("data-plan") == "pro"
    assert "Most popular" in popular[0].text and "Save 25%" in popular[0].text, popular[0].text
    assert "per credit" in element("#plans [data-plan=starter]").text
    element("#plans [data-plan=premium] button").click()
    # Stripe is not configured in this test, so the server answers 503 payments_disabled.
    wait(lambda: "not available on this server" in element("#notices").text, message="checkout refusal shows")
    screenshot("09-credits-checkout-refused")


def test_checkout_return_says_what_happened_and_drops_the_query():
    driver = browser()
    sign_in(KEY)
    driver.get(BASE + "/?checkout=cancel")
    wait(lambda: "Checkout canceled" in element("#notices").text, message="the cancel notice shows")
    assert "checkout=" not in driver.current_url, driver.current_url
    assert visible("#view-credits"), "the return lands on Credits"
    driver.get(BASE + "/?checkout=success&session_id=cs_test_1")
    wait(lambda: "Payment received" in element("#notices").text, message="the success notice shows")
    assert "session_id" not in driver.current_url
    wait(lambda: element("#balance").text.isdigit(), message="the balance is loaded")
    screenshot("10-checkout-success")


def test_insufficient_credits_shows_what_is_missing():
    driver = browser()
    sign_in(SHORT_KEY)
    upload(clip())
    wait(lambda: "Not enough credits" in element("#dub-error").text, timeout=30, message="the 402 message shows")
    text = element("#dub-error").text
    assert "needs 2 credits" in text and "1 available" in text and "1 credit short" in text, text
    link = element("#dub-error a")
    assert link.get_attribute("href").endswith("#credits")
    screenshot("11-dub-402")
    link.click()
    wait(lambda: visible("#view-credits"), message="the link leads to the plans")


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
    sign_in(KEY)
    before_jobs = len(api("/api/dub?limit=100")["jobs"])
    before_credits = api("/api/credits")["credits"]
    driver.execute_script(LOSE_FIRST_ANSWER)
    upload(clip())
    wait(lambda: element("#dub-error").text.strip() != "", timeout=30, message="the lost answer is reported")
    first_message = element("#dub-error").text
    assert "may have queued it" in first_message and "Nothing was charged" not in first_message, first_message
    screenshot("13-dub-answer-lost")
    element("#dub-submit").click()  # the user tries again with the same file
    wait(lambda: browser().find_elements(By.CSS_SELECTOR, "#dub-result [data-job-id]"), timeout=30, message="the retry is accepted")
    keys = driver.execute_script("return window.__keys")
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0].startswith("web-"), keys
    after_jobs = api("/api/dub?limit=100")["jobs"]
    assert len(after_jobs) == before_jobs + 1, "one job for the two attempts"
    job = after_jobs[0]
    assert job["id"] == element("#dub-result [data-job-id]").get_attribute("data-job-id")
    assert before_credits - api("/api/credits")["credits"] == job["credits_reserved"], "reserved once"


STICKING_OUT_OF_CARDS = """
    return [...document.querySelectorAll('.view:not([hidden]) .card')].flatMap((card) => {
      const box = card.getBoundingClientRect();
      return [...card.querySelectorAll('*')]
        .filter((node) => { const r = node.getBoundingClientRect(); return r.width > 0 && r.right > box.right + 1; })
        .map((node) => node.tagName.toLowerCase() + (node.id ? '#' + node.id : ''));
    });
"""


def test_phone_width_has_no_sideways_scrolling():
    driver = browser()
    sign_in(KEY)
    # A phone's viewport, as DevTools' device mode sets it: windows have a minimum width.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    try:
        for view in ("dub", "jobs", "credits"):
            driver.get(f"{BASE}/#{view}")
            wait(lambda: visible(f"#view-{view}"))
            time.sleep(0.5)  # lists load
            overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{view} is {overflow}px wider than a phone"
            sticking_out = driver.execute_script(STICKING_OUT_OF_CARDS)
            assert not sticking_out, f"{view}: {sticking_out} stick out of their card"
            screenshot(f"12-phone-{view}")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_sign_out_forgets_the_key():
    driver = browser()
    sign_in(KEY)
    element("#sign-out").click()
    wait(lambda: visible("#api-key"), message="back to sign-in")
    assert driver.execute_script("return localStorage.getItem('auris.apiKey')") is None
    assert not visible("#nav")


def test_no_script_errors_in_the_console():
    errors = [entry for entry in browser().get_log("browser")
              if entry["level"] == "SEVERE" and "status of 4" not in entry["message"] and "status of 503" not in entry["message"]]
    assert not errors, errors


def teardown_module():
    """pytest's end of the file: the shared browser and the clip go too."""
    global _browser, _clip
    if _browser is not None:
        _browser.quit()
        _browser = None
    if _clip is not None:
        shutil.rmtree(os.path.dirname(_clip), ignore_errors=True)
        _clip = None


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
        teardown_module()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
