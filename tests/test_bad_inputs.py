"""Every case of the bad-input catalogue (tests/fixtures/bad_inputs/cases.yml), run through the build's command line.

A case passes when the build exits 2, prints the catalogued message exactly once (it names file, row, column, value
and what was expected), prints no traceback, and leaves the outputs of the earlier good build byte-identical.

The cases run in this process (`build.main`, `surveypress init` through `surveypress.__main__.main`, in the project
folder as the working folder, stdout and stderr captured), which is what build_tables.py runs and a tenth of the time
of a new Python per case. A few, one per way out (refused in the content, refused in the microdata, accepted, refused
by init), still run as real processes (THROUGH_THE_COMMAND), so the command itself is shown to exit 2 with one line and
no traceback.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"
CATALOGUE = ROOT / "tests" / "fixtures" / "bad_inputs"
CASES = yaml.safe_load((CATALOGUE / "cases.yml").read_text(encoding="utf-8"))
# Run as processes: a content file refused, a microdata file refused, an input accepted, a source refused by init.
THROUGH_THE_COMMAND = {"yaml_syntax_error", "gbk_encoded", "utf8_with_bom_is_accepted", "dta_value_without_a_label"}


def build_tables(project: Path, *options: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "build_tables.py"), "--content", "publication", *options],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def surveypress_init(project: Path, arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "surveypress", "init", *arguments.split()],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def in_process(project: Path, arguments: list[str], capfd: pytest.CaptureFixture) -> subprocess.CompletedProcess:
    """`python -m surveypress ARGUMENTS` (or build_tables.py, when the first is not `init`) run in this process in
    `project` as the working folder, as a subprocess would be, without SOURCE_DATE_EPOCH: its exit status, stdout and
    stderr. The working folder is set and restored around the call (pytest runs one test at a time per process)."""
    from surveypress import __main__, build

    capfd.readouterr()  # drop what the test printed before
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        patch.chdir(project)
        status = __main__.main(arguments) if arguments[0] == "init" else build.main(arguments)
    captured = capfd.readouterr()
    return subprocess.CompletedProcess(arguments, status, captured.out, captured.err)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project after one successful build: the 'earlier outputs' every case must leave alone."""
    from surveypress import build

    project = tmp_path_factory.mktemp("built") / "tiny"
    shutil.copytree(TINY, project)
    log = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        assert build.main(["--content", str(project / "publication")], stream=log) == 0, log.getvalue()
    return project


def outputs_snapshot(project: Path, inputs: set[str]) -> dict[str, str]:
    """Hashes of every file except the inputs a case edits."""
    return {
        path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(project.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.relative_to(project).as_posix() not in inputs
    }


def transcode(path: Path, encoding: str) -> None:
    text = path.read_text(encoding="utf-8")
    if encoding == "crlf":
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    elif encoding == "cr":
        path.write_bytes(text.replace("\n", "\r").encode("utf-8"))
    elif encoding == "semicolons":
        path.write_bytes(text.replace(",", ";").encode("utf-8"))
    else:
        path.write_bytes(text.encode(encoding))


def apply_case(project: Path, case: dict) -> set[str]:
    """Breaks the project as the case says; returns the project-relative paths it changed."""
    touched: set[str] = set()
    for name, old, new in case.get("edit", []):
        path = project / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"case {case['id']}: {old!r} not found in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        touched.add(name)
    for name, text in (case.get("write") or {}).items():
        (project / name).write_text(text, encoding="utf-8")
        touched.add(name)
    for name, source in (case.get("copy") or {}).items():
        shutil.copyfile(CATALOGUE / "files" / source, project / name)
        touched.add(name)
    for name, encoding in (case.get("transcode") or {}).items():
        transcode(project / name, encoding)
        touched.add(name)
    for name, target in (case.get("symlink") or {}).items():
        (project / name).unlink(missing_ok=True)
        (project / name).symlink_to(target)
        touched.add(name)
    return touched


def test_catalogue_cases_have_unique_ids_and_exactly_one_outcome() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert ("error" in case) != bool(case.get("accepted")), case["id"]
        keys = {"id", "about", "edit", "write", "copy", "transcode", "init", "symlink", "error", "accepted"}
        assert set(case) <= keys, case["id"]
    assert THROUGH_THE_COMMAND <= set(ids)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_bad_input_is_refused_with_its_catalogued_message(
    case: dict, built: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    project = tmp_path / "tiny"
    shutil.copytree(built, project)
    touched = apply_case(project, case)
    before = outputs_snapshot(project, touched)

    if case["id"] in THROUGH_THE_COMMAND:
        result = surveypress_init(project, case["init"]) if "init" in case else build_tables(project)
    else:
        arguments = ["init", *case["init"].split()] if "init" in case else ["--content", "publication"]
        result = in_process(project, arguments, capfd)

    if case.get("accepted"):
        # The tables must not change; the package and archive describe the input's bytes, so they may.
        assert result.returncode == 0, result.stderr
        after = outputs_snapshot(project, touched)
        assert {k: v for k, v in after.items() if k.startswith("datasets/")} == {
            k: v for k, v in before.items() if k.startswith("datasets/")
        }
        return
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {case['error']}"]
    assert outputs_snapshot(project, touched) == before
    assert not list(project.glob(".build-staging-*"))


MICRODATA_CASES = [
    case
    for case in CASES
    if "datasets/microdata/" in str({key: case.get(key) for key in ("edit", "write", "copy", "transcode")})
    or "datasets/microdata/" in case.get("error", "")
]


@pytest.mark.parametrize("case", MICRODATA_CASES, ids=[case["id"] for case in MICRODATA_CASES])
def test_bad_microdata_gets_the_same_message_when_the_engine_streams_the_file(
    case: dict, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The large-file path (sources.py and the DuckDB engine), forced for these tiny files, words every problem
    exactly as load.py does; run in this process, which is quicker than a build_tables.py per case."""
    from surveypress import build
    from surveypress.microdata import sources

    project = tmp_path / "tiny"
    shutil.copytree(built, project)
    apply_case(project, case)
    monkeypatch.setenv(sources.STREAM_ENV, "0")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.chdir(project)
    log = io.StringIO()

    status = build.main(["--content", "publication"], stream=log)

    if case.get("accepted"):
        assert status == 0, log.getvalue()
        return
    assert status == 2, log.getvalue()
    errors = [line for line in log.getvalue().splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {case['error']}"]
    # The public-use file is written on a thread while the file is checked: the build waits for it before it
    # discards its staging folder, so nothing is left behind.
    assert not list(project.glob(".build-staging-*"))
