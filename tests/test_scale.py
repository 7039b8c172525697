"""The build at survey size: 30,000 residents build, and nothing the build writes grows with the respondents.

The 30,000 residents are the shipped ones repeated with fresh ids (every record valid), as issue 11 measured them:
reconcile used to list every fitting base in one 6.9 MB cell, which the pages' CSV reader refused.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESIDENTS = 30_000
# Generous bounds that the old unbounded output (6.9 MB in one cell, 17.8 MB of page) breaks by far.
MAX_CELL = 1_000
MAX_RECONCILIATION_BYTES = 64 * 1024
MAX_PAGE_BYTES = 256 * 1024


def default_project(destination: Path) -> Path:
    """The default publication's content, its microdata and the project files a build reads."""
    for name in ("publication", "datasets/microdata", "docs/assets", "docs/overrides"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, destination / name, ignore=shutil.ignore_patterns("charts"))
    shutil.copy2(ROOT / "mkdocs.yml", destination / "mkdocs.yml")
    return destination


def repeat_residents(path: Path, respondents: int) -> None:
    """The shipped residents, cycled to `respondents` rows, each with a fresh id."""
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for index in range(respondents):
            writer.writerow([f"R-{index:07d}", *rows[index % len(rows)][1:]])


def build(project: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, str(ROOT / "build_tables.py")],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


@pytest.fixture(scope="module")
def built_30000(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = default_project(tmp_path_factory.mktemp("scale") / "project")
    repeat_residents(project / "datasets/microdata/residents.csv", RESIDENTS)
    result = build(project)
    assert result.returncode == 0, result.stderr
    return project


def test_30000_residents_build_with_a_reconciliation_of_bounded_size(built_30000: Path) -> None:
    reconciliation = built_30000 / "datasets/reconciliation.csv"
    assert reconciliation.stat().st_size < MAX_RECONCILIATION_BYTES
    with reconciliation.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert max(len(cell) for row in rows for cell in row.values()) < MAX_CELL
    # At this size many printed percentages fit thousands of bases: the count says so, the cell lists a few.
    counted = [row for row in rows if row["status"] == "ambiguous_base"]
    assert counted and max(int(row["candidate_count"]) for row in counted) > RESIDENTS // 2
    assert all(len(row["candidates"].split(",")) <= 10 for row in counted)


def test_30000_residents_give_pages_no_bigger_than_the_tables_need(built_30000: Path) -> None:
    pages = list((built_30000 / "docs").rglob("*.md"))
    assert pages
    assert max(page.stat().st_size for page in pages) < MAX_PAGE_BYTES


def assert_same_answers(parquet, csv_frame) -> None:
    """The same columns, respondents and answers, whichever format the file was released in."""
    assert list(parquet.columns) == list(csv_frame.columns)
    assert parquet["respondent_id"].tolist() == csv_frame["respondent_id"].tolist()
    for column in csv_frame.columns[1:]:
        assert parquet[column].astype("Int64").tolist() == csv_frame[column].astype("Int64").tolist(), column


def release_in_full(project: Path) -> None:
    """The tiny fixture releases a public-use file without p_region; releasing the input in full is coherent only
    without the p_region cross-tabulations, whose suppressed cells the full file would let a reader count back."""
    meta = project / "publication" / "publication.yml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text[: text.index("release: public-use")] + "release: full\n", encoding="utf-8")
    indicators = project / "publication" / "indicators.yml"
    text = indicators.read_text(encoding="utf-8")
    indicators.write_text(text.replace("people: [p_region]", "people: []", 1), encoding="utf-8")


def test_streaming_the_files_through_the_engine_publishes_the_same_bytes_as_reading_them_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from surveypress import build
    from surveypress.microdata import sources

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    published = {}
    for way, threshold in (("whole", ""), ("streamed", "0")):
        project = tmp_path / way
        shutil.copytree(ROOT / "tests/fixtures/tiny", project)
        monkeypatch.setenv(sources.STREAM_ENV, threshold)
        log = io.StringIO()
        build.build(project / "publication", stream=log)
        assert ("streamed" in log.getvalue()) == (way == "streamed")
        published[way] = {
            path.relative_to(project).as_posix(): path.read_bytes()
            for path in sorted([*(project / "datasets").rglob("*"), project / "datapackage.json"])
            if path.is_file()
        }
    assert published["whole"] == published["streamed"]


def test_microdata_over_the_csv_release_size_is_released_as_parquet_with_the_same_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import zipfile

    import pandas as pd

    from surveypress import build, layout
    from surveypress.microdata import sources

    project = tmp_path / "tiny"
    shutil.copytree(ROOT / "tests/fixtures/tiny", project)
    release_in_full(project)
    monkeypatch.setenv(sources.STREAM_ENV, "0")
    monkeypatch.setattr(layout, "RELEASE_CSV_MAX_BYTES", 0)
    build.build(project / "publication", stream=io.StringIO())

    released = project / "datasets/microdata/people.parquet"
    original = pd.read_csv(project / "datasets/microdata/people.csv", dtype={"respondent_id": str})
    assert_same_answers(pd.read_parquet(released), original)
    package = json.loads((project / "datapackage.json").read_text(encoding="utf-8"))
    described = {resource["path"]: resource for resource in package["resources"]}
    assert described["datasets/microdata/people.parquet"]["format"] == "parquet"
    assert "datasets/microdata/people.csv" not in described
    archive = next((project / "docs/downloads").glob("*.zip"))
    folder = archive.name.removesuffix(".zip") + "/"  # the archive unpacks into one folder named after it
    with zipfile.ZipFile(archive) as members:
        assert members.read(folder + "datasets/microdata/people.parquet") == released.read_bytes()
        assert folder + "datasets/microdata/people.csv" not in members.namelist()


@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "read whole"])
def test_a_public_use_file_of_an_input_over_the_csv_release_size_is_parquet_with_the_same_answers_as_the_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    import json
    import zipfile

    import pandas as pd

    from surveypress import build, layout
    from surveypress.microdata import sources

    if streamed:
        monkeypatch.setenv(sources.STREAM_ENV, "0")
    small, large = tmp_path / "small", tmp_path / "large"
    for project in (small, large):
        shutil.copytree(ROOT / "tests/fixtures/tiny", project)
    build.build(small / "publication", stream=io.StringIO())
    monkeypatch.setattr(layout, "RELEASE_CSV_MAX_BYTES", 0)
    build.build(large / "publication", stream=io.StringIO())

    as_csv = pd.read_csv(small / "datasets/public-use/people.csv", dtype={"respondent_id": str})
    as_parquet = pd.read_parquet(large / "datasets/public-use/people.parquet")
    assert not (large / "datasets/public-use/people.csv").exists()
    assert "p_region" not in as_parquet.columns  # the public-use recodes hold in either format
    assert_same_answers(as_parquet, as_csv)
    package = json.loads((large / "datapackage.json").read_text(encoding="utf-8"))
    described = {resource["path"]: resource for resource in package["resources"]}
    assert described["datasets/public-use/people.parquet"]["format"] == "parquet"
    archive = next((large / "docs/downloads").glob("*.zip"))
    with zipfile.ZipFile(archive) as members:
        assert any(name.endswith("datasets/public-use/people.parquet") for name in members.namelist())


