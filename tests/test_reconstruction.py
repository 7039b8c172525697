"""Checks the seeded synthetic microdata against the report, the codebook's skip logic and the disclosure rule.

Counts are taken straight from the committed CSV files with pandas, independently of the engine's tabulate stage.
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from surveypress.content import Publication, Question, load_publication

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "publication"
SCRIPT = CONTENT / "reconstruct" / "reconstruct.py"
TARGETS = yaml.safe_load((CONTENT / "reconstruct" / "targets.yml").read_text(encoding="utf-8"))
NO_ANSWER = "-9"
ABOUT_TOLERANCE = 5  # "九成左右" (about 90%): within five points either side


@pytest.fixture(scope="module")
def publication() -> Publication:
    return load_publication(CONTENT)


@pytest.fixture(scope="module")
def microdata(publication: Publication) -> dict[str, pd.DataFrame]:
    # Read every cell as text so that "not asked" (empty) and "-9" stay distinguishable.
    return {
        population: pd.read_csv(entry.microdata, dtype=str, keep_default_na=False)
        for population, entry in publication.codebook.populations.items()
    }


def read_figures() -> pd.DataFrame:
    return pd.read_csv(CONTENT / "published_figures.csv", dtype=str, keep_default_na=False)


def in_universe(frame: pd.DataFrame, question: Question, publication: Publication) -> pd.Series:
    """Respondents the skip logic says were asked `question`, worked out from the parent's answers in the file."""
    if question.universe is None:
        return pd.Series(True, index=frame.index)
    parent = publication.codebook.questions[question.universe.question]
    parent_asked = in_universe(frame, parent, publication)
    codes = {str(code) for code in question.universe.codes}
    if parent.type == "multi":
        ticked = pd.concat([frame[f"{parent.id}_{code}"] == "1" for code in question.universe.codes], axis=1)
        return parent_asked & ticked.any(axis=1)
    return parent_asked & frame[parent.id].isin(codes)


def count_and_base(frame: pd.DataFrame, question: Question, codes: tuple[int, ...]) -> tuple[int, int]:
    """Respondents choosing any of `codes`, and respondents who answered (not empty, not -9)."""
    first = frame[question.columns()[0]]
    answered = (first != "") & (first != NO_ANSWER)
    if question.type == "multi":
        chosen = pd.concat([frame[f"{question.id}_{code}"] == "1" for code in codes], axis=1).any(axis=1)
    else:
        chosen = frame[question.id].isin({str(code) for code in codes})
    return int((chosen & answered).sum()), int(answered.sum())


def category_codes(publication: Publication, indicator_id: str, category: str) -> tuple[int, ...]:
    indicator = publication.indicator(indicator_id)
    for net in indicator.nets:
        if net.code == category:
            return net.codes
    return (int(category),)


def recompute(figure: pd.Series, publication: Publication, microdata: dict[str, pd.DataFrame]) -> Decimal:
    """The figure's value recomputed from the microdata, rounded as the report printed it (half away from zero)."""
    if figure["unit"] == "base":
        total = 0
        for indicator_id in figure["indicator"].split("+"):
            question = publication.codebook.questions[publication.indicator(indicator_id).question]
            total += count_and_base(microdata[question.population], question, question.codes)[1]
        return Decimal(total)
    indicator = publication.indicator(figure["indicator"])
    question = publication.codebook.questions[indicator.question]
    count, base = count_and_base(
        microdata[question.population], question, category_codes(publication, indicator.id, figure["category"])
    )
    if figure["unit"] == "count":
        return Decimal(count)
    decimals = len(figure["value"].partition(".")[2])
    return (Decimal(count) * 100 / Decimal(base)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def holds(figure: pd.Series, recomputed: Decimal) -> bool:
    printed = Decimal(figure["value"])
    if figure["comparison"] == "at_least":
        return recomputed >= printed
    if figure["comparison"] == "about":
        return abs(recomputed - printed) <= ABOUT_TOLERANCE
    return recomputed == printed


ACHIEVABLE = read_figures().query("note == ''")
NOTED = read_figures().query("note != ''")


def test_regenerating_the_microdata_gives_byte_identical_files(tmp_path: Path, publication: Publication) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, capture_output=True)
    for population, entry in publication.codebook.populations.items():
        regenerated = tmp_path / f"{population}.csv"
        assert regenerated.read_bytes() == entry.microdata.read_bytes(), f"{population}.csv differs from a rerun"


@pytest.mark.parametrize("figure_id", ACHIEVABLE["figure_id"].tolist())
def test_every_achievable_printed_figure_holds_on_the_microdata(figure_id, publication, microdata) -> None:
    figure = ACHIEVABLE.set_index("figure_id").loc[figure_id]
    recomputed = recompute(figure, publication, microdata)
    assert holds(figure, recomputed), f"{figure_id} {figure['measure']}: printed {figure['printed']}, got {recomputed}"


@pytest.mark.parametrize("figure_id", NOTED["figure_id"].tolist())
def test_figures_noted_as_unreproducible_really_differ_from_the_report(figure_id, publication, microdata) -> None:
    # A note that outlives its reason would hide a figure the data now reproduces.
    figure = NOTED.set_index("figure_id").loc[figure_id]
    assert not holds(figure, recompute(figure, publication, microdata))


