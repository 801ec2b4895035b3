"""What the checks in test_web.py share: one headless Chromium, the server's address,
the fakes' controls, and a way to call the API as the signed-in browser does."""
import base64
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ.get("AURIS_URL", "http://127.0.0.1:8080")
UP_LOG = os.environ.get("AURIS_UP_LOG", "")
FAKE_OPENAI = os.environ.get("AURIS_FAKE_OPENAI", "")  # its root URL, for /_fake controls
FAKE_STRIPE = os.environ.get("AURIS_FAKE_STRIPE", "")
WEBHOOK_SECRET = os.environ.get("AURIS_WEBHOOK_SECRET", "")
ARTIFACTS = os.environ.get("AURIS_TEST_ARTIFACTS", "test-artifacts")
DESKTOP = (1280, 900)
PHONE = (390, 844)
JOB_TIMEOUT_SECONDS = 120
PASSWORD = "a long enough password"
ACCEPT_LANGUAGE = {"fr": "fr-FR,fr;q=0.9,en;q=0.5", "en": "en-US,en;q=0.9"}

_browser = None
_clips = {}


def browser():
    """One Chromium for every check: starting it is the slowest step. Every host but
    this machine fails to resolve, so nothing can load from another origin."""
    global _browser
    if _browser is None:
        options = Options()
        options.binary_location = "/usr/bin/chromium"
        # --no-sandbox: Chromium refuses to run its sandbox as root, which CI is.
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--mute-audio", f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=en-US",
                         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        _browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        _browser.set_window_size(*DESKTOP)
    return _browser


def quit_browser():
    global _browser
    if _browser is not None:
        _browser.quit()
        _browser = None


def clip(seconds=12):
    """A tone of `seconds`: one credit per started 10 s."""
    if seconds not in _clips:
        path = os.path.join(tempfile.mkdtemp(prefix="auris-browser-"), f"clip-{seconds}.mp3")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}",
                        "-ac", "1", "-ar", "22050", "-b:a", "64k", path], check=True)
        _clips[seconds] = path
    return _clips[seconds]


def video_clip(seconds=12):
    """A WebM (VP8 and Opus, which every Chromium plays) of a test pattern and a tone."""
    key = f"video-{seconds}"
    if key not in _clips:
        path = os.path.join(tempfile.mkdtemp(prefix="auris-browser-"), f"clip-{seconds}.webm")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", f"testsrc=size=64x36:rate=5:duration={seconds}",
                        "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-c:v", "libvpx", "-b:v", "50k",
                        "-c:a", "libopus", "-b:a", "32k", path], check=True)
        _clips[key] = path
    return _clips[key]


def two_speaker_clip():
    """12 s of two "people" taking turns every 3 s: the fake OpenAI tells voices apart by pitch."""
    if "speakers" not in _clips:
        path = os.path.join(tempfile.mkdtemp(prefix="auris-browser-"), "two-speakers.mp3")
        tone = "aevalsrc='0.25*sin(2*PI*if(lt(mod(t,6),3),330,550)*t)':s=22050:d=12"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", tone, "-ac", "1", "-b:a", "64k", path], check=True)
        _clips["speakers"] = path
    return _clips["speakers"]


def clip_folders():
    return [os.path.dirname(path) for path in _clips.values()]


