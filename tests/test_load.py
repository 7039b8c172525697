"""The load stage: what valid microdata becomes, and how precisely bad microdata is refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from surveypress import content as spec
from surveypress.errors import InputError
from surveypress.microdata import load, sources

TINY = Path(__file__).parent / "fixtures" / "tiny"
PEOPLE = "datasets/microdata/people.csv"
COLUMNS = ["respondent_id", "p_region", "p_used", "p_channels_1", "p_channels_2", "p_channels_3", "p_satisfaction"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the tiny fixture project, free to edit."""
    shutil.copytree(TINY, tmp_path / "tiny")
    return tmp_path / "tiny"


def load_project(project: Path) -> dict[str, pd.DataFrame]:
    return load.load_microdata(spec.load_publication(project / "publication"))


def edit_people(project: Path, old: str, new: str) -> None:
    path = project / PEOPLE
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refusal(project: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        load_project(project)
    return caught.value


def test_valid_microdata_loads_as_text_ids_and_nullable_small_integers(project: Path) -> None:
    frames = load_project(project)
    people = frames["people"]
    assert list(frames) == ["people", "firms"]
    assert list(people.columns) == spec.load_publication(project / "publication").codebook.columns_of("people")
    assert people["respondent_id"].dtype == "str"
    assert all(str(people[column].dtype) == "Int8" for column in people.columns[1:])
    assert len(people) == 40 and len(frames["firms"]) == 12


def test_not_asked_is_missing_and_the_no_answer_code_is_kept(project: Path) -> None:
    people = load_project(project)["people"].set_index("respondent_id")
    # P-000 never used online services, so the channels question was not asked.
    assert people.loc["P-000", ["p_channels_1", "p_channels_2", "p_channels_3"]].isna().all()
    # P-009 was asked the channels question and gave no answer.
    assert people.loc["P-009", ["p_channels_1", "p_channels_2", "p_channels_3"]].tolist() == [-9, -9, -9]
    assert people.loc["P-005", "p_used"] == -9


def test_utf8_with_byte_order_mark_is_accepted(project: Path) -> None:
    path = project / PEOPLE
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load_project(project)["people"]) == 40


def test_crlf_line_ends_are_accepted(project: Path) -> None:
    path = project / PEOPLE
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert load_project(project)["people"].equals(load_project_fresh())


def load_project_fresh() -> pd.DataFrame:
    return load.load_microdata(spec.load_publication(TINY / "publication"))["people"]


def test_parquet_with_the_same_columns_loads_like_the_csv(project: Path) -> None:
    source = project / PEOPLE
    table = pd.read_csv(source, dtype={"respondent_id": str} | {c: "Int64" for c in COLUMNS[1:]})
    table.to_parquet(source.with_suffix(".parquet"), index=False)
    meta = project / "publication" / "publication.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("people.csv", "people.parquet"), encoding="utf-8")
    assert load_project(project)["people"].equals(load_project_fresh())


def test_columns_in_another_order_are_returned_in_codebook_order(project: Path) -> None:
    frame = pd.read_csv(project / PEOPLE, dtype=str, keep_default_na=False)
    frame[list(reversed(frame.columns))].to_csv(project / PEOPLE, index=False)
    assert load_project(project)["people"].equals(load_project_fresh())


def test_the_earliest_row_is_reported_when_several_columns_are_wrong(project: Path) -> None:
    # A bad region code on P-010 (row 12) and a bad satisfaction code on P-003 (row 5): row 5 comes first.
    edit_people(project, "P-010,2,", "P-010,7,")
    edit_people(project, "P-003,1,1,1,1,0,2", "P-003,1,1,1,1,0,8")
    error = refusal(project)
    assert (error.row, error.column, error.value) == (5, "p_satisfaction", "8")
    assert "Out of range for this scale" in str(error)


def test_full_width_digit_is_named_as_such(project: Path) -> None:
    edit_people(project, "P-002,1,2", "P-002,1,２")
    error = refusal(project)
    assert (error.file, error.row, error.column, error.value) == (PEOPLE, 4, "p_used", "２")
    assert "contains a full-width digit" in str(error)


def test_mixed_no_answer_and_ticks_in_a_multi_question_is_refused(project: Path) -> None:
    edit_people(project, "P-009,2,1,-9,-9,-9,", "P-009,2,1,-9,1,-9,")
    error = refusal(project)
    assert (error.row, error.column) == (11, "p_channels_1")
    assert "either -9 (no answer) in every option column of p_channels or 0/1 in every one" in str(error)


