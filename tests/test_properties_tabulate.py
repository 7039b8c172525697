"""Properties of the tabulate stage over random codebooks and microdata that follow them (hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveypress.content import (
    Codebook,
    Disclosure,
    Indicator,
    Label,
    Net,
    Option,
    Population,
    Publication,
    Question,
    Universe,
)
from surveypress.stats.tabulate import tabulate

NO_ANSWER = -9
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _asked(question: Question, answers: dict, questions: dict) -> bool:
    """Row-by-row oracle: is this respondent (answers by column) inside the question's universe chain?"""
    if question.universe is None:
        return True
    target = questions[question.universe.question]
    if not _asked(target, answers, questions):
        return False
    if target.type == "multi":
        return any(answers[f"{target.id}_{code}"] == 1 for code in question.universe.codes)
    return answers[target.id] in question.universe.codes


@st.composite
def surveys(draw, max_respondents: int = 40) -> tuple[Publication, pd.DataFrame]:
    """A random codebook (breakdowns, single/scale/multi questions, chained universes, nets) and valid microdata."""
    questions: dict[str, Question] = {}
    n_breakdowns = draw(st.integers(0, 2))
    for index in range(n_breakdowns + draw(st.integers(1, 4))):
        qid = f"q{index}"
        qtype = "single" if index < n_breakdowns else draw(st.sampled_from(["single", "scale", "multi"]))
        codes = sorted(draw(st.sets(st.integers(1, 12), min_size=2, max_size=5)))
        if index >= n_breakdowns:
            # Codebook order need not be code order; categories must follow the codebook.
            codes = draw(st.permutations(codes))
        universe = None
        earlier = list(questions.values())
        if earlier and draw(st.booleans()):
            target = draw(st.sampled_from(earlier))
            universe = Universe(target.id, tuple(draw(st.sets(st.sampled_from(target.codes), min_size=1))))
        options = tuple(Option(code, f"选项{code}", f"option {code}") for code in codes)
        questions[qid] = Question(qid, "p", qtype, Label(qid, qid), options, universe)
    codebook = Codebook(NO_ANSWER, {"p": Population("p", Label("人", "People"), Path("p.parquet"))}, questions)

    breakdown_ids = [f"q{index}" for index in range(n_breakdowns)]
    indicators = []
    for question in list(questions.values())[n_breakdowns:]:
        nets = []
        if draw(st.booleans()):
            net_codes = tuple(draw(st.sets(st.sampled_from(question.codes), min_size=1)))
            nets.append(Net("net", "合并", "Net", codes=net_codes))
        breakdowns = tuple(draw(st.sets(st.sampled_from(breakdown_ids)))) if breakdown_ids else ()
        indicators.append(Indicator(question.id, question.id, "p", question.text, tuple(nets), breakdowns))
    publication = Publication(Path("."), Path("."), {}, codebook, indicators, Disclosure())

    records = []
    for number in range(draw(st.integers(1, max_respondents))):
        answers: dict = {"respondent_id": f"R-{number:04d}"}
        for question in questions.values():
            asked = _asked(question, answers, questions)
            silent = asked and draw(st.integers(0, 5)) == 0
            for column in question.columns():
                if not asked:
                    answers[column] = pd.NA
                elif silent:
                    answers[column] = NO_ANSWER
                elif question.type == "multi":
                    answers[column] = draw(st.integers(0, 1))
                else:
                    answers[column] = draw(st.sampled_from(question.codes))
        records.append(answers)
    frame = pd.DataFrame.from_records(records, columns=codebook.columns_of("p"))
    frame["respondent_id"] = frame["respondent_id"].astype("str")
    for column in frame.columns[1:]:
        frame[column] = frame[column].astype("Int8")
    return publication, frame


@PROPERTY_SETTINGS
@given(surveys())
def test_counts_never_exceed_their_base_and_are_never_negative(survey):
    publication, frame = survey
    table = tabulate(publication, {"p": frame}, engine="pandas")
    assert ((table["count"] >= 0) & (table["count"] <= table["base"])).all()


@PROPERTY_SETTINGS
@given(surveys())
def test_single_choice_shares_of_a_base_sum_to_100_within_rounding(survey):
    publication, frame = survey
    table = tabulate(publication, {"p": frame}, engine="pandas")
    options = {q.id: {str(code) for code in q.codes} for q in publication.codebook.questions.values()}
    for (indicator, _, _), group in table.groupby(["indicator", "breakdown", "group"]):
        question = publication.codebook.questions[indicator]
        group = group[group["category"].isin(options[indicator])]
        if question.type == "multi" or group["base"].iloc[0] == 0:
            continue
        assert group["count"].sum() == group["base"].iloc[0]
        # Each share is off by at most 0.005 after rounding.
        assert abs(group["percent"].sum() - 100) <= 0.005 * len(group) + 1e-9


