"""Browser fixtures: the session app served over HTTP, and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (``apt-get install
chromium``). Without it the browser tests are skipped on a workstation and fail under CI (``CI``
set), so a CI image that lost Chromium cannot pass silently.

``BAZA_SCREENSHOTS=<dir>`` makes the tests save their screenshots (docs/screenshots is the
documentation's copy); without it nothing is written.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
# Chromium's wording for a blocked resource or inline code, in the console and in page errors.
_CSP = re.compile(r"Content[ -]Security[ -]Policy", re.IGNORECASE)


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The session ``app`` on 127.0.0.1 and a free port, served from a thread; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless; never a downloaded one."""
    if not os.path.exists(CHROMIUM):
        message = f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium"
        if _ci():
            pytest.fail(f"CI is set but {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class ConsoleWatch:
    """Console errors, page errors and CSP violations seen by every page of a test."""

    errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Tolerate console errors matching ``pattern`` (an expected 4xx, say); never CSP ones."""
        self.allowed.append(re.compile(pattern))

    def watch(self, page: object) -> None:
        page.on("console", lambda msg: self._console(page, msg.type, msg.text))
        page.on("pageerror", lambda exc: self._record(page, f"uncaught: {exc}"))

    def _console(self, page: object, kind: str, text: str) -> None:
        if kind == "error" or _CSP.search(text):
            self._record(page, text)

    def _record(self, page: object, text: str) -> None:
        entry = f"{page.url}: {text}"
        if _CSP.search(text):
            self.csp.append(entry)
        elif not any(p.search(text) for p in self.allowed):
            self.errors.append(entry)

    def check(self) -> None:
        assert not self.csp, "Content-Security-Policy violations:\n" + "\n".join(self.csp)
        assert not self.errors, "console errors:\n" + "\n".join(self.errors)


# Installed before any page script: a CSP violation also reaches the console as an error, even one
# Chromium reports only as an event (a blocked inline handler, eval in a library).
_REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  const what = `${e.violatedDirective} blocked ${e.blockedURI || "inline code"}`;
  console.error(`Content-Security-Policy violation: ${what} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def new_page(browser: object, live_server: str, console: ConsoleWatch) -> Iterator[Callable]:
    """``new_page()`` → a page in a fresh browser context (its own cookies: another person).

    Every page is watched: the test fails on any CSP violation or unexpected console error.
    """
    contexts = []

    def make(locale: str = "en-US") -> object:
        context = browser.new_context(base_url=live_server, viewport=VIEWPORT, locale=locale)
        context.set_default_timeout(10_000)
        context.add_init_script(_REPORT_CSP)
        contexts.append(context)
        page = context.new_page()
        console.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()
    console.check()


@pytest.fixture
def screenshot() -> Callable:
    """``screenshot(page, "name")`` → ``$BAZA_SCREENSHOTS/name.png`` when that is set."""
    target = os.environ.get("BAZA_SCREENSHOTS")

    def take(page: object, name: str) -> None:
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / f"{name}.png"))

    return take