def test_universe_chains_through_a_multi_question(project: Path) -> None:
    # P-001 ticked only the kiosk (option 3), so satisfaction (asked after options 1 or 2) must stay empty.
    edit_people(project, "P-001,2,1,0,0,1,", "P-001,2,1,0,0,1,3")
    error = refusal(project)
    assert (error.row, error.column, error.value) == (3, "p_satisfaction", "3")
    assert "asked only of respondents who ticked option 1 or 2 of p_channels" in str(error)


def test_no_answer_to_the_filter_question_puts_the_respondent_outside_the_universe(project: Path) -> None:
    edit_people(project, "P-005,1,-9,,,,", "P-005,1,-9,0,0,1,")
    error = refusal(project)
    assert (error.row, error.column) == (7, "p_channels_1")
    assert "outside the universe (asked only of respondents whose p_used is 1)" in str(error)


def test_duplicate_respondent_id_names_the_earlier_row(project: Path) -> None:
    edit_people(project, "P-020,", "P-004,")
    error = refusal(project)
    assert (error.row, error.column, error.value) == (22, "respondent_id", "P-004")
    assert "The same id is on row 6" in str(error)


def test_blank_line_inside_the_file_is_reported_as_an_empty_line(project: Path) -> None:
    edit_people(project, "P-007,", "\nP-007,")
    error = refusal(project)
    assert (error.row, error.value) == (9, "(empty line)")


def test_ragged_row_is_found_when_pyarrow_reads_on_several_threads(project: Path) -> None:
    # Big enough that pyarrow splits the file into blocks and cannot number rows itself.
    header, *rows = (project / PEOPLE).read_text(encoding="utf-8").splitlines()
    many = [f"X-{i:07d},1,2,,,," for i in range(300_000)]
    many[250_000] = "X-0250000,1,2,,,"
    (project / PEOPLE).write_text("\n".join([header, *many]) + "\n", encoding="utf-8")
    meta = project / "publication" / "publication.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("max_file_mb: 1", "max_file_mb: 50"), encoding="utf-8")
    error = refusal(project)
    assert error.row == 250_002
    assert "7 cells per row, like the header" in str(error) and "This row has 6 cells" in str(error)


def test_header_name_with_stray_spaces_is_named(project: Path) -> None:
    edit_people(project, ",p_used,", ", p_used,")
    error = refusal(project)
    assert (error.row, error.column, error.value) == (1, "p_used", " p_used")
    assert "stray spaces" in str(error)


def test_missing_and_extra_columns_are_all_named(project: Path) -> None:
    edit_people(project, "p_channels_3,p_satisfaction", "p_channels_4,p_satisfactions")
    error = refusal(project)
    assert (
        "Missing columns: p_channels_3, p_satisfaction; columns not in the codebook: p_channels_4, p_satisfactions"
        in (str(error))
    )


def test_file_larger_than_the_configured_limit_is_refused_before_reading(project: Path) -> None:
    meta = project / "publication" / "publication.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("max_file_mb: 1", "max_file_mb: 0.0005"), encoding="utf-8")
    size = (project / PEOPLE).stat().st_size
    error = refusal(project)
    assert (error.file, error.value) == (PEOPLE, f"{size:,} bytes")
    assert "expected a file of at most 524 bytes (publication.yml: limits.max_file_mb)" in str(error)


def test_first_bad_code_is_found_exactly_among_a_million_rows() -> None:
    """A code check on a million rows runs on whole columns: the first bad row is still found exactly."""
    size = 1_000_000
    pub = spec.load_publication(TINY / "publication")
    columns = {name: ["1"] * size for name in ["respondent_id", "f_size"]}
    columns["respondent_id"] = [f"F{i}" for i in range(size)]
    columns["f_size"][987_654] = "3"
    arrays = {name: pa.array(values, type=pa.string()) for name, values in columns.items()}
    with pytest.raises(InputError) as caught:
        load.validate(pub.codebook, "firms", arrays, "firms.csv")
    assert (caught.value.row, caught.value.column, caught.value.value) == (987_656, "f_size", "3")


# Limits a real survey never meets but an attack does: each refused before anything reads the file whole.


def raise_file_limit(project: Path, megabytes: int) -> None:
    meta = project / "publication" / "publication.yml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text.replace("max_file_mb: 1", f"max_file_mb: {megabytes}"), encoding="utf-8")


