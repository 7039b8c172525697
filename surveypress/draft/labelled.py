"""`surveypress init` from a labelled file (SPSS .sav/.zsav, Stata .dta, or a SAS transport file that carries value
labels): its variable and value labels, user-missing values and multiple-response sets, read by its format
(`formats.Format.labels`), drafted into questions.

- variable label -> question text; value labels -> options (positive whole codes); SPSS measure `ordinal` -> scale;
- user-missing values (SPSS missing values, Stata .a-.z) and labelled negative codes -> the no-answer code;
- SPSS multiple-response sets (dichotomies), or 0/1 variables named `<question>_<code>` -> multi questions;
- universes: the earlier question whose answers say exactly who answered (draft/universe.py), for a person to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from surveypress import formats
from surveypress.draft.model import (
    ID_NAMES,
    LABEL_SEPARATORS,
    MAX_VARIABLES,
    MULTI_COLUMN,
    NO_ANSWER,
    Draft,
    Names,
    Option,
    Question,
    _choose_charts,
    _groups_of_ten,
    _multi_columns,
    identifier,
    in_languages,
    language_of,
)
from surveypress.draft.project import say
from surveypress.draft.universe import infer_universes
from surveypress.errors import InputError
from surveypress.formats.readstat import user_missing
from surveypress.i18n import _


def draft_from_statistical(
    path: Path,
    name: str,
    population: str | None,
    languages: list[str] | None,
    id_column: str | None,
    form: formats.Format,
) -> Draft:
    assert form.labels is not None
    declared = form.variables(path) if form.variables is not None else None
    if declared is not None:
        _refuse_too_many(declared, name)  # before pyreadstat reads a dictionary that large (quadratic in it)
    columns, meta = form.labels(path, name, lambda meta: _no_answer_of(meta, name))
    no_answer = _no_answer_of(meta, name)
    labels = meta.column_names_to_labels or {}
    value_labels = {
        column: {float(code): str(text) for code, text in codes.items()}
        for column, codes in (meta.variable_value_labels or {}).items()
    }
    texts = [text for text in labels.values() if text] + [t for codes in value_labels.values() for t in codes.values()]
    source_language = language_of(texts)
    languages = languages or [source_language]
    population = population or identifier(path.stem, "survey")
    draft = Draft(
        source=path,
        source_name=name,
        population=population,
        name=re.sub(r"[^a-z0-9._-]+", "-", path.stem.lower()).strip("-._") or "survey",
        languages=languages,
        title=in_languages(meta.file_label or f"TODO: {path.stem}", source_language, languages),
        questions=[],
        groups={},
        no_answer=no_answer,
    )
    if not meta.file_label:
        draft.title = {tag: f"{say('todo', tag)}: {path.stem}" for tag in languages}
    file = _Labelled(name, columns, meta, labels, value_labels, source_language, draft)
    _respondent_ids(file, id_column)
    mr_sets = _mr_sets(file)
    groups = _multi_columns(meta.column_names, columns, value_labels, file.used, str(no_answer))
    for variable in meta.column_names:
        if variable in mr_sets:
            draft.questions.append(mr_sets[variable])
        elif variable in file.used:
            continue
        elif variable in groups:
            draft.questions.append(_group_question(file, *groups[variable]))
        else:
            question = _labelled_question(file, variable)
            draft.questions += [question] if question else []
    draft.microdata = file.microdata
    infer_universes(draft)
    _choose_charts(draft)
    draft.groups = _groups_of_ten(draft, source_language)
    return draft


@dataclass
class _Labelled:
    """One labelled file being drafted: its columns and labels, and the questions' ids and microdata so far."""

    name: str
    columns: dict[str, pa.Array]
    meta: Any
    labels: dict[str, str]
    value_labels: dict[str, dict[float, str]]
    language: str  # of the file's labels
    draft: Draft
    ids: Names = field(default_factory=Names)
    used: set[str] = field(default_factory=set)  # variables already drafted (or the id)
    microdata: dict[str, pa.Array] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ids.take("respondent_id")

    def text(self, text: str) -> dict[str, str]:
        return in_languages(text, self.language, self.draft.languages)


def _respondent_ids(file: _Labelled, id_column: str | None) -> None:
    id_source = _id_column(file.meta.column_names, file.columns, id_column, file.name)
    file.used |= {id_source} if id_source else set()
    size = file.meta.number_rows
    file.microdata["respondent_id"] = (
        file.columns[id_source]
        if id_source
        else pa.array([f"R-{case:06d}" for case in range(1, size + 1)], pa.string())
    )
    if not id_source:
        file.draft.notes.append("no respondent id column found: ids R-000001... were made from the case numbers")


def _mr_sets(file: _Labelled) -> dict[str, Question]:
    """Multiple-response sets: one multi question each, keyed by its first variable (where it is placed); its
    variables are not questions of their own."""
    mr_sets: dict[str, Question] = {}
    no_answer = str(file.draft.no_answer)
    for set_name, mr in (getattr(file.meta, "mr_sets", None) or {}).items():
        variables = [v for v in mr.get("variable_list", []) if v in file.columns]
        if not mr.get("is_dichotomy") or len(variables) < 2:
            file.draft.notes.append(f"multiple-response set {set_name}: only dichotomy sets are read; left out")
            continue
        counted = str(int(float(mr.get("counted_value", 1))))
        qid = file.ids.take(identifier(set_name.lstrip("$")))
        options = []
        for position, variable in enumerate(variables, start=1):
            match = MULTI_COLUMN.match(variable)
            code = int(match["code"]) if match and int(match["code"]) > 0 else position
            options.append(Option(code, file.text(file.labels.get(variable) or variable)))
            file.microdata[f"{qid}_{code}"] = _dichotomy(file.columns[variable], counted, no_answer)
            file.used.add(variable)
        mr_sets[variables[0]] = Question(qid, "multi", file.text(mr.get("label") or qid), options, "")
    return mr_sets


