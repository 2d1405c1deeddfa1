"""The risk report page (report.html of ``bimcheck check``) in a real browser.

Headless Chromium from Debian's packages (``/usr/bin/chromium``; ``make
browser`` installs it), driven over the Chrome DevTools Protocol on a pipe
(``--remote-debugging-pipe``: NUL-separated JSON on file descriptors 3 and 4),
so no Python package and no browser download is needed. Under CI (``CI=true``)
a Chromium that cannot run fails the tests; elsewhere they are skipped.

Checked: no console errors; the summary's numbers are the JSON's; sorting by
a column and filtering by severity, discipline and rule show the rows the
JSON says; clicking a plan marker highlights its row; a model whose names are
``<script>`` and ``<img onerror>`` runs no script. The sample's page is saved
as ``reports/report-screenshot.png`` when ``BIMCHECK_UPDATE_SCREENSHOT=1``
(a test run does not change the checkout: the pixels vary with the fonts and
the Chromium build).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bimcheck.cli.main import cli
from bimcheck.testing import Box, ModelFactory
from tests.conftest import REPO, SAMPLES

CHROMIUM = os.environ.get("BIMCHECK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = REPO / "reports" / "report-screenshot.png"
TIMEOUT_S = 20.0
HOSTILE_SCRIPT = "<script>window.__pwned=1</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned=1">'


class BrowserError(RuntimeError):
    """Chromium did not start or did not answer."""


class Chromium:
    """One headless Chromium and one page, over CDP on a pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()

        def remap() -> None:  # in the child: the pipe ends on fds 3 (in) and 4 (out)
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [executable, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
                "--mute-audio", "--remote-debugging-pipe", f"--user-data-dir={profile}",
                "about:blank"]
        try:
            self.proc = subprocess.Popen(args, preexec_fn=remap, close_fds=False,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise BrowserError(f"cannot start {executable}: {exc}") from exc
        finally:
            os.close(to_r)
            os.close(from_w)
        self._out, self._in = to_w, from_r
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None
        targets = self.call("Target.getTargets", session=False)["targetInfos"]
        page = next((t for t in targets if t["type"] == "page"), None)
        if page is None:
            page_id = self.call("Target.createTarget", {"url": "about:blank"},
                                session=False)["targetId"]
        else:
            page_id = page["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": page_id,
                                                           "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def close(self) -> None:
        """End the browser (it is this test's process)."""
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    # -- protocol ---------------------------------------------------------------------------

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("Chromium did not answer in time")
            ready, _, _ = select.select([self._in], [], [], left)
            if ready:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the pipe (did it start?)")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "id" not in message:
            self._on_event(message)
        return message

    def _on_event(self, message: dict[str, Any]) -> None:
        self.events.append(message)
        if message.get("method") == "Page.javascriptDialogOpening":
            self.send("Page.handleJavaScriptDialog", {"accept": False})

    def send(self, method: str, params: dict[str, Any] | None = None, *,
             session: bool = True) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        try:
            os.write(self._out, json.dumps(message).encode() + b"\0")
        except OSError as exc:
            raise BrowserError(f"Chromium is not listening (did it start?): {exc}") from exc
        return self._next_id

    def call(self, method: str, params: dict[str, Any] | None = None, *,
             session: bool = True) -> dict[str, Any]:
        """Send a command and return its result (BrowserError on an error)."""
        wanted = self.send(method, params, session=session)
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            message = self._read(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_event(self, method: str, since: int) -> dict[str, Any]:
        """The first event ``method`` after ``self.events[since:]`` starts."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for event in self.events[since:]:
                if event.get("method") == method:
                    return event
            since = len(self.events)
            self._read(deadline)

    # -- page -------------------------------------------------------------------------------

    def open(self, path: Path) -> None:
        """Load a local file and wait for its load event."""
        mark = len(self.events)
        self.call("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_event("Page.loadEventFired", mark)

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click at the middle of the element ``selector``."""
        box = self.js(f"""(() => {{ const el = document.querySelector({json.dumps(selector)});
            el.scrollIntoView({{block: "center"}});
            const r = el.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; }})()""")
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def screenshot(self, width: int = 1440) -> bytes:
        """A PNG of the whole page, ``width`` CSS pixels wide."""
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 1000,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False})
        height = int(self.js("document.documentElement.scrollHeight"))
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False})
        data = self.call("Page.captureScreenshot", {"format": "png",
                                                    "captureBeyondViewport": True})["data"]
        return base64.b64decode(data)

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and dialogs seen so far."""
        out = []
        for ev in self.events:
            method, params = ev.get("method"), ev.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                                "assert"):
                out.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.append(f"log: {params['entry'].get('text')}")
            elif method == "Page.javascriptDialogOpening":
                out.append(f"dialog: {params.get('message')}")
        return out


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium cannot run under CI: {reason}")
    pytest.skip(f"Chromium cannot run here ({reason}); `make browser` installs it")


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} not found")
    profile = Path(tempfile.mkdtemp(prefix="bimcheck-chromium-"))
    try:
        try:
            chrome = Chromium(CHROMIUM, profile)
        except BrowserError as exc:
            _unavailable(str(exc))
        try:
            yield chrome
        finally:
            chrome.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _check(*args: str) -> None:
    r = CliRunner().invoke(cli, ["-q", "check", *args, "--overwrite"], catch_exceptions=False)
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The sample tower's report with its lift plan: (report.html, report.json)."""
    out = tmp_path_factory.mktemp("sample")
    _check(str(SAMPLES / "tower_rev_a.ifc"), "--lift-plan", str(SAMPLES / "tower.lift.yaml"),
           "--out", str(out))
    return out / "report.html", json.loads((out / "report.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def opened(browser: Chromium, sample: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    page, doc = sample
    browser.open(page)
    return doc


def _shown(browser: Chromium) -> list[int]:
    return browser.js("""Array.from(document.querySelectorAll('#findings-table tbody tr'))
        .filter(r => !r.hidden).map(r => parseInt(r.dataset.n, 10))""")


def _select(browser: Chromium, name: str, value: str) -> None:
    browser.js(f"""(() => {{ const s = document.getElementById('filter-{name}');
        s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change')); }})()""")


def test_no_console_errors_and_screenshot(browser: Chromium, opened: dict[str, Any]) -> None:
    assert browser.problems() == []
    png = browser.screenshot()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert width >= 1400 and height >= 1800
    if os.environ.get("BIMCHECK_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.write_bytes(png)
    browser.call("Emulation.clearDeviceMetricsOverride")


def test_summary_numbers_are_the_json_s(browser: Chromium, opened: dict[str, Any]) -> None:
    summary = opened["summary"]
    assert browser.js("document.getElementById('sum-total').textContent") == str(
        summary["findings"])
    for severity, n in summary["by_severity"].items():
        assert browser.js(f"document.getElementById('sum-{severity}').textContent") == str(n)
    assert browser.js("document.getElementById('sum-verdict').dataset.verdict") == "nogate"
    rows = browser.js("document.querySelectorAll('#findings-table tbody tr').length")
    assert rows == len(opened["findings"])
    assert browser.js("document.getElementById('shown-count').textContent") == str(rows)


def test_sorting_by_a_column(browser: Chromium, opened: dict[str, Any]) -> None:
    findings = opened["findings"]
    risk_head = "#findings-table thead th:nth-child(10)"
    browser.click(risk_head)
    ascending = sorted(range(1, len(findings) + 1), key=lambda n: (findings[n - 1]["risk"], n))
    assert _shown(browser) == ascending
    browser.click(risk_head)
    descending = sorted(range(1, len(findings) + 1),
                        key=lambda n: (-findings[n - 1]["risk"], n))
    assert _shown(browser) == descending
    browser.click("#findings-table thead th:nth-child(3)")  # rule
    by_rule = sorted(range(1, len(findings) + 1), key=lambda n: (findings[n - 1]["rule"].lower(),
                                                                 n))
    assert _shown(browser) == by_rule
    browser.click("#findings-table thead th:nth-child(1)")  # back to report order
    assert _shown(browser) == list(range(1, len(findings) + 1))


def test_filtering_by_severity_discipline_and_rule(browser: Chromium,
                                                  opened: dict[str, Any]) -> None:
    findings = opened["findings"]

    def expected(**want: str) -> list[int]:
        return [n for n, f in enumerate(findings, start=1)
                if all((f[k] or "-") == v for k, v in want.items())]

    for name, value in (("severity", "high"), ("discipline", "structure"), ("rule", "PR002")):
        _select(browser, name, value)
        rows = expected(**{name: value})
        assert rows and _shown(browser) == rows
        assert browser.js("document.getElementById('shown-count').textContent") == str(
            len(rows))
        _select(browser, name, "")
    _select(browser, "severity", "critical")
    _select(browser, "discipline", "structure")
    assert _shown(browser) == expected(severity="critical", discipline="structure")
    browser.click("#filter-reset")
    assert _shown(browser) == list(range(1, len(findings) + 1))


def test_clicking_a_marker_highlights_its_row(browser: Chromium,
                                             opened: dict[str, Any]) -> None:
    located = [f for f in opened["findings"] if f["location"] is not None
               and f["family"] != "crane"]
    markers = browser.js("Array.from(document.querySelectorAll('g.marker[id^=\"m-\"]'))"
                         ".map(m => m.dataset.key)")
    assert sorted(markers) == sorted(f["key"] for f in located)
    key = next(f["key"] for f in located if f["severity"] == "critical")
    _select(browser, "severity", "low")  # the markers of hidden rows are hidden too
    off = browser.js("Array.from(document.querySelectorAll('g.marker.off'))"
                     ".map(m => m.dataset.key)")
    assert sorted(off) == sorted(f["key"] for f in opened["findings"]
                                 if f["location"] is not None and f["severity"] != "low")
    browser.click("#filter-reset")
    browser.click(f"#m-{key}")
    assert browser.js(f"document.getElementById('f-{key}').classList.contains('highlight')")
    assert not browser.js(f"document.getElementById('f-{key}').hidden")
    assert browser.js(f"""(() => {{ const r = document.getElementById('f-{key}')
        .getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }})()""")
    assert browser.js("document.querySelectorAll('tr.highlight').length") == 1
    other = next(f["key"] for f in located if f["key"] != key)
    browser.click(f"#m-{other}")
    assert browser.js("Array.from(document.querySelectorAll('tr.highlight'))"
                      ".map(r => r.dataset.key)") == [other]
    top = opened["summary"]["risk"]["top"][0]["key"]
    _select(browser, "severity", "info")  # a top risk's link shows its row, filters reset
    browser.click(f"#top-risks a[data-row='{top}']")
    assert browser.js(f"document.getElementById('f-{top}').classList.contains('highlight')")
    assert browser.js("document.getElementById('shown-count').textContent") == str(
        len(opened["findings"]))
    assert browser.problems() == []


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html of a model whose names are markup, with a lift plan whose
    lift id is markup too."""
    tmp = tmp_path_factory.mktemp("hostile")
    f = ModelFactory(project_name=HOSTILE_SCRIPT, building_name=HOSTILE_IMG)
    level = f.add_storey(HOSTILE_IMG, 0.0)
    f.add_element("IfcWall", HOSTILE_SCRIPT, shape=Box((0, 0, 0), (10, 0.2, 3)), storey=level)
    f.add_element("IfcWall", HOSTILE_IMG, shape=Box((5, -2, 0), (5.2, 4, 3)), storey=level)
    f.add_element("IfcSlab", "</script><script>window.__pwned=1</script>",
                  shape=Box((0, -2, 3), (10, 4, 3.2)), storey=level)
    model = f.write(tmp / "hostile.ifc")
    plan = (SAMPLES / "tower.lift.yaml").read_text("utf-8").replace(
        "id: L1-critical", "id: \"<img src=x onerror='window.__pwned=1'>\"")
    (tmp / "hostile.lift.yaml").write_text(plan, "utf-8")
    _check(str(model), "--lift-plan", str(tmp / "hostile.lift.yaml"), "--out", str(tmp / "out"))
    return tmp / "out" / "report.html"


def test_hostile_names_run_no_script(browser: Chromium, hostile: Path) -> None:
    mark = len(browser.events)
    browser.open(hostile)
    assert browser.js("typeof window.__pwned") == "undefined"
    assert browser.js("document.querySelectorAll('img').length") == 0
    scripts = browser.js("Array.from(document.scripts).map(s => s.type || 'js')")
    assert scripts == ["application/json", "js"]
    text = browser.js("document.body.innerText")
    assert HOSTILE_SCRIPT in text and "onerror" in text  # shown as text
    assert browser.js("document.querySelectorAll('g.marker').length") > 0
    browser.click("g.marker")
    assert browser.js("document.querySelectorAll('tr.highlight').length") == 1
    assert not any(ev.get("method") == "Page.javascriptDialogOpening"
                   for ev in browser.events[mark:])
    assert browser.problems() == []