@PROPERTY_SETTINGS
@given(surveys())
def test_each_interval_contains_its_estimate_and_lies_within_0_and_100(survey):
    publication, frame = survey
    table = tabulate(publication, {"p": frame}, engine="pandas")
    shown = table[table["base"] > 0]
    assert ((shown["ci_low"] >= 0) & (shown["ci_low"] <= shown["percent"])).all()
    assert ((shown["percent"] <= shown["ci_high"]) & (shown["ci_high"] <= 100)).all()
    assert table.loc[table["base"] == 0, ["percent", "ci_low", "ci_high"]].isna().all().all()


@PROPERTY_SETTINGS
@given(surveys())
def test_every_base_is_the_respondents_inside_the_universe_who_answered(survey):
    publication, frame = survey
    table = tabulate(publication, {"p": frame}, engine="pandas")
    questions = publication.codebook.questions
    rows = frame.to_dict("records")
    for indicator in publication.indicators:
        question = questions[indicator.question]
        expected = 0
        for answers in rows:
            cells = [answers[column] for column in question.columns()]
            answered = any(cell is not pd.NA and cell != NO_ANSWER for cell in cells)
            expected += _asked(question, answers, questions) and answered
        total = table[(table.indicator == indicator.id) & (table.breakdown == "total")]
        assert (total["base"] == expected).all()


@PROPERTY_SETTINGS
@given(surveys(), st.randoms(use_true_random=False))
def test_a_respondent_outside_a_universe_never_counts_even_with_filled_cells(survey, random):
    publication, frame = survey
    before = tabulate(publication, {"p": frame}, engine="pandas")
    # Fill every not-asked cell with a valid-looking answer: the table must not move.
    filled = frame.copy()
    for question in publication.codebook.questions.values():
        values = (0, 1) if question.type == "multi" else question.codes
        for column in question.columns():
            empty = filled[column].isna()
            filled.loc[empty, column] = [random.choice(values) for _ in range(int(empty.sum()))]
    for engine in ("pandas", "duckdb"):
        pd.testing.assert_frame_equal(before, tabulate(publication, {"p": filled}, engine=engine), check_exact=True)


@PROPERTY_SETTINGS
@given(surveys())
def test_both_engines_agree_to_the_last_digit(survey):
    publication, frame = survey
    pd.testing.assert_frame_equal(
        tabulate(publication, {"p": frame}, engine="pandas"),
        tabulate(publication, {"p": frame}, engine="duckdb"),
        check_exact=True,
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(surveys())
def test_both_engines_reading_parquet_give_the_table_of_the_loaded_frame(survey):
    publication, frame = survey
    expected = tabulate(publication, {"p": frame}, engine="pandas")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.parquet"
        frame.to_parquet(path)
        for engine in ("pandas", "duckdb"):
            pd.testing.assert_frame_equal(expected, tabulate(publication, {"p": path}, engine=engine), check_exact=True)


@PROPERTY_SETTINGS
@given(surveys(), st.sampled_from(["pandas", "duckdb"]))
def test_with_all_weights_one_and_no_strata_or_clusters_the_shares_are_todays_exactly(survey, engine):
    from dataclasses import replace

    from surveypress.content import Design
    from surveypress.stats.tabulate import TABLE_COLUMNS

    publication, frame = survey
    today = tabulate(publication, {"p": frame}, engine=engine)
    weighted_codebook = replace(
        publication.codebook,
        populations={"p": replace(publication.codebook.populations["p"], design=Design(weight="weight"))},
    )
    weighted_publication = replace(publication, codebook=weighted_codebook)
    weighted_frame = frame.assign(weight=1.0)
    weighted = tabulate(weighted_publication, {"p": weighted_frame}, engine=engine)
    # Counts, bases and percents (every column but the interval) are today's to the last digit.
    same = [column for column in TABLE_COLUMNS if column not in ("ci_low", "ci_high")]
    pd.testing.assert_frame_equal(weighted[same], today[same], check_exact=True)
    # A self-weighting simple random sample has design effect 1 for shares of the whole sample (a domain keeps the
    # whole sample's design, so its design effect differs from 1).
    whole = weighted[(weighted["base"] == len(frame)) & (weighted["breakdown"] == "total")]["deff"].dropna()
    assert ((whole - 1.0).abs() < 1e-9).all()
