"""indicators.yml: which questions are tabulated, nets, breakdowns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surveypress.content.codebook import Codebook, Question, require_mapping
from surveypress.content.labels import Net, label_texts
from surveypress.content.names import ID_PATTERN, require_name, require_visible
from surveypress.content.yaml import line_of, read_yaml
from surveypress.errors import InputError
from surveypress.languages import DEFAULT_LANGUAGES, Label


@dataclass(frozen=True)
class Indicator:
    id: str
    question: str
    population: str
    title: Label
    nets: tuple[Net, ...]
    breakdowns: tuple[str, ...]


def load_indicators(path: Path, codebook: Codebook, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> list[Indicator]:
    """Reads indicators.yml; every indicator must name a known question, codes and breakdowns."""
    document = require_mapping(read_yaml(path), path, "(top level)")
    defaults = require_mapping(document.get("breakdowns") or {}, path, "breakdowns", line_of(document, "breakdowns"))
    lines: dict[str, int | None] = {}
    entries = document.get("indicators")
    if not isinstance(entries, list) or not entries:
        raise InputError(
            path, "a non-empty list of indicators", row=line_of(document, "indicators"), column="indicators"
        )
    return [
        _indicator(entry, index, path, codebook, defaults, lines, languages) for index, entry in enumerate(entries, 1)
    ]


def _indicator(
    entry: Any,
    index: int,
    path: Path,
    codebook: Codebook,
    defaults: dict,
    lines: dict[str, int | None],
    languages: tuple[str, ...],
) -> Indicator:
    """One entry of `indicators`; `lines` gets the row of its id (and holds those of the ones before)."""
    entry = require_mapping(entry, path, f"indicators[{index}]")
    row = line_of(entry)
    iid = entry.get("id")
    require_name(
        iid, path, "a lower_snake_case indicator id", row=row, column=f"indicators[{index}].id", shape=ID_PATTERN
    )
    where = f"indicator {iid}"
    if iid in lines:
        raise InputError(
            path,
            "indicator ids to be unique",
            row=row,
            column=f"{where}.id",
            value=iid,
            hint=f"The id is already used by the indicator on row {lines[iid]}",
        )
    lines[iid] = row
    question = codebook.questions.get(entry.get("question", iid))
    if question is None:
        raise InputError(
            path,
            "the id of a question in the codebook",
            row=line_of(entry, "question"),
            column=f"{where}.question",
            value=entry.get("question", iid),
        )
    nets = _nets(entry, question, path, where, languages)
    breakdowns = entry.get("breakdowns", defaults.get(question.population, []))
    for breakdown in breakdowns or []:
        target = codebook.questions.get(breakdown)
        if target is None or target.population != question.population or target.type == "multi":
            raise InputError(
                path,
                f"a single-choice question of population '{question.population}'",
                row=line_of(entry, "breakdowns") if "breakdowns" in entry else line_of(defaults, question.population),
                column=f"{where}.breakdowns",
                value=breakdown,
            )
    return Indicator(
        id=iid,
        question=question.id,
        population=question.population,
        title=Label(texts=label_texts(entry.get("title"), path, f"{where}.title", row, languages)),
        nets=nets,
        breakdowns=tuple(breakdowns or ()),
    )


def _nets(entry: dict, question: Question, path: Path, where: str, languages: tuple[str, ...]) -> tuple[Net, ...]:
    nets: list[Net] = []
    for net in entry.get("nets") or []:
        net = require_mapping(net, path, f"{where}.nets", line_of(entry, "nets"))
        codes = tuple(net.get("codes") or ())
        unknown = [code for code in codes if code not in question.codes]
        if not codes or unknown:
            raise InputError(
                path,
                f"codes of question {question.id} {list(question.codes)}",
                row=line_of(net),
                column=f"{where}.nets",
                value=unknown or net.get("codes"),
            )
        if not str(net.get("code") or "").strip():
            raise InputError(path, "a net code", row=line_of(net), column=f"{where}.nets", value=net.get("code"))
        require_visible(str(net.get("code")), path, "a net code", line_of(net, "code"), f"{where}.nets")
        nets.append(
            Net(str(net.get("code")), codes=codes, texts=label_texts(net, path, f"{where}.nets", None, languages))
        )
    return tuple(nets)
