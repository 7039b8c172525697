"""outputs.py: the bytes every writer produces, the staging folder and the deterministic archive."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from surveypress import text
from surveypress.publish import outputs
from surveypress.publish.staging import Staging, manifest_text


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    frame = pd.DataFrame(
        {
            "note": ["=SUM(A1:A9)", "+1 more", "-x", "@cmd", "\tHIDDEN", "\rX", "plain", "-9", "+3.5", "-1e3"],
        }
    )
    cells = [row[0] for row in csv.reader(io.StringIO(outputs.csv_text(frame), newline=""))][1:]
    assert cells == ["'=SUM(A1:A9)", "'+1 more", "'-x", "'@cmd", "'\tHIDDEN", "'\nX", "plain", "-9", "+3.5", "-1e3"]


def test_csv_is_utf8_with_a_bom_for_excel_with_newline_ends_and_no_index(tmp_path: Path) -> None:
    frame = pd.DataFrame({"category_label": ["使用过", "未使用过"], "count": [33, 6]})
    path = outputs.write_csv(tmp_path / "nested/table.csv", frame)
    assert path.read_bytes() == b"\xef\xbb\xbf" + "category_label,count\n使用过,33\n未使用过,6\n".encode()


def test_csv_numbers_are_written_the_same_way_every_time() -> None:
    frame = pd.DataFrame(
        {
            "percent": [84.62, 50.0, float("nan"), 0.1 + 0.2],
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "flag": [True, False, True, False],
        }
    )
    assert outputs.csv_text(frame) == (
        "percent,count,flag\n84.62,1,true\n50.0,,false\n,3,true\n0.30000000000000004,4,false\n"
    )


def test_one_file_per_indicator_holds_the_bytes_its_rows_written_alone_would(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "indicator": ["a", "b", "a", "c", "b"],
            "category_label": ["=1+1", "line\r\nbreak", "使用过", "plain", 'quote "x"'],
            "count": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "percent": [84.62, float("nan"), 0.1 + 0.2, 50.0, 1.0],
            "flag": [True, False, True, False, True],
        }
    )
    paths = {key: tmp_path / "parts" / f"{key}.csv" for key in ("a", "b", "c", "none")}
    written = outputs.write_csv_parts(table, "indicator", paths)
    assert written == list(paths.values())
    for key, path in paths.items():
        alone = outputs.write_csv(tmp_path / "alone" / f"{key}.csv", table[table["indicator"] == key])
        assert path.read_bytes() == alone.read_bytes()


def test_infinite_values_are_refused_rather_than_written() -> None:
    with pytest.raises(ValueError, match="infinite"):
        outputs.csv_text(pd.DataFrame({"percent": [float("inf")]}))


def test_json_keeps_chinese_readable_sorts_keys_and_ends_with_a_newline(tmp_path: Path) -> None:
    path = outputs.write_json(tmp_path / "a.json", {"title": "居民", "count": 3})
    assert path.read_text(encoding="utf-8") == '{\n  "count": 3,\n  "title": "居民"\n}\n'
    unsorted = outputs.json_text({"name": "x", "$schema": "y"}, sort_keys=False)
    assert unsorted.index('"name"') < unsorted.index('"$schema"')


def test_text_is_written_with_newline_line_ends(tmp_path: Path) -> None:
    path = outputs.write_text(tmp_path / "page.md", "一\r\n二\n")
    assert path.read_bytes() == "一\n二\n".encode()


def test_zip_bytes_depend_only_on_names_contents_and_epoch(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text("b\n", encoding="utf-8")
    (tmp_path / "a.csv").write_text("a\n", encoding="utf-8")
    members = {"z/b.csv": tmp_path / "b.csv", "a.csv": tmp_path / "a.csv", "README.md": b"readme\n"}
    first = outputs.write_zip(tmp_path / "one.zip", members, 1_700_000_000).read_bytes()
    (tmp_path / "a.csv").touch()  # a newer modification time must not matter
    reordered = dict(reversed(list(members.items())))
    second = outputs.write_zip(tmp_path / "two.zip", reordered, 1_700_000_000).read_bytes()
    other_epoch = outputs.write_zip(tmp_path / "three.zip", members, 1_600_000_000).read_bytes()
    assert first == second
    assert first != other_epoch
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        assert archive.namelist() == ["README.md", "a.csv", "z/b.csv"]


def test_zip_dates_before_1980_are_clamped(tmp_path: Path) -> None:
    outputs.write_zip(tmp_path / "old.zip", {"a": b"a"}, 0)
    with zipfile.ZipFile(tmp_path / "old.zip") as archive:
        assert archive.infolist()[0].date_time == (1980, 1, 1, 0, 0, 0)


def test_build_epoch_prefers_source_date_epoch_then_the_publication_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    assert outputs.build_epoch({"date": "2026-01-15"}) == 1234567890
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert outputs.build_epoch({"date": "2026-01-15"}) == 1768435200
    assert outputs.build_epoch({}, [{"version": "1.0.0", "date": "2026-11-27"}]) == 1795737600
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        outputs.build_epoch({})


def test_staging_refuses_paths_that_leave_it(tmp_path: Path) -> None:
    with Staging(tmp_path) as staging:
        with pytest.raises(ValueError, match="leaves the staging folder"):
            staging.path("../escaped.csv")


def test_staging_folder_is_removed_when_a_stage_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), Staging(tmp_path) as staging:
        outputs.write_text(staging.path("datasets/indicators.csv"), "x\n")
        raise RuntimeError("stage failed")
    assert list(tmp_path.iterdir()) == []


def test_swap_moves_outputs_keeps_mirrored_inputs_in_place_and_removes_stale_files(tmp_path: Path) -> None:
    microdata = tmp_path / "datasets/microdata/people.csv"
    outputs.write_text(microdata, "respondent_id\nP-1\n")
    outputs.write_text(tmp_path / "datasets/indicators/retired.csv", "old\n")
    outputs.write_text(tmp_path / "docs/notes.md", "hand-written\n")
    outputs.write_text(tmp_path / outputs.MANIFEST, manifest_text(["datasets/indicators/retired.csv"]))
    with Staging(tmp_path) as staging:
        staging.mirror_input(microdata)
        outputs.write_text(staging.path("datasets/indicators/p_used.csv"), "new\n")
        outputs.write_text(staging.path("docs/index.md"), "<!-- Generated by surveypress.narrate -->\n")
        stale = staging.swap()
    assert stale == ["datasets/indicators/retired.csv"]
    assert (tmp_path / "datasets/indicators/p_used.csv").read_text(encoding="utf-8") == "new\n"
    assert (tmp_path / "docs/notes.md").exists()
    assert microdata.read_text(encoding="utf-8") == "respondent_id\nP-1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [outputs.MANIFEST, "datasets", "docs"]


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12), min_size=1, max_size=8))
@example(["\r\n", "\r=1", "=1", "-9"])  # a cell of a line break alone gets no apostrophe for its CR
def test_any_text_cell_reads_back_unchanged_or_with_one_protective_apostrophe(cells: list[str]) -> None:
    csv_text = outputs.csv_text(pd.DataFrame({"note": pd.Series(cells, dtype=object)}))
    read_back = [row[0] if row else "" for row in csv.reader(io.StringIO(csv_text, newline=""))][1:]
    assert len(read_back) == len(cells)
    for original, written in zip(cells, read_back, strict=True):
        original = original.replace("\r\n", "\n")
        expected = (
            original
            if not original.startswith(text.FORMULA_STARTS) or text.NUMBER.match(original)
            else ("'" + original)
        )
        assert written == expected.replace("\r", "\n")