@pytest.mark.bench
def test_a_million_respondents_in_parquet_build_streamed_in_bounded_memory_and_output(tmp_path: Path) -> None:
    """The build users run, at census-sample size: benchmarks/bench_build.py's 1e6 case, without the timings
    (a shared CI machine's wall time proves little); its peak memory and output sizes are what must not grow."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_build
    import bench_tabulate

    from surveypress import content as spec

    paths = bench_tabulate.generate(spec.load_publication(ROOT / "publication"), 1_000_000)
    project = bench_build.make_project(tmp_path, paths)
    result = bench_build.run_build(project)

    assert "streamed" in result["stages"]["load"][1]
    assert result["stages"]["tabulate"][1].endswith("(duckdb)")
    assert result["peak"] < 1024**3
    assert result["reconciliation_bytes"] < MAX_RECONCILIATION_BYTES
    assert max(page.stat().st_size for page in (project / "docs").rglob("*.md")) < MAX_PAGE_BYTES


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda line: line.replace(",", ",,", 1), id="ragged_row"),
        pytest.param(lambda line: line.encode("utf-8").replace(b"R-", "居民".encode("gb18030")), id="gbk_bytes"),
        pytest.param(lambda line: line.replace(",1,", ",1.0,", 1), id="decimal_code"),
    ],
)
def test_a_problem_past_the_start_of_a_streamed_csv_file_gets_load_pys_message(
    damage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from surveypress import content as spec
    from surveypress.errors import InputError
    from surveypress.microdata import sources
    from surveypress.stats import tabulate

    project = default_project(tmp_path / "project")
    microdata = project / "datasets/microdata/residents.csv"
    repeat_residents(microdata, 3_000)  # about 250 KB: the problem lies past the 64 KB checked at the start
    lines = microdata.read_bytes().split(b"\n")
    damaged = damage(lines[2_500].decode("utf-8"))
    lines[2_500] = damaged if isinstance(damaged, bytes) else damaged.encode("utf-8")
    microdata.write_bytes(b"\n".join(lines))
    pub = spec.load_publication(project / "publication")

    messages = {}
    for way, threshold in (("whole", str(10**9)), ("streamed", "0")):
        monkeypatch.setenv(sources.STREAM_ENV, threshold)
        with pytest.raises(InputError) as raised:
            tabulate.tabulate(pub, sources.open_microdata(pub, tmp_path))
        messages[way] = str(raised.value)
    assert "row 2501" in messages["whole"]
    assert messages["streamed"] == messages["whole"]
