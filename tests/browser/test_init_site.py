"""The site `surveypress init` drafts from each kind of input it reads (test_init_end_to_end.KINDS: CSV, TSV, Parquet,
a data workbook, SPSS, Stata, SAS transport, XLSForm), built and opened in headless Chromium: axe finds no WCAG 2.2
AA violation on its front page. Builds its own projects, so it needs no site/ of the repository."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # the end-to-end tests' inputs
from test_init_end_to_end import KINDS, make_source, place_xlsform_data  # noqa: E402

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class names it so
        pass


def drafted_site(project: Path, kind: str) -> Path:
    """`surveypress init` on the end-to-end tests' 50-respondent source of this kind, then `surveypress build`, as
    test_init_end_to_end.py runs them (an XLSForm's data export put where publication.yml says); gives site/."""
    project.mkdir()
    source = make_source(kind, project)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1767225600"}
    for arguments in (["init", source.name, "--population", "people", "--languages", "en"], ["build"]):
        result = subprocess.run(
            [sys.executable, "-m", "surveypress", *arguments],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        if kind == "xlsform" and arguments[0] == "init":
            place_xlsform_data(project)
    return project / "site"


@pytest.fixture(scope="module", params=KINDS)
def drafted_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = drafted_site(tmp_path_factory.mktemp(request.param) / "my-survey", request.param)
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def axe_violations(chromium, url: str, axe_script: Path) -> list[str]:
    context = chromium.new_context(viewport={"width": 360, "height": 740}, service_workers="block")
    try:
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        page.add_script_tag(path=str(axe_script))
        result = page.evaluate(AXE_RUN, AXE_TAGS)
    finally:
        context.close()
    return [
        f"{violation['id']}: {violation['help']} -> {[node['target'] for node in violation['nodes']][:5]}"
        for violation in result["violations"]
    ]


def test_axe_finds_no_wcag_22_aa_violation_on_the_drafted_front_page(chromium, drafted_url, axe_script) -> None:
    assert axe_violations(chromium, drafted_url + "index.html", axe_script) == []
