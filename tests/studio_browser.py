"""Drives the studio in Debian's headless Chromium over the DevTools protocol (a pipe: fds 3 and 4,
no extra packages): draws strokes on the canvas, runs the model, waits for the result image,
checks it has content and changes with the seed, shows an API error, traces a photo into a
sketch; saves screenshots. With --shipped (a server of the shipped models/): every model in the list
in turn, as a newcomer would use it: strokes on the canvas (a shoe), a photo for the colorizer, line
art with a palette as the style. Usage: studio_browser.py URL PHOTO ARTIFACT_DIR [--shipped].
Exit 0 when all pass."""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

url, photo, artifacts = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
shipped = "--shipped" in sys.argv[4:]
os.makedirs(artifacts, exist_ok=True)
browser = shutil.which("chromium") or shutil.which("chromium-browser")
if not browser:
    sys.exit("FAIL: Debian's chromium is not installed (scripts/install-deps.sh installs it)")

profile = tempfile.mkdtemp(prefix="ganvas-studio-")
to_r, to_w = os.pipe()
from_r, from_w = os.pipe()


def moved_up(fd):
    """fd copied above 10 (and closed): dup2 onto 3 and 4 must then be a real copy, since a copy
    onto its own number would keep close-on-exec and the browser would find its pipe closed."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


to_r, from_w = moved_up(to_r), moved_up(from_w)


def child_fds():
    os.dup2(to_r, 3)
    os.dup2(from_w, 4)


proc = subprocess.Popen(
    [browser, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
     "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--user-data-dir=" + profile,
     "--window-size=1280,1000", "about:blank"],
    preexec_fn=child_fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_r)
os.close(from_w)
reader = os.fdopen(from_r, "rb", buffering=0)
pending = b""
next_id = 0
session = None
failures = []


def send(method, params=None, use_session=True):
    global next_id, pending
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if use_session and session:
        message["sessionId"] = session
    os.write(to_w, json.dumps(message).encode() + b"\0")
    deadline = time.time() + 60
    while time.time() < deadline:
        while b"\0" in pending:
            raw, pending = pending.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        chunk = reader.read(1 << 16)
        if not chunk:
            raise RuntimeError("the browser closed the pipe")
        pending += chunk
    raise RuntimeError(f"{method}: no reply")


def js(expression):
    result = send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
    if "exceptionDetails" in result:
        raise RuntimeError(f"JS error in {expression!r}: {result['exceptionDetails']}")
    return result["result"].get("value")


def wait_for(expression, what, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if js(expression):
            return True
        time.sleep(0.1)
    failures.append(f"timed out waiting for {what}")
    return False


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def screenshot(name):
    data = send("Page.captureScreenshot", {"format": "png"})["data"]
    path = os.path.join(artifacts, name)
    with open(path, "wb") as f:
        f.write(base64.b64decode(data))
    print(f"screenshot: {path}")


class Finished(Exception):
    """The --shipped scenario is over (the tiny model's checks below are not for it)."""


def draw(strokes):
    """Strokes with the mouse (pointer events), as a person would: fractions of the canvas."""
    r = json.loads(js("JSON.stringify(document.getElementById('canvas').getBoundingClientRect())"))
    for line in strokes:
        points = [(r["x"] + fx * r["width"], r["y"] + fy * r["height"]) for fx, fy in line]
        send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": points[0][0], "y": points[0][1], "button": "left", "buttons": 1, "clickCount": 1})
        for x, y in points[1:]:
            for k in range(1, 9):  # intermediate moves, like a real drag
                px = points[0][0] + (x - points[0][0]) * k / 8
                py = points[0][1] + (y - points[0][1]) * k / 8
                send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": px, "y": py, "button": "left", "buttons": 1})
            points[0] = (x, y)
        send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": points[0][0], "y": points[0][1], "button": "left", "buttons": 0, "clickCount": 1})


def run_shipped():
    """Every listed model in turn with the input a newcomer would give it; each result must have
    content. Screenshots shipped_NAME.png."""
    names = js("[...document.querySelectorAll('#model option')].map(o => o.value)")
    check(len(names) >= 3, f"the shipped models are listed ({names})")
    shoe = [[(0.1, 0.45), (0.15, 0.75), (0.9, 0.78), (0.88, 0.62), (0.55, 0.5), (0.42, 0.35), (0.12, 0.35), (0.1, 0.45)],
            [(0.15, 0.7), (0.88, 0.72)], [(0.45, 0.4), (0.5, 0.48)], [(0.5, 0.38), (0.56, 0.46)]]
    face = [[(0.3, 0.3), (0.25, 0.55), (0.35, 0.8), (0.5, 0.88), (0.65, 0.8), (0.75, 0.55), (0.7, 0.3), (0.5, 0.2), (0.3, 0.3)],
            [(0.38, 0.48), (0.44, 0.48)], [(0.56, 0.48), (0.62, 0.48)], [(0.42, 0.7), (0.5, 0.73), (0.58, 0.7)],
            [(0.3, 0.3), (0.2, 0.95)], [(0.7, 0.3), (0.8, 0.95)]]
    for name in names:
        js(f"document.getElementById('model').value = {json.dumps(name)}; "
           "document.getElementById('model').dispatchEvent(new Event('change')); true")
        architecture = js("current().architecture")
        before = js("document.querySelectorAll('#results img.result').length")
        if architecture == "colorizer":  # a photo in, through the Image tab's file picker
            node = send("Runtime.evaluate", {"expression": "document.getElementById('file-main')"})["result"]["objectId"]
            send("DOM.enable")
            send("DOM.setFileInputFiles", {"files": [photo], "objectId": node})
            wait_for("!document.getElementById('preview-main').classList.contains('hidden')", f"{name}: the photo")
        else:  # drawn: a shoe, or line art of a face painted with a palette
            js("document.getElementById('tab-draw').click(); document.getElementById('clear').click(); true")
            draw(face if architecture == "style2paints" else shoe)
            if js("!document.getElementById('style-box').classList.contains('hidden')"):
                js("document.querySelector('button.palette').click(); true")
                wait_for("!document.getElementById('preview-style').classList.contains('hidden')", f"{name}: the palette")
        js("document.getElementById('seed').value = '1'; document.getElementById('run').click(); true")
        wait_for(f"document.querySelectorAll('#results img.result').length > {before} && "
                 "[...document.querySelectorAll('#results img.result')].every(i => i.complete && i.naturalWidth > 0)",
                 f"{name}: its result", seconds=120)
        error = js("getComputedStyle(document.getElementById('error')).display !== 'none' ? document.getElementById('error').textContent : ''")
        check(not error, f"{name}: no error ({error!r})")
        newest = js("document.querySelector('#results img.result').src")
        spread = js(f"{SPREAD}({json.dumps(newest)})") if newest else None
        check(spread is not None and spread > 1.0, f"{name} ({architecture}): the result has content (gray-level spread {spread})")
        screenshot(f"shipped_{name}.png")


# The spread of an image's gray levels, read back through a canvas (0 for a blank image).
SPREAD = """(async (src) => {
  const img = new Image(); img.src = src; await img.decode();
  const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let s = 0, s2 = 0, n = 0;
  for (let i = 0; i < d.length; i += 4) { const v = (d[i] + d[i+1] + d[i+2]) / 3; s += v; s2 += v * v; n++; }
  return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
})"""

try:
    target = send("Target.createTarget", {"url": "about:blank"}, use_session=False)["targetId"]
    session = send("Target.attachToTarget", {"targetId": target, "flatten": True}, use_session=False)["sessionId"]
    send("Page.enable")
    send("Runtime.enable")
    send("Page.navigate", {"url": url})
    wait_for("document.querySelectorAll('#model option').length > 0", "the model list")
    check(js("document.getElementById('run').disabled") is False, "the studio lists the models and can run")

    if shipped:
        run_shipped()
        raise Finished()
    # Draw: a few strokes with the mouse (pointer events), as a person would.
    draw([[(0.2, 0.8), (0.3, 0.3), (0.5, 0.2), (0.7, 0.3), (0.8, 0.8)], [(0.25, 0.6), (0.75, 0.6)]])
    ink = js("""(() => { const c = document.getElementById('canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
               let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n; })()""")
    check(ink > 500, f"the strokes are on the canvas ({ink} dark pixels)")
    screenshot("studio_drawn.png")

    # Run it twice with two seeds.
    def run(seed, count):
        js(f"document.getElementById('seed').value = '{seed}'; document.getElementById('run').click(); true")
        wait_for(f"document.querySelectorAll('#results img.result').length >= {count} && "
                 "[...document.querySelectorAll('#results img.result')].every(i => i.complete && i.naturalWidth > 0)",
                 f"result {count}")
        return js("document.querySelector('#results img.result').src")

    first = run(1, 1)
    spread = js(f"{SPREAD}({json.dumps(first)})")
    check(first.startswith("data:image/png;base64,") and spread is not None and spread > 1.0,
          f"the result image has content (gray-level spread {spread:.2f})")
    second = run(2, 2)
    check(second != first, "another seed gives another image")
    again = run(1, 3)
    check(again == first, "the same seed gives the same image")
    check(js("document.querySelectorAll('#gallery img').length") >= 3, "the session gallery keeps the results")
    screenshot("studio_results.png")

    # An error from the API is shown, not swallowed.
    js("document.getElementById('samples').value = '999'; document.getElementById('run').click(); true")
    wait_for("getComputedStyle(document.getElementById('error')).display !== 'none'", "the error message")
    message = js("document.getElementById('error').textContent")
    check("samples" in (message or ""), f"an API error is shown ({message!r})")
    js("document.getElementById('samples').value = '1'; true")
    screenshot("studio_error.png")

    # A photo traced into a sketch to draw over.
    js("document.getElementById('clear').click(); true")
    node = send("Runtime.evaluate", {"expression": "document.getElementById('edges-file')"})["result"]["objectId"]
    send("DOM.enable")
    send("DOM.setFileInputFiles", {"files": [photo], "objectId": node})
    wait_for("""(() => { const c = document.getElementById('canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
               let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n > 50; })()""", "the traced sketch")
    check(js("document.getElementById('error').textContent") == "" or
          js("getComputedStyle(document.getElementById('error')).display") == "none", "tracing a photo shows no error")
    screenshot("studio_sketch.png")
except Finished:
    pass
except Exception as e:  # a protocol failure is a test failure, with its message
    failures.append(f"{type(e).__name__}: {e}")
finally:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(profile, ignore_errors=True)

if failures:
    for f in failures:
        print("FAIL:", f)
    sys.exit(1)
print("studio: all checks passed")
