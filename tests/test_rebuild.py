"""A rebuild with nothing changed writes nothing; a change to any input, or to any output it left, builds again."""

from __future__ import annotations

import importlib.metadata
import io
import shutil
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from surveypress import build
from surveypress.charts import fonts
from surveypress.publish.staging import read_manifest

TINY = Path(__file__).parent / "fixtures" / "tiny"


def run(project: Path, *options: str) -> str:
    stream = io.StringIO()
    assert build.main(["--content", str(project / "publication"), *options], stream=stream) == 0, stream.getvalue()
    return stream.getvalue()


def output_times(project: Path) -> dict[str, int]:
    return {name: (project / name).stat().st_mtime_ns for name in read_manifest(project)}


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_rebuild_with_nothing_changed_writes_nothing_and_a_change_to_any_input_builds_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    code = tmp_path / "code"
    shutil.copytree(Path(build.__file__).parent, code, ignore=shutil.ignore_patterns("__pycache__"))
    font_dir = tmp_path / "fonts"
    font_dir.mkdir()
    font = fonts.find_cjk_font_dir()
    cjk = sorted(path for path in font.rglob("*") if fonts.CJK_FONT_NAME.search(path.name))
    (font_dir / cjk[0].name).symlink_to(cjk[0])
    monkeypatch.setenv("SURVEYPRESS_CJK_FONT_DIR", str(font_dir))
    libraries = list(importlib.metadata.distributions())
    options: list[str] = []

    def engine() -> None:
        options[:] = ["--engine", "duckdb"]

    def library() -> None:
        newer = types.SimpleNamespace(metadata={"Name": "pandas"}, version="99.0")
        monkeypatch.setattr(importlib.metadata, "distributions", lambda: [*libraries, newer])

    changes: dict[str, Callable[[], None]] = {
        "template": lambda: append(project / "publication/templates/index.md.j2", "\nOne more line.\n"),
        "content file": lambda: append(project / "publication/changelog.yml", "\n# a comment\n"),
        "microdata": lambda: append(project / "datasets/microdata/people.csv", "P-999,2,2,,,,\n"),
        "option": engine,
        "environment": lambda: monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000"),
        "font": lambda: (font_dir / cjk[-1].name).symlink_to(cjk[-1]),
        "engine code": lambda: (
            monkeypatch.setattr(build, "__file__", str(code / "build.py")) or append(code / "charts" / "stage.py", "\n")
        ),
        "library": library,
        "an output edited": lambda: append(project / "docs/index.md", "\nedited\n"),
        "an output removed": lambda: (project / "datasets/indicators.csv").unlink(),
    }
    assert "outputs replaced" in run(project)
    for kind, change in changes.items():
        before = output_times(project)
        assert "nothing changed" in run(project, *options), kind
        assert output_times(project) == before, kind
        change()
        assert "outputs replaced" in run(project, *options), kind
    assert "nothing changed" in run(project, *options)
    assert (project / "datasets/indicators.csv").is_file()
