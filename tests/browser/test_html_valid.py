"""The Nu HTML Checker (vnu-jar from package-lock.json, on Debian's Java) finds no error of the project's own in any
page of the built site: its figures, tables, release box and overrides are valid HTML.

Two errors come from Material for MkDocs' own templates and are listed below by their message, so that any other
error, including a new one of Material's, fails the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
MATERIAL_OWN = (
    # partials/nav-item.html writes tabindex="" on the labels that open navigation sections.
    "Bad value “” for attribute “tabindex” on element “label”",
    # base.html puts autocomplete="off" on its hidden checkbox toggles (drawer, search).
    "Attribute “autocomplete” is only allowed when the input type is",
)


def test_the_html_checker_finds_no_error_of_the_projects_own(site_dir: Path) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.fail("no java: install Debian's default-jre-headless (scripts/install.sh test does)")
    if not VNU.is_file():
        pytest.fail(f"vnu-jar is missing at {VNU}: run `npm ci`")
    pages = sorted(str(path) for path in site_dir.rglob("*.html"))
    assert len(pages) >= 18
    done = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--errors-only", *pages],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(done.stderr)["messages"]
    ours = [
        f"{Path(message.get('url', '')).name}:{message.get('lastLine')}: {message['message']}"
        for message in messages
        if message.get("type") == "error" and not message["message"].startswith(MATERIAL_OWN)
    ]
    assert ours == []