def open_sources(project: Path, stream_above: int, scratch: Path) -> None:
    """Opens the microdata as a build does, streaming files larger than `stream_above` bytes."""
    pub = spec.load_publication(project / "publication")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(sources.STREAM_ENV, str(stream_above))
        sources.open_microdata(pub, scratch)


@pytest.mark.parametrize("stream_above", [0, 1 << 40], ids=["streamed", "read whole"])
def test_a_cell_longer_than_a_spreadsheet_holds_is_refused_naming_row_and_column(
    project: Path, tmp_path: Path, stream_above: int
) -> None:
    edit_people(project, "P-001,2,1,", "P-001,2,1" + "9" * 40_000 + ",")
    raise_file_limit(project, 2)
    with pytest.raises(InputError) as caught:
        open_sources(project, stream_above, tmp_path)
    error = caught.value
    assert (error.file, error.row, error.column) == (PEOPLE, 3, "p_used")
    assert error.value == "19999999999999999999... (40,001 characters)"
    assert "expected a cell of at most 32,767 characters" in str(error)


@pytest.mark.parametrize("stream_above", [0, 1 << 40], ids=["streamed", "read whole"])
def test_a_50_mb_cell_is_refused_naming_row_and_column_on_either_path(
    project: Path, tmp_path: Path, stream_above: int
) -> None:
    """pyarrow cannot read a cell longer than its block ('straddling object'): the cell is found and named."""
    edit_people(project, "P-002,", 'P-002,"' + "x" * 50_000_000 + '",')
    raise_file_limit(project, 100)
    with pytest.raises(InputError) as caught:
        open_sources(project, stream_above, tmp_path)
    error = caught.value
    assert (error.file, error.row, error.column) == (PEOPLE, 4, "p_region")
    assert error.value == "xxxxxxxxxxxxxxxxxxxx... (50,000,000 characters)"


SPARSE_FILE_CHECK = """
import sys, time
from pathlib import Path
from surveypress import content as spec
from surveypress.microdata import sources
from surveypress.microdata import sources
from surveypress import content as spec
from surveypress.errors import InputError
pub = spec.load_publication(Path(sys.argv[1]))
start = time.monotonic()
try:
    sources.open_microdata(pub, Path(sys.argv[2]))
except InputError as error:
    print(error)
print(time.monotonic() - start)
# The peak of this process's memory: VmHWM starts again at exec, where ru_maxrss keeps pytest's own.
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(int(peak.split()[1]) // 1024)
"""


@pytest.mark.parametrize("stream_above", [0, 1 << 40], ids=["streamed", "read whole"])
def test_a_sparse_2_gb_file_is_refused_in_seconds_without_being_read_whole(
    project: Path, tmp_path: Path, stream_above: int
) -> None:
    """A file of holes reads as NUL bytes: the block scan stops at the first hole (SEEK_HOLE), so the 2 GB file
    (which takes no disk) is refused with the row where its holes start, in memory of the order of the imports."""
    raise_file_limit(project, 2048)
    with (project / PEOPLE).open("r+b") as handle:
        handle.truncate(2 << 30)
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent), sources.STREAM_ENV: str(stream_above)}
    result = subprocess.run(
        [sys.executable, "-c", SPARSE_FILE_CHECK, str(project / "publication"), str(tmp_path)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    message, seconds, megabytes = result.stdout.splitlines()
    assert message == (
        f"{PEOPLE}, row 42: value 'binary data (NUL bytes)': expected a UTF-8 CSV text file. This is not a text "
        "file; export the data as CSV UTF-8"
    )
    assert float(seconds) < 30, seconds  # a hang guard: reading 2 GB whole is what the memory line rules out
    assert int(megabytes) < 400, megabytes  # importing pandas and pyarrow is most of it; the file was 2,048 MB


def test_a_row_longer_than_pyarrows_block_without_a_long_cell_is_named_as_ragged(project: Path) -> None:
    """A row of two million commas outgrows pyarrow's 1 MB block ('straddling object'), yet holds no long cell: it is
    read in one block and named as the ragged row it is."""
    edit_people(project, "P-001,2,", "P-001,2" + "," * 2_000_000)
    raise_file_limit(project, 4)
    error = refusal(project)
    assert error.row == 3
    assert "expected 7 cells per row, like the header. This row has 2000006 cells" in str(error)
