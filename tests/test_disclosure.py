"""k-anonymity of the published microdata over the configured quasi-identifiers."""

from __future__ import annotations

import pandas as pd
import pytest
from test_protect import fixture_publication

from surveypress.errors import DisclosureError, InputError
from surveypress.stats.protect import DISCLOSURE_COLUMNS, check_disclosure, disclosure_report


def people(pairs: list[tuple[object, object]]) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(
        {
            "respondent_id": [f"R-{number:03d}" for number in range(len(pairs))],
            "area": pd.array([area for area, _age in pairs], dtype="Int8"),
            "age": pd.array([age for _area, age in pairs], dtype="Int8"),
        }
    )
    return {"people": frame}


def test_the_report_gives_k_and_sample_uniques_per_file(tmp_path):
    pub = fixture_publication(tmp_path)
    microdata = people([(1, 1)] * 4 + [(1, 2)] * 3 + [(2, 3)] * 1 + [(2, 1)] * 1)
    report = disclosure_report(pub, microdata)
    assert tuple(report.columns) == DISCLOSURE_COLUMNS
    row = report.iloc[0]
    assert row["file"] == "datasets/microdata/people.csv"
    assert row["quasi_identifiers"] == "area age"
    assert (row["records"], row["k"], row["sample_uniques"], row["min_k"]) == (9, 1, 2, 3)
    assert row["status"] == "fail"
    assert row["smallest_combination"] == "area=2, age=1"


def test_missing_answers_form_a_group_of_their_own(tmp_path):
    pub = fixture_publication(tmp_path)
    microdata = people([(1, 1)] * 5 + [(1, -9)] * 3 + [(1, None)] * 2)
    row = disclosure_report(pub, microdata).iloc[0]
    assert row["k"] == 2
    assert row["smallest_combination"] == "area=1, age="


def test_files_meeting_min_k_pass_the_check(tmp_path):
    pub = fixture_publication(tmp_path)
    report = disclosure_report(pub, people([(1, 1)] * 3 + [(2, 2)] * 4))
    assert report.iloc[0]["status"] == "ok"
    check_disclosure(pub, report)


def test_a_file_under_min_k_raises_naming_the_file_and_the_smallest_combination(tmp_path):
    pub = fixture_publication(tmp_path)
    report = disclosure_report(pub, people([(1, 1)] * 3 + [(2, 2)] * 2))
    with pytest.raises(DisclosureError) as caught:
        check_disclosure(pub, report)
    assert isinstance(caught.value, InputError)
    message = str(caught.value)
    assert "datasets/microdata/people.csv" in message
    assert "area=2, age=2" in message
    assert "at least 3" in message