def _group_question(file: _Labelled, prefix: str, members: list[tuple[str, int]]) -> Question:
    """0/1 variables named `<prefix>_<code>`: one multi question, its text and options read off their labels."""
    qid = file.ids.take(identifier(prefix))
    question_text, option_texts = _split_labels([file.labels.get(member) or member for member, _ in members])
    options = [Option(code, file.text(text)) for (_, code), text in zip(members, option_texts, strict=True)]
    for member, code in members:
        file.microdata[f"{qid}_{code}"] = file.columns[member]
        file.used.add(member)
    return Question(qid, "multi", file.text(question_text or prefix), options, "")


def _labelled_question(file: _Labelled, variable: str) -> Question | None:
    """A variable with value labels: a single (or scale, when its measure is ordinal) question; None, with a note,
    for one without."""
    meta, no_answer = file.meta, file.draft.no_answer
    codes = file.value_labels.get(variable)
    if not codes or meta.readstat_variable_types.get(variable) == "string":
        file.draft.notes.append(f"{variable}: no value labels (not a categorical question); left out")
        return None
    missing = user_missing(meta, variable)
    options = [
        Option(int(code), file.text(text))
        for code, text in sorted(codes.items())
        if code > 0 and code.is_integer() and not any(low <= code <= high for low, high in missing)
    ]
    if len(options) < 2 or any(code == 0 for code in codes):
        file.draft.notes.append(
            f"{variable}: fewer than two positive whole codes, or a code 0; left out (recode it to publish it)"
        )
        return None
    _check_labels_cover(file.columns[variable], variable, codes, meta, no_answer, file.name)
    qid = file.ids.take(identifier(variable))
    kind = "scale" if (meta.variable_measure or {}).get(variable) == "ordinal" else "single"
    file.microdata[qid] = _negative_as_no_answer(file.columns[variable], str(no_answer))
    file.used.add(variable)
    return Question(qid, kind, file.text(file.labels.get(variable) or variable), options, "")


def _refuse_too_many(variables: int, name: str) -> None:
    if variables > MAX_VARIABLES:
        raise InputError(
            name,
            _("at most {limit} variables").format(limit=f"{MAX_VARIABLES:,}"),
            value=f"{variables:,} variables",
            hint=_("No survey has that many; split the file, or keep only the variables to publish"),
        )


def _no_answer_of(meta: Any, name: str) -> int:
    """The file's one negative user-missing code, else NO_ANSWER; refuses a file with more variables than a survey."""
    _refuse_too_many(len(meta.column_names), name)
    user_missing = sorted(
        {
            int(item["lo"])
            for ranges in (getattr(meta, "missing_ranges", None) or {}).values()
            for item in ranges
            if isinstance(item.get("lo"), int | float) and item["lo"] == item["hi"] and float(item["lo"]).is_integer()
        }
    )
    negative = [code for code in user_missing if code < 0]
    return negative[-1] if len(negative) == 1 else NO_ANSWER


def _id_column(names: list[str], columns: dict[str, pa.Array], chosen: str | None, name: str) -> str | None:
    if chosen:
        if chosen not in columns:
            raise InputError(name, "the respondent id column named by --id-column", value=chosen)
        return chosen
    for candidate in ID_NAMES:
        for column in names:
            if column.lower() == candidate:
                return column
    return None


def _dichotomy(values: pa.Array, counted: str, no_answer: str) -> pa.Array:
    """An MR-set variable as a 0/1 option column: the counted value is ticked, any other answer is not."""
    kept = pc.or_(pc.equal(values, ""), pc.equal(values, no_answer))
    return pc.if_else(kept, values, pc.if_else(pc.equal(values, counted), "1", "0"))


def _negative_as_no_answer(values: pa.Array, no_answer: str) -> pa.Array:
    """Labelled negative codes (don't know, refused) are no-answer codes of the codebook."""
    return pc.if_else(pc.starts_with(values, "-"), no_answer, values)


def _split_labels(texts: list[str]) -> tuple[str, list[str]]:
    """Variable labels like 'Channels: app' and 'Channels: website' -> the question text and the option texts."""
    common = texts[0]
    for text in texts[1:]:
        while not text.startswith(common):
            common = common[:-1]
    cut = max((common.rfind(sep) for sep in LABEL_SEPARATORS), default=-1)
    if cut <= 0:
        return "", texts
    stem = common[: cut + 1]
    options = [text[len(stem) :].strip(LABEL_SEPARATORS) or text for text in texts]
    return stem.strip(LABEL_SEPARATORS), options


def _check_labels_cover(
    values: pa.Array, variable: str, codes: dict[float, str], meta: Any, no_answer: int, name: str
) -> None:
    """Every value of a labelled variable has a label (or is missing): else the codebook would lack that option."""
    known = {str(int(code)) for code in codes if code.is_integer()} | {"", str(no_answer)}
    unlabelled = [cell for cell in pc.unique(values).to_pylist() if cell not in known]
    if unlabelled:
        case = int(np.argmax(pc.is_in(values, pa.array(unlabelled, pa.string())).to_numpy(zero_copy_only=False))) + 1
        label_set = (meta.variable_to_label or {}).get(variable, variable)
        listed = ", ".join(f"{int(code)} {text}" for code, text in sorted(codes.items()) if code.is_integer())
        raise InputError(
            name,
            f"a value with a label in the value label set '{label_set}' ({listed})",
            row=case,
            row_label="case",
            column=variable,
            value=values[case - 1].as_py(),
            hint="Label the value in the file (SPSS: ADD VALUE LABELS; Stata: label define, add), or recode it",
        )
