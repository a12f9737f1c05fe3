"""`make book` (issue 17 item 14): the cookbook's notebooks as a static site built with Jupyter Book 2 from their
stored outputs, checked in headless Chromium (Debian's ``chromium``) over the DevTools protocol: the index and the
tour render with their Mermaid diagrams drawn as SVG, each page links to its notebook, and no page logs a console
error, throws, or fails to load a resource. The tour's screenshot is kept in ``docs/book-tour.png``
(``KRATIX_LAB_UPDATE_SNAPSHOTS=1`` refreshes it).

The fast tests check the staging (navigation, page notebooks, refusals) without node or a browser."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.helpers import ROOT
from tests.tui.tui_helpers import UPDATE_ENV

book = pytest.importorskip("book.build", reason="book/build.py")

NOTEBOOKS = ROOT / "notebooks"


# ---- staging: no node, no browser ---------------------------------------------------------------------------------


def test_the_navigation_follows_the_road():
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    parts = book.road(names)
    flat = [f for p in parts for f in p.files]
    assert flat[0] == "00-tour.ipynb" and flat[1] == "01-vcluster-orchestrator.ipynb"
    assert flat[-3:] == ["09-new-promise.ipynb", "10-troubleshooting.ipynb", "11-kubectl.ipynb"]
    assert sorted(flat) == sorted(n for n in names if n in flat) and len(flat) >= 11


def test_a_notebook_off_the_road_is_refused_by_name():
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    with pytest.raises(book.BookError, match=r"notebooks/99-stray\.ipynb: not on the road"):
        book.road([*names, "99-stray.ipynb"])


def test_a_notebook_that_was_never_run_is_refused_with_the_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("1 + 1")])
    with pytest.raises(book.BookError, match=r"notebooks/x\.ipynb: cell 2 has no stored output"):
        book.page_notebook(nb, "x.ipynb")


def test_a_page_links_its_notebook_and_draws_a_displayed_mermaid_diagram():
    cell = nbformat.v4.new_code_cell("show(diagram)", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": "```mermaid\nflowchart LR\n  a --> b\n```"})
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), cell])
    page = book.page_notebook(nb, "07-x.ipynb")
    assert page.cells[0].source.endswith("\n# Title") and "file: notebooks/07-x.ipynb" in page.cells[0].source
    assert "notebooks/07-x.ipynb" in page.cells[1].source and "nothing was re-run" in page.cells[1].source
    assert page.cells[2].outputs == [] and page.cells[3].cell_type == "markdown"
    assert page.cells[3].source.startswith("```mermaid")
    assert nb.cells[1].outputs, "the notebook itself is not changed"


# ---- the built site in Chromium ----------------------------------------------------------------------------------


def _missing_tools() -> str | None:
    for tool in ("node", "npm", "chromium"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (CI installs chromium with apt-get; node and npm are on these machines)"
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no request log in the test output
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if (why := _missing_tools()) is not None:
        pytest.skip(why)
    html = book.build(tmp_path_factory.mktemp("book"), log=lambda *_: None)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Browser:
    """Headless Chromium driven over the DevTools protocol (websocket-client, a dependency of kubernetes)."""

    def __init__(self, profile: Path) -> None:
        import websocket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [
                "chromium",
                "--headless=new",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1280,900",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint within 30 s")
            time.sleep(0.2)
        # no Origin header: Chromium refuses a DevTools WebSocket that sends one it was not told to allow
        # (--remote-allow-origins), and websocket-client sends the endpoint's own as Origin
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.problems: list[str] = []
        for method in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            self.call(method)

    def _event(self, msg: dict) -> None:
        method, params = msg.get("method"), msg.get("params") or {}
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.problems.append("console.error: " + " ".join(str(a.get("value", a)) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails") or {}
            self.problems.append("exception: " + str((details.get("exception") or {}).get("description", details)))
        elif method == "Log.entryAdded" and (params.get("entry") or {}).get("level") == "error":
            entry = params["entry"]
            self.problems.append(f"log: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self.problems.append(f"network: {params.get('errorText')}")

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def open(self, url: str, ready: str, timeout: float = 30) -> None:
        """Navigate and wait until the JavaScript expression ``ready`` is true (the page has rendered)."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while not self.evaluate(ready):
            if time.monotonic() > deadline:
                raise AssertionError(f"{url}: not rendered within {timeout} s ({ready}); problems: {self.problems}")
            time.sleep(0.25)
        time.sleep(0.5)  # late console messages
        self.evaluate("1")

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


DIAGRAMS = "document.querySelectorAll('svg[aria-roledescription]').length"


def test_the_index_renders_the_road_and_its_diagram(site, browser):
    browser.open(site + "/", f"{DIAGRAMS} > 0")
    text = browser.evaluate("document.body.innerText")
    assert "The kratix-lab cookbook" in text and "The road, page by page" in text
    assert browser.evaluate(DIAGRAMS) == 1  # book/index.md's flowchart, drawn as SVG
    titles = browser.evaluate("[...document.querySelectorAll('nav a')].map(a => a.textContent)")
    assert any("tour" in t.lower() for t in titles) and any("Troubleshooting" in t for t in titles), titles
    assert browser.problems == []


def test_the_tour_renders_its_trace_diagram_links_its_notebook_and_logs_no_error(site, browser):
    browser.open(site + "/tour", f"{DIAGRAMS} > 0")
    assert browser.evaluate("document.title").startswith("A tour of the request road")
    assert browser.evaluate("document.querySelectorAll('h1').length") == 1  # the title, shown once
    assert browser.evaluate(DIAGRAMS) >= 1  # the seed's diagram redrawn from the live trace (a cell's output)
    assert browser.evaluate("document.querySelector(\"svg[aria-roledescription='flowchart-v2'] .node\") !== null")
    hrefs = browser.evaluate("[...document.querySelectorAll('a')].map(a => a.getAttribute('href'))")
    links = [h for h in hrefs if h and "00-tour" in h and h.endswith(".ipynb")]
    assert links, "the page links the notebook that produced it"
    with urllib.request.urlopen(site + links[0], timeout=10) as r:  # MyST serves it as a download: byte for byte
        assert r.read() == (NOTEBOOKS / "00-tour.ipynb").read_bytes()
    assert browser.problems == []
    png = browser.screenshot()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    target = ROOT / "docs" / "book-tour.png"
    if os.environ.get(UPDATE_ENV) or not target.exists():
        target.write_bytes(png)
