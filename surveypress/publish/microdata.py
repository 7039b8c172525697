"""The Table Schema (Frictionless) of released microdata, from the codebook: the id, the design columns, a field
per question (categories, enum, universe, a numeric question's range and bands; a multiple-choice question's 0/1
column per option), a public-use file's recodes; its header checked against the file's.
"""

from __future__ import annotations

from typing import Any

from surveypress import i18n
from surveypress.content import Publication, Question
from surveypress.errors import InputError
from surveypress.i18n import N_, _
from surveypress.publish.table_schemas import schema_field


def microdata_schema(pub: Publication, population: str, header: list[str], relative: str) -> dict[str, Any]:
    codebook = pub.codebook
    fields = [
        schema_field(
            "respondent_id",
            "string",
            _("Respondent id"),
            _("An opaque random id that holds no personal information"),
            constraints={"required": True, "unique": True},
        )
    ]
    design = codebook.populations[population].design
    if design is not None:
        for column, type_, title, description in (
            (design.weight, "number", N_("Weight"), N_("Sample design: weight")),
            (design.strata, "string", N_("Stratum"), N_("Sample design: stratum")),
            (design.cluster, "string", N_("Cluster (PSU)"), N_("Sample design: cluster (PSU)")),
            (
                design.fpc if isinstance(design.fpc, str) else None,
                "number",
                N_("PSUs in the stratum's population"),
                N_("Sample design: PSUs in the stratum's population"),
            ),
        ):
            if column:
                fields.append(schema_field(column, type_, _(title), _(description)))
    for question in codebook.questions_of(population):
        fields.extend(_question_fields(pub, question))
    recodes = pub.release.of(population)
    if recodes is not None:
        fields = [field for field in fields if field["name"] not in recodes.drop]
        for field in fields:
            question = codebook.questions.get(field["name"])
            classes = recodes.classes(question) if question is not None and question.type != "multi" else None
            if classes and any(code != released for code, released in classes.items()):
                # A coarsened or top-coded column: each released code stands for the options released as it.
                labels: dict[int, list[str]] = {}
                for option in question.options:
                    labels.setdefault(classes[option.code], []).append(option.text(i18n.current()))
                field["categories"] = [{"value": code, "label": " / ".join(names)} for code, names in labels.items()]
                field["description"] += _(" / public-use: {codes}").format(
                    codes="; ".join(
                        f"{code} = {'+'.join(str(c) for c, r in classes.items() if r == code)}" for code in labels
                    )
                )
    expected = [field["name"] for field in fields]
    if header != expected:
        raise InputError(relative, f"the header {','.join(expected)}", row=1, value=",".join(header))
    return {
        "fields": fields,
        "missingValues": [
            {"value": "", "label": _("not asked (outside the question's universe)")},
            {"value": str(codebook.no_answer), "label": _("asked, no answer")},
        ],
        "primaryKey": ["respondent_id"],
    }


def _universe_text(pub: Publication, question: Question) -> str:
    if question.universe is None:
        return _("Asked of: every respondent.")
    language = i18n.current()
    target = pub.codebook.questions[question.universe.question]
    labels = _(", ").join(target.option(code).text(language) for code in question.universe.codes)
    if target.type == "multi":
        message = _('Asked of: respondents who ticked any of "{labels}" at {question} ({text}).')
    else:
        message = _('Asked of: respondents who answered "{labels}" to {question} ({text}).')
    return message.format(labels=labels, question=target.id, text=target.text.text(language))


def _numeric_field(pub: Publication, question: Question) -> dict[str, Any]:
    """A numeric question's raw value: a number in its declared range, and the bands the tables count it in."""
    rule = question.numeric
    bands = "; ".join(
        f"{band.code} = [{band.low}, {band.below if band.below is not None else str(rule.maximum) + ']'}"
        + (")" if band.below is not None else "")
        + f" {question.option(band.code).text(i18n.current())}"
        for band in rule.bands
    )
    about = _(
        "Numeric ({unit}), {minimum} to {maximum}, at most {decimals} decimals. {universe} {text}. "
        "Tabulated in bands: {bands}"
    ).format(
        unit=rule.unit.text(i18n.current()),
        minimum=rule.minimum,
        maximum=rule.maximum,
        decimals=rule.decimals,
        universe=_universe_text(pub, question),
        text=question.text.text(i18n.current()),
        bands=bands,
    )
    constraints = {"minimum": float(rule.minimum), "maximum": float(rule.maximum)}
    if question.whole_numbers:
        return schema_field(
            question.id,
            "integer",
            question.text.text(i18n.current()),
            about,
            constraints={k: int(v) for k, v in constraints.items()},
        )
    return schema_field(question.id, "number", question.text.text(i18n.current()), about, constraints=constraints)


def _question_fields(pub: Publication, question: Question) -> list[dict[str, Any]]:
    if question.numeric is not None:
        return [_numeric_field(pub, question)]
    language = i18n.current()
    kind = {
        "single": _("Single choice."),
        "scale": _("Scale (options in order)."),
        "multi": _("Multiple choice."),
    }[question.type]
    about = _("{kind} {universe}").format(kind=kind, universe=_universe_text(pub, question))
    text = question.text.text(language)
    if question.type != "multi":
        extra: dict[str, Any] = {
            "categories": [{"value": option.code, "label": option.text(language)} for option in question.options],
            "constraints": {"enum": list(question.codes)},
        }
        if question.type == "scale":
            extra["categoriesOrdered"] = True
        return [schema_field(question.id, "integer", text, about, **extra)]
    return [
        schema_field(
            f"{question.id}_{option.code}",
            "integer",
            _("{question}: {option}").format(question=text, option=option.text(language)),
            _("{about} 1 = ticked, 0 = not ticked.").format(about=about),
            categories=[{"value": 0, "label": _("not ticked")}, {"value": 1, "label": _("ticked")}],
            constraints={"enum": [0, 1]},
        )
        for option in question.options
    ]
