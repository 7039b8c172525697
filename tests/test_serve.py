"""`surveypress serve` (`mkdocs serve` with the surveypress plugin): a changed template is built and served, an
untouched page is not rewritten."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from surveypress import build

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "fixtures" / "tiny"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def wait_for(condition: Callable[[], bool], seconds: float, what: str, log: Path, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline or server.poll() is not None:
            pytest.fail(f"{what} within {seconds:g} s; mkdocs serve said:\n{log.read_text(encoding='utf-8')[-3000:]}")
        time.sleep(0.3)


@pytest.mark.slow
def test_surveypress_serve_builds_and_serves_a_changed_template_and_leaves_untouched_pages_alone(tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(TINY, project)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "publication/templates/other.md.j2").write_text("# 另一页\n\n这一页不变。\n", encoding="utf-8")
    assert build.main(["--content", str(project / "publication")], stream=io.StringIO()) == 0
    untouched = project / "docs/other.md"
    changed = project / "docs/index.md"
    before = untouched.stat().st_mtime_ns, changed.stat().st_mtime_ns

    port = free_port()
    log = tmp_path / "serve.log"
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    # `surveypress serve --dirty` is `mkdocs serve --dirty --no-strict` on 127.0.0.1: only pages whose Markdown changed
    # are rebuilt.
    command = [sys.executable, "-m", "surveypress", "serve", "--dirty", "--port", str(port)]
    with log.open("w", encoding="utf-8") as output:
        server = subprocess.Popen(command, cwd=project, stdout=output, stderr=subprocess.STDOUT, env=environment)
    try:
        url = f"http://127.0.0.1:{port}/index.html"
        wait_for(lambda: "小型测试调查" in fetch(url), 120, "the site was not served", log, server)
        # Nothing changed: the build under serve rewrote no output.
        assert (untouched.stat().st_mtime_ns, changed.stat().st_mtime_ns) == before

        template = project / "publication/templates/index.md.j2"
        template.write_text(template.read_text(encoding="utf-8") + "\n服务中的修改。\n", encoding="utf-8")
        wait_for(lambda: "服务中的修改" in fetch(url), 120, "the changed template was not served", log, server)
        assert changed.stat().st_mtime_ns != before[1]
        assert untouched.stat().st_mtime_ns == before[0]
        assert "这一页不变" in fetch(f"http://127.0.0.1:{port}/other.html")
    finally:
        server.terminate()
        server.wait(timeout=30)
