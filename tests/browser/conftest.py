"""Fixtures for the browser tests: the built site served on 127.0.0.1 (Chromium and axe come from tests/conftest.py).

The site must be built first (`make tables site`, as `make test` and CI do); without `site/` the tests that read it
fail with that reason (a missing site is a build's failure, not the machine's). SITE_DIR points the tests at another
build. Nothing in the test suite rebuilds site/: the tests that build a site build their own in a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("SITE_DIR") or ROOT / "site")


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make tables site` (build_tables.py, mkdocs build --strict) first")
    return SITE


@pytest.fixture(scope="session")
def base_url(site_dir: Path, page_weight) -> Iterator[str]:
    with page_weight.serve(site_dir) as base:
        yield base


@pytest.fixture(scope="session")
def browser(site_dir: Path, chromium):
    """The browser for tests of the built site (which must exist)."""
    return chromium


@pytest.fixture
def phone(browser):
    """A fresh 360 px wide context per test; service workers blocked so every request is seen."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, service_workers="block", locale="zh-CN")
    yield context
    context.close()