def test_the_report_prints_about_eighty_figures_and_each_names_a_known_indicator(publication) -> None:
    figures = read_figures()
    assert 75 <= len(figures) <= 85
    assert figures["figure_id"].is_unique
    known = {indicator.id for indicator in publication.indicators}
    for _, figure in figures.iterrows():
        assert set(figure["indicator"].split("+")) <= known, figure["figure_id"]
        assert figure["unit"] in {"percent", "count", "base"} and figure["comparison"] in {"equal", "at_least", "about"}
        assert re.search(r"\d|[一二三四五六七八九十]成", figure["printed"]), figure["figure_id"]


def test_every_target_count_is_hit_exactly(publication, microdata) -> None:
    for population in ("residents", "enterprises"):
        for qid, counts in TARGETS[population]["questions"].items():
            question = publication.codebook.questions[qid]
            for code, expected in counts.items():
                got = count_and_base(microdata[population], question, (code,))[0]
                assert got == expected, f"{qid} option {code}: {got} respondents, target {expected}"


def test_header_follows_the_codebook_column_order(publication, microdata) -> None:
    for population, frame in microdata.items():
        assert list(frame.columns) == publication.codebook.columns_of(population)


def test_respondent_ids_are_opaque_and_unique(microdata) -> None:
    for population, frame in microdata.items():
        prefix = population[0].upper()
        assert frame["respondent_id"].is_unique
        assert frame["respondent_id"].str.fullmatch(rf"{prefix}-[0-9a-f]{{6}}").all()


def test_skip_logic_holds_in_every_row(publication, microdata) -> None:
    for question in publication.codebook.questions.values():
        frame = microdata[question.population]
        asked = in_universe(frame, question, publication)
        cells = frame[question.columns()]
        assert (cells[~asked] == "").all(axis=None), f"{question.id}: answered by someone outside its universe"
        inside = cells[asked]
        unanswered = (inside == NO_ANSWER).all(axis=1)
        assert not ((inside == NO_ANSWER).any(axis=1) & ~unanswered).any(), f"{question.id}: partial -9"
        answered = inside[~unanswered]
        if question.type == "multi":
            assert answered.isin({"0", "1"}).all(axis=None), f"{question.id}: a tick other than 0 or 1"
        else:
            valid = {str(code) for code in question.codes}
            assert answered[question.id].isin(valid).all(), f"{question.id}: a code outside {sorted(valid)}"


def test_every_multi_answer_ticks_something_and_none_options_stand_alone(publication, microdata) -> None:
    for question in publication.codebook.questions.values():
        if question.type != "multi":
            continue
        cells = microdata[question.population][question.columns()]
        answered = cells[(cells != "").all(axis=1) & (cells != NO_ANSWER).all(axis=1)].astype(int)
        assert (answered.sum(axis=1) >= 1).all(), f"{question.id}: a respondent ticked nothing"
        alone = TARGETS[question.population].get("exclusive", {}).get(question.id)
        if alone is not None:
            with_alone = answered[answered[f"{question.id}_{alone}"] == 1]
            assert (with_alone.sum(axis=1) == 1).all(), f"{question.id}: option {alone} ticked with others"


def test_quasi_identifier_groups_hold_at_least_min_k_records(publication, microdata) -> None:
    for population, entry in publication.codebook.populations.items():
        groups = microdata[population].groupby(list(entry.quasi_identifiers)).size()
        assert groups.min() >= publication.disclosure.min_k, groups[groups < publication.disclosure.min_k].to_dict()


def test_one_enterprise_user_left_the_post_use_block_unanswered(microdata) -> None:
    enterprises = microdata["enterprises"]
    block = TARGETS["enterprises"]["no_answer_block"]["questions"]
    silent = enterprises[enterprises["e_satisfaction"] == NO_ANSWER]
    assert len(silent) == 1 and (silent["e_used_online"] == "1").all()
    columns = [column for column in enterprises.columns if any(column.startswith(qid) for qid in block)]
    assert (silent[columns] == NO_ANSWER).all(axis=None)


def test_the_joint_structure_follows_the_described_propensities(microdata) -> None:
    residents = microdata["residents"]
    non_users = residents[residents["r_used_online"] == "2"]
    assert (residents.loc[residents["r_age"] == "4", "r_used_online"] == "2").mean() > 0.5  # 60+ mostly offline
    assert (residents.loc[residents["r_occupation"] == "8", "r_age"] == "1").all()  # students are 18-29
    farmers = residents[residents["r_occupation"] == "7"]
    assert (farmers["r_residence"] == "2").mean() > 0.8 and (farmers["r_age"] >= "3").mean() > 0.5
    assert (non_users["r_residence"] == "2").mean() > (residents["r_residence"] == "2").mean()
    choosing_older_users_reason = non_users[non_users["r_not_used_reasons_1"] == "1"]
    assert (choosing_older_users_reason["r_age"] >= "3").mean() >= 0.8  # "hard for older people": mostly 50+
