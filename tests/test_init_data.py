"""`surveypress init` from a data file without labels (CSV, TSV, Parquet, a data workbook): the codebook read off the
data, and bad files refused naming file, row, column and value. Drafting only; the builds are in
test_init_end_to_end.py."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import yaml
from test_init_end_to_end import answers

from surveypress.content import load_publication
from surveypress.draft import init
from surveypress.microdata import load


def run_init(project: Path, source: Path, *options: str) -> tuple[int, str]:
    stream = io.StringIO()
    code = init.main([str(source), "--content", str(project / "publication"), *options], stream=stream)
    return code, stream.getvalue()


def codebook_of(project: Path) -> dict[str, dict]:
    codebook = yaml.safe_load((project / "publication" / "codebook.yml").read_text(encoding="utf-8"))
    return {question["id"]: question for question in codebook["questions"]}


def test_a_csv_gives_single_multi_and_numeric_questions_and_leaves_free_text_out(tmp_path: Path) -> None:
    answers().to_csv(tmp_path / "people.csv", index=False)
    code, report = run_init(tmp_path, tmp_path / "people.csv", "--languages", "en,zh-Hans")
    assert code == 0, report
    questions = codebook_of(tmp_path)
    assert list(questions) == ["region", "used", "channels", "satisfaction", "age", "help"]
    # Whole-number codes are kept, their words are the person's to give; text answers are the labels.
    assert [(o["code"], o["en"]) for o in questions["region"]["options"]] == [
        (1, "TODO: 1"),
        (2, "TODO: 2"),
        (3, "TODO: 3"),
    ]
    assert [(o["code"], o["en"], o["zh-Hans"]) for o in questions["used"]["options"]] == [
        (1, "No", "TODO: No"),
        (2, "Yes", "TODO: Yes"),
    ]
    assert questions["used"]["text"] == {"en": "TODO: used", "zh-Hans": "TODO: used"}
    # ODK's space-separated answers, asked only of those who use online services (inferred from the data).
    assert questions["channels"]["type"] == "multi"
    assert [o["en"] for o in questions["channels"]["options"]] == ["app", "kiosk", "web"]
    assert questions["channels"]["universe"] == {"question": "used", "codes": [2]}
    assert questions["help"]["type"] == "multi" and [o["code"] for o in questions["help"]["options"]] == [1, 2]
    age = questions["age"]
    assert age["type"] == "numeric" and age["decimals"] == 0 and "options" not in age
    assert age["range"][0] >= 18 and age["range"][1] < 90 and age["bands"][0]["from"] == age["range"][0]
    assert "left out of the codebook: comment" in report
    microdata = pd.read_csv(tmp_path / "datasets" / "microdata" / "people.csv", dtype=str, keep_default_na=False)
    assert list(microdata.columns) == [
        "respondent_id",
        *["region", "used", "channels_1", "channels_2", "channels_3", "satisfaction", "age", "help_1", "help_2"],
    ]
    assert set(microdata["used"]) == {"1", "2"} and set(microdata["channels_1"]) == {"", "0", "1"}


def test_a_parquet_file_of_floats_gives_whole_number_codes(tmp_path: Path) -> None:
    frame = answers()[["respondent_id", "region", "age"]].astype({"region": float, "age": float})
    frame.to_parquet(tmp_path / "people.parquet", index=False)
    assert run_init(tmp_path, tmp_path / "people.parquet")[0] == 0
    questions = codebook_of(tmp_path)
    assert [option["code"] for option in questions["region"]["options"]] == [1, 2, 3]
    assert questions["age"]["decimals"] == 0
    microdata = (tmp_path / "datasets" / "microdata" / "people.csv").read_text(encoding="utf-8")
    assert ".0" not in microdata


def test_a_csv_without_a_usable_id_column_is_refused_asking_for_id_column(tmp_path: Path) -> None:
    answers().drop(columns="respondent_id").to_csv(tmp_path / "people.csv", index=False)
    code, report = run_init(tmp_path, tmp_path / "people.csv")
    assert code == 2
    assert report.startswith(
        "error: " + str(tmp_path / "people.csv") + ", row 1: value 'region, used, channels, satisfaction, age, help_1,"
        " help_2, comment': expected a respondent id column: one whose values are unique and never empty, named id,"
        " respondent_id, .... Name it with --id-column NAME"
    )
    assert not (tmp_path / "publication").exists()


def test_an_id_column_with_a_repeated_id_is_refused_naming_its_row(tmp_path: Path) -> None:
    frame = answers()
    frame.loc[4, "respondent_id"] = "R-002"
    frame.to_csv(tmp_path / "people.csv", index=False)
    code, report = run_init(tmp_path, tmp_path / "people.csv", "--id-column", "respondent_id")
    assert code == 2
    assert report.endswith(
        "people.csv, row 6, column respondent_id: value 'R-002': expected a unique respondent id in every row."
        " The id appears in an earlier row\n"
    )


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_bytes(b"")
    code, report = run_init(tmp_path, tmp_path / "people.csv")
    assert code == 2
    assert report.endswith(
        "people.csv, row 1: value '(empty file)': expected a header row, then one row per respondent\n"
    )


def test_a_file_with_only_a_header_is_refused(tmp_path: Path) -> None:
    (tmp_path / "people.tsv").write_text("respondent_id\tregion\n", encoding="utf-8")
    code, report = run_init(tmp_path, tmp_path / "people.tsv")
    assert code == 2
    assert report.endswith(
        "people.tsv, row 2: value '(header only)': expected at least one respondent row below the header\n"
    )


def test_a_ragged_row_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("respondent_id,region\nR-1,1\nR-2,1,3\n", encoding="utf-8")
    code, report = run_init(tmp_path, tmp_path / "people.csv")
    assert code == 2
    assert "people.csv, row 3: value 'R-2,1,3': expected as many cells in every row as the header has (2)" in report


def test_blanks_no_earlier_question_explains_are_written_as_no_answer_so_the_draft_loads(tmp_path: Path) -> None:
    # A CSV as people have them: some left the multi-select cell and a single question empty, and no earlier answer
    # says why. The build reads an empty cell as "not asked", which a question without a universe cannot be, so
    # init writes those cells as the no-answer code and says so: the first build must not stop on its own draft.
    frame = answers().drop(columns=["used"])
    frame.loc[[3, 7], "satisfaction"] = ""
    frame.to_csv(tmp_path / "people.csv", index=False)
    code, report = run_init(tmp_path, tmp_path / "people.csv", "--languages", "en")
    assert code == 0, report
    assert "channels: left empty by some respondents" in report and "written as no answer (-9)" in report
    microdata = pd.read_csv(tmp_path / "datasets" / "microdata" / "people.csv", dtype=str, keep_default_na=False)
    assert list(microdata.loc[[3, 7], "satisfaction"]) == ["-9", "-9"]
    assert set(microdata["channels_1"]) == {"-9", "0", "1"} and "" not in set(microdata["region"])
    publication = load_publication(tmp_path / "publication")
    loaded = load.load_microdata(publication)["people"]
    assert len(loaded) == 50


def test_a_csv_integer_column_with_blanks_as_pandas_writes_it_keeps_its_codes(tmp_path: Path) -> None:
    # pandas writes an integer column with missing values as floats: 3.0, 1.0, ''. Those are codes, not a measure
    # with one decimal, and the converted microdata writes them as the whole numbers they are.
    frame = answers()[["respondent_id", "region", "age"]].astype({"region": float, "age": float})
    frame.loc[[2, 9], "region"] = None
    frame.to_csv(tmp_path / "people.csv", index=False)
    assert "3.0" in (tmp_path / "people.csv").read_text(encoding="utf-8")
    code, report = run_init(tmp_path, tmp_path / "people.csv")
    assert code == 0, report
    questions = codebook_of(tmp_path)
    assert questions["region"]["type"] == "single"
    assert [option["code"] for option in questions["region"]["options"]] == [1, 2, 3]
    assert questions["age"]["type"] == "numeric" and questions["age"]["decimals"] == 0
    microdata = (tmp_path / "datasets" / "microdata" / "people.csv").read_text(encoding="utf-8")
    assert ".0" not in microdata


def test_column_names_with_spaces_and_accents_an_id_named_in_words_and_an_empty_column(tmp_path: Path) -> None:
    # Headers as people type them: the id column is "ID number", names hold spaces and accents, one column is empty.
    frame = answers()[["respondent_id", "region", "age", "comment"]]
    frame.columns = ["ID number", "Région", "Age in years", "Commentaire libre"]
    frame.insert(2, "Nothing here", "")
    frame.to_csv(tmp_path / "people.csv", index=False, sep=";", encoding="utf-8-sig")
    code, report = run_init(tmp_path, tmp_path / "people.csv", "--languages", "en")
    assert code == 0, report
    assert list(codebook_of(tmp_path)) == ["region", "age_in_years"]
    assert "Nothing here: empty in every row; left out" in report and "columns separated by semicolons" in report
    microdata = pd.read_csv(tmp_path / "datasets" / "microdata" / "people.csv", dtype=str, keep_default_na=False)
    assert list(microdata.columns) == ["respondent_id", "region", "age_in_years"]
    assert microdata["respondent_id"][0] == "R-001"


def test_a_labelled_file_with_an_unexplained_blank_writes_it_as_no_answer_so_the_draft_loads(tmp_path: Path) -> None:
    # SPSS's system-missing cell in a question asked of everyone: the same rule as a data file's blank.
    frame = pd.DataFrame({"id": [1.0, 2.0, 3.0, 4.0], "q1": [1.0, None, 2.0, 1.0]})
    pyreadstat.write_sav(
        frame, tmp_path / "survey.sav", column_labels={"q1": "Trust"}, variable_value_labels={"q1": {1: "Yes", 2: "No"}}
    )
    code, report = run_init(tmp_path, tmp_path / "survey.sav", "--languages", "en")
    assert code == 0, report
    assert "q1: left empty by some respondents" in report
    microdata = pd.read_csv(tmp_path / "datasets" / "microdata" / "survey.csv", dtype=str, keep_default_na=False)
    assert list(microdata["q1"]) == ["1", "-9", "2", "1"]
    assert len(load.load_microdata(load_publication(tmp_path / "publication"))["survey"]) == 4


def test_a_data_file_is_streamed_into_duckdb_never_read_whole(tmp_path: Path, monkeypatch) -> None:
    # A big file is profiled by DuckDB from pyarrow's block reader: the readers that hold a whole file in memory
    # are never called on the way (the universes read the converted file one column at a time).
    import pyarrow.csv
    import pyarrow.parquet

    one_column = pyarrow.parquet.read_table

    def whole(*arguments, **options):
        raise AssertionError("a data file was read whole")

    def column(*arguments, columns=None, **options):
        assert columns is not None and len(columns) == 1, "a data file was read whole"
        return one_column(*arguments, columns=columns, **options)

    for module, function in [(pd, "read_csv"), (pd, "read_parquet"), (pyarrow.csv, "read_csv")]:
        monkeypatch.setattr(module, function, whole)
    monkeypatch.setattr(pyarrow.parquet, "read_table", column)
    frame = answers()
    frame.to_csv(tmp_path / "people.tsv", index=False, sep="\t")
    code, report = run_init(tmp_path, tmp_path / "people.tsv", "--languages", "en")
    assert code == 0, report
    assert list(codebook_of(tmp_path)) == ["region", "used", "channels", "satisfaction", "age", "help"]


def test_init_ends_by_naming_the_readmes_build_command(tmp_path: Path, monkeypatch) -> None:
    answers().to_csv(tmp_path / "people.csv", index=False)
    monkeypatch.chdir(tmp_path)
    code, report = run_init(tmp_path, Path("people.csv"))
    assert code == 0 and report.endswith("then build: surveypress build\n"), report
    (tmp_path / "other").mkdir()
    code, report = run_init(tmp_path / "other" / "my survey", Path("people.csv"))
    assert code == 0 and report.endswith("surveypress build --content 'other/my survey/publication'\n"), report


def test_floats_written_with_all_their_digits_are_a_numeric_question_rounded_to_four_decimals(tmp_path: Path) -> None:
    # A computed score as pandas or Parquet holds it (7.349012345678901): a number, not free text; a codebook
    # declares at most 9 decimals, so init rounds the values to 4 and widens the range to hold them.
    frame = answers()[["respondent_id", "region"]]
    frame["score"] = np.random.default_rng(5).normal(5, 2, 50)
    frame.to_parquet(tmp_path / "people.parquet", index=False)
    code, report = run_init(tmp_path, tmp_path / "people.parquet")
    assert code == 0, report
    assert "score: numbers with up to" in report and "rounded to 4 in the converted microdata" in report
    score = codebook_of(tmp_path)["score"]
    assert score["type"] == "numeric" and score["decimals"] == 4
    assert score["range"][0] <= frame["score"].min() and score["range"][1] >= frame["score"].max()
    assert len(load.load_microdata(load_publication(tmp_path / "publication"))["people"]) == 50


def test_a_data_file_inside_the_project_is_kept_out_of_git_by_the_drafted_gitignore(tmp_path: Path) -> None:
    # A CSV beside publication/ is as confidential as a .sav there, which the *.sav line keeps out; an XLSForm is not.
    (tmp_path / "raw data").mkdir()
    answers().to_csv(tmp_path / "raw data" / "people [v2].csv", index=False)
    code, report = run_init(tmp_path, tmp_path / "raw data" / "people [v2].csv")
    assert code == 0, report
    ignored = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/raw data/people \\[v2\\].csv" in ignored
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run_init(elsewhere, tmp_path / "raw data" / "people [v2].csv")[0] == 0
    assert not [line for line in (elsewhere / ".gitignore").read_text(encoding="utf-8").splitlines() if "v2" in line]
