"""The build as a whole: staged outputs, the swap, --check, exit codes, progress lines and reproducible bytes."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from surveypress import build, cache
from surveypress.errors import InputError
from surveypress.pages import narrate
from surveypress.publish import outputs, package
from surveypress.publish.staging import manifest_text

TINY = Path(__file__).parent / "fixtures" / "tiny"
STAGES = (
    "spec",
    "load",
    "tabulate",
    "protect",
    "chart",
    "disclose",
    "reconcile",
    "tables",
    "package",
    "archive",
    "compile",
    "draw",
    "narrate",
    "site",
    "metadata",
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the tiny fixture project; SOURCE_DATE_EPOCH unset unless a test sets it."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    shutil.copytree(TINY, tmp_path / "tiny")
    return tmp_path / "tiny"


def run(project: Path, *options: str) -> tuple[int, str]:
    stream = io.StringIO()
    code = build.main(["--content", str(project / "publication"), *options], stream=stream)
    return code, stream.getvalue()


def snapshot(project: Path) -> dict[str, str]:
    """Every file of the project with its hash (the content folder included; the cache, which is no output, not)."""
    return {
        path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(project.rglob("*"))
        if path.is_file() and not path.relative_to(project).as_posix().startswith(".cache/")
    }


def staging_folders(project: Path) -> list[Path]:
    return list(project.glob(".build-staging-*"))


def list_in_manifest(project: Path, *names: str) -> None:
    """Records files in the manifest as if an earlier build had generated them."""
    manifest = project / outputs.MANIFEST
    files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    manifest.write_text(manifest_text([*files, *names]), encoding="utf-8")


def test_build_writes_every_output_and_removes_its_staging_folder(project: Path) -> None:
    code, log = run(project)
    assert code == 0, log
    for name in [
        "datasets/indicators.csv",
        "datasets/indicators/p_used.csv",
        "datasets/indicators/p_channels.csv",
        "datasets/published_figures.csv",
        "datasets/reconciliation.csv",
        "datasets/disclosure.csv",
        "datapackage.json",
        "docs/index.md",
        "docs/assets/charts/used_online.svg",
        "docs/downloads/tiny-survey-0.1.0.zip",
        "docs/downloads/SHA256SUMS",
    ]:
        assert (project / name).is_file(), name
    assert staging_folders(project) == []


def test_progress_prints_one_line_per_stage_with_counts_and_timings(project: Path) -> None:
    code, log = run(project)
    lines = log.splitlines()
    assert code == 0
    assert [line.split()[0] for line in lines] == [*STAGES, "done"]
    assert "people 40 rows, firms 12 rows" in lines[1]
    assert all(line.rstrip().endswith(" s") for line in lines)


def test_a_second_build_gives_byte_identical_outputs(project: Path) -> None:
    assert run(project)[0] == 0
    first = snapshot(project)
    assert run(project)[0] == 0
    assert snapshot(project) == first


def test_build_check_mode_passes_on_fresh_outputs_and_changes_nothing(project: Path) -> None:
    assert run(project)[0] == 0
    before = snapshot(project)
    code, log = run(project, "--check")
    assert code == 0, log
    assert "up to date" in log
    assert snapshot(project) == before
    assert staging_folders(project) == []


def test_build_check_mode_names_stale_files(project: Path) -> None:
    assert run(project)[0] == 0
    (project / "datasets/indicators/p_used.csv").write_text("edited by hand\n", encoding="utf-8")
    (project / "datasets/reconciliation.csv").unlink()
    (project / "datasets/indicators/retired.csv").write_text("indicator\n", encoding="utf-8")
    list_in_manifest(project, "datasets/indicators/retired.csv")
    (project / "docs/index.md").write_text(narrate.GENERATED_MARKER.format(template="x") + "\nold\n", encoding="utf-8")
    before = snapshot(project)
    code, log = run(project, "--check")
    assert code == 1
    assert "  differs: datasets/indicators/p_used.csv" in log
    assert "  differs: docs/index.md" in log
    assert "  missing: datasets/reconciliation.csv" in log
    assert "  stale (no longer generated): datasets/indicators/retired.csv" in log
    assert snapshot(project) == before, "--check must not touch the work tree"
    assert staging_folders(project) == []


def test_failed_build_leaves_previous_outputs_untouched(project: Path) -> None:
    assert run(project)[0] == 0
    before = snapshot(project)
    people = project / "datasets/microdata/people.csv"
    broken = people.read_text(encoding="utf-8").replace("P-010,2,", "P-010,7,")
    people.write_text(broken, encoding="utf-8")
    code, log = run(project)
    assert code == 2
    after = snapshot(project)
    del before["datasets/microdata/people.csv"], after["datasets/microdata/people.csv"]
    assert after == before
    assert staging_folders(project) == []
    assert log.count("error: datasets/microdata/people.csv, row 12, column p_region: value '7'") == 1


def test_failure_in_a_late_stage_leaves_tables_already_staged_unpublished(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(project)[0] == 0
    (project / "publication/published_figures.csv").write_text(
        (project / "publication/published_figures.csv").read_text(encoding="utf-8").replace("84.6%", "80.0%"),
        encoding="utf-8",
    )
    before = {k: v for k, v in snapshot(project).items() if not k.startswith("publication/")}

    def refuse(*_arguments: object) -> None:
        raise InputError("publication/templates/index.md.j2", "a known value", row=3, column="x", value="y")

    monkeypatch.setattr(narrate, "render_pages", refuse)
    code, log = run(project)
    assert code == 2
    assert "error: publication/templates/index.md.j2, row 3, column x: value 'y': expected a known value" in log
    assert {k: v for k, v in snapshot(project).items() if not k.startswith("publication/")} == before
    assert staging_folders(project) == []


def test_input_error_prints_a_traceback_only_with_verbose(project: Path) -> None:
    (project / "datasets/microdata/firms.csv").write_text("respondent_id,f_size\nF-1,9\n", encoding="utf-8")
    code, log = run(project)
    assert code == 2 and "Traceback" not in log
    code, log = run(project, "--verbose")
    assert code == 2 and "Traceback" in log
    assert log.count("error: datasets/microdata/firms.csv, row 2, column f_size: value '9'") == 1


def test_internal_error_exits_3_and_outputs_stay_as_they_were(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(project)[0] == 0
    before = snapshot(project)

    def crash(*_arguments: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(package, "build_datapackage", crash)
    cache.forget_build(project)  # else nothing changed, and a rebuild would not reach the package stage
    code, log = run(project)
    assert code == 3
    assert "internal error: RuntimeError: a bug (rerun with --verbose for the traceback)" in log
    assert "Traceback" not in log
    assert snapshot(project) == before


def test_swap_removes_the_files_an_earlier_build_generated_and_no_other(project: Path) -> None:
    assert run(project)[0] == 0
    (project / "datasets/indicators/retired.csv").write_text("indicator\n", encoding="utf-8")
    (project / "docs/assets/charts/retired.svg").write_text("<svg/>\n", encoding="utf-8")
    (project / "docs/old_page.md").write_text(narrate.GENERATED_MARKER.format(template="old") + "\n", encoding="utf-8")
    list_in_manifest(project, "datasets/indicators/retired.csv", "docs/assets/charts/retired.svg", "docs/old_page.md")
    (project / "docs/handwritten.md").write_text("# Written by a person\n", encoding="utf-8")
    (project / "datasets/by_hand.csv").write_text("kept\n", encoding="utf-8")  # not the build's: never removed
    code, log = run(project)
    assert code == 0, log
    assert "3 stale files removed" in log
    assert not (project / "datasets/indicators/retired.csv").exists()
    assert not (project / "docs/assets/charts/retired.svg").exists()
    assert not (project / "docs/old_page.md").exists()
    assert (project / "docs/handwritten.md").read_text(encoding="utf-8") == "# Written by a person\n"
    assert (project / "datasets/by_hand.csv").read_text(encoding="utf-8") == "kept\n"
    assert (project / "datasets/microdata/people.csv").read_bytes() == (
        TINY / "datasets/microdata/people.csv"
    ).read_bytes()


def test_download_archive_unpacks_into_one_folder_with_datasets_package_workbook_and_checksums(project: Path) -> None:
    assert run(project)[0] == 0
    archive_path = project / "docs/downloads/tiny-survey-0.1.0.zip"
    folder = "tiny-survey-0.1.0/"
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert all(name.startswith(folder) for name in names)
        inside = {name.removeprefix(folder) for name in names}
        assert {"README.md", "SHA256SUMS", "datapackage.json", "datasets/public-use/people.csv"} <= inside
        # The tiny fixture releases public-use files: its input microdata is not in the archive.
        assert "datasets/microdata/people.csv" not in inside
        assert {"datasets/indicators/p_used.csv", "indicators.xlsx"} <= inside
        sums = archive.read(folder + "SHA256SUMS").decode("utf-8").splitlines()
        for line in sums:
            digest, name = line.split("  ")
            assert hashlib.sha256(archive.read(folder + name)).hexdigest() == digest, name
        assert "小型测试调查" in archive.read(folder + "README.md").decode("utf-8")
    digest = hashlib.sha256(archive_path.read_bytes()).hexdigest()
    assert (project / "docs/downloads/SHA256SUMS").read_text(encoding="utf-8") == f"{digest}  {archive_path.name}\n"


def test_timestamps_come_from_source_date_epoch_else_the_publication_date(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive_path = project / "docs/downloads/tiny-survey-0.1.0.zip"
    assert run(project)[0] == 0
    with zipfile.ZipFile(archive_path) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 1, 15, 0, 0, 0)}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    assert run(project)[0] == 0
    with zipfile.ZipFile(archive_path) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    assert json.loads((project / "datapackage.json").read_text(encoding="utf-8"))["created"] == "2023-11-14T22:13:20Z"


def test_published_figures_cells_that_look_like_formulas_are_neutralised_in_the_download(project: Path) -> None:
    figures = project / "publication/published_figures.csv"
    text = figures.read_text(encoding="utf-8").rstrip("\n") + '=HYPERLINK("http://example.invalid")\n'
    figures.write_text(text, encoding="utf-8")
    assert run(project)[0] == 0
    written = (project / "datasets/published_figures.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in written
    assert ",=HYPERLINK" not in written


def test_unknown_engine_is_refused_by_the_command_line(project: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        run(project, "--engine", "polars")
    assert caught.value.code == 2


def test_both_engines_publish_the_same_bytes(project: Path) -> None:
    code, log = run(project, "--engine", "pandas")
    assert code == 0 and "(pandas)" in log
    with_pandas = snapshot(project)
    code, log = run(project, "--engine", "duckdb")
    assert code == 0 and "(duckdb)" in log
    assert snapshot(project) == with_pandas


def test_interrupted_build_removes_its_staging_folder_and_keeps_outputs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(project)[0] == 0
    before = snapshot(project)

    def interrupt(*_arguments: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(narrate, "render_pages", interrupt)
    cache.forget_build(project)  # else nothing changed, and a rebuild would not reach the narrate stage
    code, log = run(project)
    assert code == 130
    assert "interrupted" in log
    assert snapshot(project) == before
    assert staging_folders(project) == []


def test_out_names_the_project_folder_where_microdata_is_read_and_outputs_are_written(tmp_path: Path) -> None:
    content = tmp_path / "content-repo"
    shutil.copytree(TINY / "publication", content / "publication")
    out = tmp_path / "site-repo"
    shutil.copytree(TINY / "datasets" / "microdata", out / "datasets" / "microdata")
    code = build.main(["--content", str(content / "publication"), "--out", str(out)], stream=io.StringIO())
    assert code == 0
    assert (out / "datasets" / "indicators.csv").is_file() and (out / "mkdocs.generated.yml").is_file()
    assert sorted(path.name for path in content.iterdir()) == ["publication"]


def test_a_microdata_path_outside_the_project_folder_names_that_folder(tmp_path: Path) -> None:
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    meta = project / "publication" / "publication.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("datasets/microdata/firms.csv", "../firms.csv"), "utf-8")
    stream = io.StringIO()
    code = build.main(["--content", str(project / "publication"), "--out", str(project)], stream=stream)
    assert code == 2
    assert f"a path inside the project folder, here {project}" in stream.getvalue()