def post_json(url, body, headers=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def fake_latency(endpoint, milliseconds):
    post_json(f"{FAKE_OPENAI}/_fake/latency", {"endpoint": endpoint, "milliseconds": milliseconds})


def api(path, key=None, session=None):
    """GET on the API as the signed-in browser (its session cookie), with a bearer key,
    or with a given session token. Returns (status, JSON)."""
    if key:
        headers = {"Authorization": f"Bearer {key}"}
    else:
        cookie = browser().get_cookie("auris_session")
        session = session or (cookie and cookie["value"])
        headers = {"Cookie": f"auris_session={session}"} if session else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(BASE + path, headers=headers), timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def stripe_sessions():
    with urllib.request.urlopen(f"{FAKE_STRIPE}/_fake/sessions", timeout=10) as response:
        return json.load(response)["sessions"]


def pay_as_stripe(session_id):
    """What Stripe does once the buyer has paid: the signed webhook to Auris."""
    delivery = post_json(f"{FAKE_STRIPE}/_fake/webhook", {"session_id": session_id, "secrets": [WEBHOOK_SECRET]})
    request = urllib.request.Request(f"{BASE}/api/stripe/webhook", data=delivery["body"].encode(), headers={
        "Content-Type": "application/json", "Stripe-Signature": delivery["signature"]})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, response.status


def wait(condition, timeout=15, message=""):
    return WebDriverWait(browser(), timeout, poll_frequency=0.1).until(lambda driver: condition(), message)


def element(selector):
    return browser().find_element(By.CSS_SELECTOR, selector)


def elements(selector):
    return browser().find_elements(By.CSS_SELECTOR, selector)


def visible(selector):
    found = elements(selector)
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


def as_stranger(language):
    """A browser that has never been here, whose Accept-Language asks for `language`."""
    driver = browser()
    driver.get(BASE + "/")
    driver.delete_all_cookies()
    driver.execute_script("localStorage.clear()")
    user_agent = driver.execute_script("return navigator.userAgent")
    driver.execute_cdp_cmd("Emulation.setUserAgentOverride", {
        "userAgent": user_agent, "acceptLanguage": ACCEPT_LANGUAGE[language]})
    open_page("/")
    wait(lambda: visible("#signup-form"), message="the sign-up form shows")


def new_email(tag):
    return f"{tag}-{time.time_ns()}@example.com"


def fill_and_submit(form, email, password):
    tab = "#tab-signup" if form == "signup" else "#tab-signin"
    element(tab).click()
    for field, value in (("email", email), ("password", password)):
        box = element(f"#{form}-{field}")
        box.clear()
        box.send_keys(value)
    element(f"#{form}-form button[type=submit]").click()


def sign_up(language, tag="stranger"):
    """A stranger signs up through the page; returns the email."""
    as_stranger(language)
    email = new_email(tag)
    fill_and_submit("signup", email, PASSWORD)
    wait(lambda: visible("#view-dub"), message="signed up, the Dub view shows")
    return email


def upload(path, language="fr"):
    wait(lambda: elements(f"#dub-target option[value='{language}']"), message="the language list is loaded")
    element("#dub-file").send_keys(path)
    Select(element("#dub-target")).select_by_value(language)
    element("#dub-submit").click()


# axe-core cannot tell the background of text on a translucent card over a gradient (it
# reports it "incomplete"), so contrast is measured here: the layers of background
# under each text, from the element up to a gradient, composited over each of the
# gradient's colours, and the worst of them held to WCAG AA (4.5:1, 3:1 for large text).
CONTRAST_FAILURES = """
    const parse = (text) => (text.match(/rgba?\\([^)]*\\)/g) || []).map((color) => {
      const [r, g, b, a = 1] = color.replace(/rgba?\\(|\\)/g, '').split(',').map(Number);
      return [r, g, b, a];
    });
    const over = (top, bottom) => top.slice(0, 3).map((value, i) => value * top[3] + bottom[i] * (1 - top[3])).concat(1);
    const luminance = (color) => {
      const [r, g, b] = color.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => { const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x); return (l1 + 0.05) / (l2 + 0.05); };
    const failures = [];
    const texts = [...document.querySelectorAll('body *')].filter((node) =>
      [...node.childNodes].some((child) => child.nodeType === 3 && child.textContent.trim()) && node.getClientRects().length
      && !node.closest('[hidden], [disabled], .visually-hidden, .skip-link, option'));
    for (const node of texts) {
      const layers = [];
      let bases = null;
      for (let at = node; at; at = at.parentElement) {
        const style = getComputedStyle(at);
        if (style.backgroundImage !== 'none') { bases = parse(style.backgroundImage); break; }
        const [color] = parse(style.backgroundColor);
        if (color && color[3] > 0) layers.push(color);
        if (color && color[3] === 1) { bases = [layers.pop()]; break; }
      }
      bases = bases && bases.length ? bases : [[255, 255, 255, 1]];
      const style = getComputedStyle(node);
      const [foreground] = parse(style.color);
      const worst = Math.min(...bases.map((base) => {
        const background = layers.reverse().reduce((under, layer) => over(layer, under), base);
        layers.reverse();
        return ratio(over(foreground, background), background);
      }));
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (worst < (large ? 3 : 4.5)) failures.push(`${node.tagName.toLowerCase()}${node.id ? '#' + node.id : ''} "${node.textContent.trim().slice(0, 30)}" ${worst.toFixed(2)}:1`);
    }
    return failures;
"""


def accessibility_violations():
    """axe-core's WCAG 2 A and AA rules on the page as it is now, run from the copy the
    axe-selenium-python package ships (nothing is fetched), and the contrast of every
    text measured over the gradient (CONTRAST_FAILURES)."""
    import axe_selenium_python
    script = os.path.join(os.path.dirname(axe_selenium_python.__file__), "node_modules", "axe-core", "axe.min.js")
    driver = browser()
    with open(script, encoding="utf-8") as file:
        driver.execute_script(file.read())
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })
          .then((result) => done(result.violations.map((violation) => ({
            rule: violation.id,
            nodes: violation.nodes.slice(0, 5).map((node) => `${node.target.join(' ')}: ${node.failureSummary}`),
          }))));
    """) + [{"rule": "contrast over the gradient", "nodes": failures} for failures in [driver.execute_script(CONTRAST_FAILURES)] if failures]


def go(view):
    element(f"#nav a[data-view={view}]").click()
    wait(lambda: visible(f"#view-{view}"), message=f"the {view} view shows")
