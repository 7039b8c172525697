"""The Table Schemas (Frictionless) of the tables a build writes: the indicator tables, the printed figures, the
reconciliation, the disclosure report and the numeric summaries; their fields' titles and descriptions in the
current language (package.py builds the descriptor once per language), a label column with a twin per language.
"""

from __future__ import annotations

from typing import Any

from surveypress import i18n
from surveypress.content import Publication
from surveypress.i18n import _


def table_missing() -> list[dict[str, str]]:
    """Blank is the one missing value: numeric columns hold only numbers, so every reader loads them as numbers; a
    hidden number's reason is in its row's `suppression` and `flags` columns."""
    return [
        {
            "value": "",
            "label": _(
                "blank: not applicable (no flag, no note), or a number hidden to protect confidentiality (the row's "
                "suppression column is not none and its flags hold [c])"
            ),
        },
    ]


def schema_field(name: str, type_: str, title: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": title, "description": description, **extra}


def choice_field(name: str, title: str, description: str, values: list[str]) -> dict[str, Any]:
    """A text column that every row fills with one of `values`."""
    return schema_field(name, "string", title, description, constraints={"required": True, "enum": values})


def percent_field(name: str, title: str, description: str) -> dict[str, Any]:
    """A column of percentages (0 to 100); a title may name the interval's `{level}`."""
    return schema_field(
        name, "number", title.format(level="95%"), description, constraints={"minimum": 0, "maximum": 100}
    )


def label_fields(pub: Publication, name: str, title: str, description: str) -> list[dict[str, Any]]:
    """A label column and its `<name>_<tag>` twins, one per non-primary language (tabulate.table_columns)."""
    fields = [schema_field(name, "string", title, description.format(language=language_name(pub.primary)))]
    for tag in pub.languages[1:]:
        fields.append(
            schema_field(
                f"{name}_{i18n.column_suffix(tag)}", "string", title, description.format(language=language_name(tag))
            )
        )
    return fields


def language_name(tag: str) -> str:
    """A language's name in the current language ('Chinese', 'English'), from Babel's locale data."""
    try:
        return i18n.babel_locale(tag).get_display_name(i18n.babel_locale(i18n.current())) or tag
    except Exception:
        return tag


def indicator_schema(pub: Publication, indicator_id: str | None) -> dict[str, Any]:
    """The schema of one indicator's table, or (None) of the all-indicators table."""
    ids = [indicator_id] if indicator_id else [indicator.id for indicator in pub.indicators]
    populations = sorted({pub.indicator(one).population for one in ids})
    fields = [*_key_fields(pub, ids, populations), *_value_fields(pub, populations)]
    if any_designed(pub):
        _add_design(fields)
    return {
        "fields": fields,
        "missingValues": table_missing(),
        "primaryKey": ["indicator", "breakdown", "group", "category"],
    }


def _key_fields(pub: Publication, ids: list[str], populations: list[str]) -> list[dict[str, Any]]:
    """The columns that say which cell a row is: indicator, population, breakdown, group, category, labels."""
    return [
        schema_field(
            "indicator", "string", _("Indicator"), _("Indicator id, see indicators.yml"), constraints={"enum": ids}
        ),
        schema_field("population", "string", _("Population"), _("Population id"), constraints={"enum": populations}),
        schema_field(
            "breakdown", "string", _("Breakdown"), _("total for the whole population, else the breakdown question")
        ),
        schema_field(
            "group", "string", _("Group"), _("total for the whole population, else the breakdown option's code")
        ),
        *label_fields(pub, "group_label", _("Group label"), _("The group's label in {language}")),
        schema_field("category", "string", _("Category"), _("Option code or net code")),
        *label_fields(pub, "category_label", _("Category label"), _("The category's label in {language}")),
    ]


def _value_fields(pub: Publication, populations: list[str]) -> list[dict[str, Any]]:
    """The columns of a cell's figures: count, base, percent and interval, reliability, suppression, flags."""
    return [
        schema_field(
            "count",
            "integer",
            _("Count"),
            _("Respondents in the group choosing the category (unweighted); blank when suppressed (flag [c])"),
            constraints={"minimum": 0},
        ),
        schema_field(
            "base",
            "integer",
            _("Base"),
            _("Respondents in the group who were asked and answered (unweighted)"),
            constraints={"minimum": 0},
        ),
        percent_field(
            "percent",
            # A table of weighted populations only says so in its header (the workbook's too).
            _("Percent (weighted)") if all(designed(pub, population) for population in populations) else _("Percent"),
            _("count ÷ base × 100, two decimals; the options of a multiple-choice question can add up past 100"),
        ),
        percent_field("ci_low", _("{level} interval, lower bound"), _("Wilson score interval, in percent")),
        percent_field("ci_high", _("{level} interval, upper bound"), _("Wilson score interval, in percent")),
        choice_field(
            "reliability",
            _("Reliability"),
            _("low (flag [u]) when the base is under {low_base}, else normal").format(low_base=pub.disclosure.low_base),
            ["normal", "low"],
        ),
        choice_field(
            "suppression",
            _("Suppression"),
            _(
                "none; primary: a cross-tabulation cell under {min_cell}; secondary: hidden too so that it cannot be "
                "worked out from the totals"
            ).format(min_cell=pub.disclosure.min_cell),
            ["none", "primary", "secondary"],
        ),
        schema_field("flags", "string", _("Flags"), _("[u] low reliability, [c] suppressed, separated by spaces")),
    ]


def _add_design(fields: list[dict[str, Any]]) -> None:
    """The indicator table of a publication with a declared design: the design's columns after the interval, and
    percent and interval described as weighted and design-based where a population declares one."""
    fields[fields.index(next(f for f in fields if f["name"] == "ci_high")) + 1 : 0] = design_fields()
    interval = _("With a declared design: the logit interval on the linearised standard error (t); else: {otherwise}")
    weighted = {
        "percent": _("With a declared design: the weighted percent, sum(w*y) / sum(w) * 100; else: {otherwise}"),
        "ci_low": interval,
        "ci_high": interval,
    }
    for field in fields:
        if field["name"] in weighted:
            field["description"] = weighted[field["name"]].format(otherwise=field["description"])


def any_designed(pub: Publication) -> bool:
    """Whether some population declares a sample design: its percents and intervals are weighted, design-based."""
    return any(designed(pub, population) for population in pub.codebook.populations)


def designed(pub: Publication, population: str) -> bool:
    return pub.codebook.populations[population].design is not None


def design_fields() -> list[dict[str, Any]]:
    """The weighted table's extra columns; with a design, percent and interval are weighted and design-based."""
    return [
        schema_field(
            "se",
            "number",
            _("Standard error"),
            _("Of the weighted percent (Taylor), in points; empty for a population without a declared design"),
            constraints={"minimum": 0},
        ),
        schema_field(
            "deff",
            "number",
            _("Design effect"),
            _(
                "Design variance / variance of a simple random sample of the same n; empty for a population without "
                "a declared design"
            ),
            constraints={"minimum": 0},
        ),
        schema_field(
            "n_eff",
            "number",
            _("Effective sample size"),
            _("Base / design effect; empty for a population without a declared design"),
            constraints={"minimum": 0},
        ),
    ]


def published_figures_schema(pub: Publication, header: list[str] | None = None) -> dict[str, Any]:
    fields = [
        schema_field(
            "figure_id", "string", _("Figure id"), _("The figure's id in this table"), constraints={"required": True}
        ),
        schema_field("section", "string", _("Report section"), _("Where in the report the figure appears")),
        schema_field("population", "string", _("Population"), _("Population id; several joined with + for a total")),
        schema_field("measure", "string", _("Measure"), _("What the figure measures")),
        schema_field("printed", "string", _("As printed"), _("Exactly as the report prints it")),
        schema_field("value", "number", _("Value"), _("The number in it"), constraints={"required": True}),
        choice_field(
            "unit",
            _("Unit"),
            _("percent; count: respondents; base: the base of the indicator"),
            ["percent", "count", "base"],
        ),
        choice_field(
            "comparison",
            _("Comparison"),
            _('equal; at_least: no less than (e.g. "over 70%"); about: roughly (e.g. "about 90%")'),
            ["equal", "at_least", "about"],
        ),
        schema_field(
            "indicator", "string", _("Indicator"), _("The indicator id; several joined with + add their bases")
        ),
        schema_field("category", "string", _("Category"), _("The option or net code")),
        schema_field("note", "string", _("Note"), _("Why the figure cannot be reproduced (written by hand)")),
    ]
    # Translations of the text columns into the other languages (section_en, measure_en, note_en), when the content
    # has them: each described as the column it translates.
    by_name = {field["name"]: field for field in fields}
    for column in (header or [])[len(fields) :]:
        source = by_name[column.split("_", 1)[0]]
        fields.append(schema_field(column, "string", source["title"], source["description"]))
    return {"fields": fields, "missingValues": [""], "primaryKey": ["figure_id"]}


def reconciliation_schema(pub: Publication) -> dict[str, Any]:
    fields = [
        schema_field(
            "figure_id",
            "string",
            _("Figure id"),
            _("As in the table of printed figures"),
            constraints={"required": True},
        ),
        schema_field("section", "string", _("Report section"), _("Where in the report the figure appears")),
        schema_field("population", "string", _("Population"), _("Population id(s)")),
        schema_field("measure", "string", _("Measure"), _("What the figure measures")),
        schema_field("printed", "string", _("As printed"), _("Exactly as the report prints it")),
        schema_field("published", "number", _("Printed value"), _("The value in the report")),
        schema_field("recomputed", "number", _("Recomputed"), _("The value recomputed from the microdata")),
        schema_field("count", "integer", _("Count"), _("The count used")),
        schema_field("base", "integer", _("Base"), _("The base used")),
        schema_field("difference", "number", _("Difference"), _("Recomputed minus printed")),
        choice_field(
            "status",
            _("Check result"),
            _(
                "reproduced; ambiguous_base: only fits other bases; not_reproducible: no whole count of "
                "respondents gives it"
            ),
            ["reproduced", "ambiguous_base", "not_reproducible"],
        ),
        schema_field(
            "candidates", "string", _("Possible bases"), _("Bases that give the printed value, comma-separated")
        ),
        schema_field(
            "candidate_count",
            "integer",
            _("Bases that fit"),
            _("How many bases up to the population size give the printed value; candidates lists the smallest ten"),
        ),
        *label_fields(pub, "reason", _("Reason"), _("Why the result is what it is, in {language}")),
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["figure_id"]}


def disclosure_schema() -> dict[str, Any]:
    fields = [
        schema_field("file", "string", _("File"), _("A published microdata file"), constraints={"required": True}),
        schema_field(
            "quasi_identifiers",
            "string",
            _("Quasi-identifiers"),
            _("Questions that could help identify a person, separated by spaces"),
        ),
        schema_field("records", "integer", _("Records"), _("Records in the file"), constraints={"minimum": 0}),
        schema_field(
            "k", "integer", _("Smallest group k"), _("Records in the smallest group over the quasi-identifiers")
        ),
        schema_field("sample_uniques", "integer", _("Sample uniques"), _("Records unique over the quasi-identifiers")),
        schema_field("min_k", "integer", _("Minimum k"), _("The smallest k the release allows")),
        choice_field(
            "status",
            _("Result"),
            _("ok: k is at least the minimum; fail: under it"),
            ["ok", "fail"],
        ),
        schema_field(
            "smallest_combination", "string", _("Smallest combination"), _("The combination with fewest records")
        ),
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["file"]}


def summaries_schema() -> dict[str, Any]:
    """The summary table's columns (tabulate.SUMMARY_COLUMNS)."""
    fields = [
        schema_field("question", "string", _("Question"), _("Id of the numeric question in the codebook")),
        schema_field("population", "string", _("Population"), _("Population the question was asked of")),
        schema_field(
            "statistic", "string", _("Statistic"), _("mean or median"), constraints={"enum": ["mean", "median"]}
        ),
        schema_field("value", "number", _("Value"), _("The statistic, in the question's unit")),
        schema_field(
            "ci_low",
            "number",
            _("Interval, lower end"),
            _("Lower end of the 95 percent interval (empty if n is too small)"),
        ),
        schema_field(
            "ci_high",
            "number",
            _("Interval, upper end"),
            _("Upper end of the 95 percent interval (empty if n is too small)"),
        ),
        schema_field(
            "n", "integer", _("Answers"), _("Respondents who gave a value (not asked and no answer excluded)")
        ),
        schema_field("unit", "string", _("Unit"), _("The unit of the raw values")),
        schema_field("interval", "string", _("Interval method"), _("t, or binomial order statistics")),
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["question", "statistic"]}
