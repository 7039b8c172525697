"""Fixtures for the browser tests: the built site served on 127.0.0.1 and a headless Debian Chromium.

The site must be built first (`make tables site`, as `make test` and CI do); without `site/` the tests that read it
fail with that reason (a missing site is a build's failure, not the machine's). SITE_DIR points the tests at another
build. Nothing in the test suite rebuilds site/: the tests that build a site build their own in a temporary folder.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("SITE_DIR") or ROOT / "site")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def load_page_weight_script():
    """scripts/page_weight.py as a module: it measures pages and owns how Chromium is launched here."""
    spec = importlib.util.spec_from_file_location("page_weight", ROOT / "scripts" / "page_weight.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# One launch recipe for the tests and the page-weight script: the same browser, the same offline flags.
PAGE_WEIGHT = load_page_weight_script()
CHROMIUM = PAGE_WEIGHT.CHROMIUM
CHROMIUM_ARGS = PAGE_WEIGHT.CHROMIUM_ARGS


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class names it so
        pass


@pytest.fixture(scope="session")
def page_weight():
    return PAGE_WEIGHT


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make tables site` (build_tables.py, mkdocs build --strict) first")
    return SITE


@pytest.fixture(scope="session")
def base_url(site_dir: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium per test process: Playwright's sync API runs one instance a process, so a second
    `sync_playwright()` beside it fails ("Sync API inside the asyncio loop") in whichever test comes later."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def browser(site_dir: Path, chromium):
    """The browser for tests of the built site (which must exist)."""
    return chromium


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core from node_modules (npm ci installs the version package-lock.json pins)."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci`")
    return AXE


@pytest.fixture
def phone(browser):
    """A fresh 360 px wide context per test; service workers blocked so every request is seen."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, service_workers="block", locale="zh-CN")
    yield context
    context.close()
