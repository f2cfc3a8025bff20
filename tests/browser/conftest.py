"""Browser tests: Playwright (from PyPI) driving Debian's chromium against the console served by
uvicorn (tests/browser/server.py). A module-scoped `sync_playwright()`, not pytest-playwright's
session fixtures, which break the pytest-asyncio tests that run after them.

Without chromium or Azurite these tests skip on a developer's machine and FAIL in CI (CI=true).
Screenshots go to reports/screenshots/; with CONSOLE_SCREENSHOTS=1 to tests/browser/screenshots/,
the ones the README shows.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = (
    Path(__file__).parent / "screenshots" if os.environ.get("CONSOLE_SCREENSHOTS") else ROOT / "reports" / "screenshots"
)
LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-default-browser-check",
    "--no-first-run",
    "--password-store=basic",
]
SERIOUS = ("serious", "critical")


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI runs the browser tests (apt-get install chromium; make setup)", pytrace=False)
    pytest.skip(reason)


def azurite_running() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 10002)) == 0


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing")
    if not azurite_running():
        unavailable("Azurite is not running on 127.0.0.1:10002 (run `make test`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context: the simulator's self-signed https trusted, axe allowed past the page's
    CSP, downloads kept. Fails the test on any uncaught error in the page's scripts."""
    context = browser.new_context(
        viewport={"width": 1360, "height": 900}, ignore_https_errors=True, bypass_csp=True, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
    finally:
        context.close()
    assert errors == [], f"errors in the console's scripts: {errors}"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now: id, impact, help and the first nodes."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make setup` (npm ci installs axe-core)", pytrace=False)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return found


AXE_LOG: list[dict[str, Any]] = []


def check_accessibility(page: Any, where: str) -> None:
    """No serious or critical axe violation on the page; lesser ones are logged to reports/axe.json."""
    found = axe_violations(page)
    AXE_LOG.append({"where": where, "violations": found})
    serious = [v for v in found if v["impact"] in SERIOUS]
    assert serious == [], f"axe found serious or critical violations on {where}: {json.dumps(serious, indent=1)}"


def screenshot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_sessionfinish(session: pytest.Session) -> None:
    if AXE_LOG:
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # under `make test` each worker writes its own
        out = ROOT / "reports" / (f"axe-{worker}.json" if worker else "axe.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(AXE_LOG, indent=1))
