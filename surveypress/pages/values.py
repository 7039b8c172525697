"""Looks up and formats single values of the indicator table, for page text and chart titles alike.

Takes: the indicator table (the `protect` stage's frame, or `datasets/indicators.csv` read back, where suppressed cells
hold `[c]`), and optionally the reconciliation table.
Gives: `Values`, whose methods return one figure formatted the way the site prints it in the current language
(`i18n.language`): `88.9%`, `84.0%–92.4%` (Chinese: a full-width tilde), `198`; and `jinja_environment`, a strict
Jinja2 environment with those methods as globals so that templates and chart titles
share one vocabulary: `pct`, `count`, `base`, `ci`, `flag`, `low`, `label`, `printed`.; and `Summaries`, the means and
medians of numeric questions (`mean`, `median`, `mean_ci`, `median_ci`, `answered`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jinja2

from surveypress import i18n
from surveypress.errors import InputError
from surveypress.languages import Label

SUPPRESSED = "[c]"
TOTAL = "total"


def _key(value: Any) -> str:
    """Codes arrive as int from templates and as str from CSV; compare them as text ('1', 'aware', 'total')."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() in ("", SUPPRESSED)
    try:
        return bool(math.isnan(value))
    except TypeError:
        return False


def _decimal(value: Any) -> Decimal:
    # Through str() so that 84.05 stays 84.05 instead of its binary approximation.
    return Decimal(str(value))


def format_percent(value: Any, decimals: int = 1) -> str:
    """84.05 -> '84.1%': rounded half away from zero, in the current language's percent format."""
    quantum = Decimal(1).scaleb(-decimals)
    return i18n.format_percent(_decimal(value).quantize(quantum, rounding=ROUND_HALF_UP), decimals)


def label_column(name: str, language: str | None, primary: str | None) -> str:
    """`category_label` for the primary language, `category_label_<tag>` (e.g. `_en`) for the others."""
    if language is None or primary is None or language == primary:
        return name
    return f"{name}_{i18n.column_suffix(language)}"


class Values:
    """Single figures of one indicator table, addressed by indicator, category, breakdown and group."""

    def __init__(
        self,
        table: Any,
        reconciliation: Any = None,
        source: str | Path = "indicator table",
        primary: str | None = None,
    ) -> None:
        self.source = str(source)
        # The table's plain label columns are in this language; others are in `<column>_<tag>` (see label_column).
        self.primary = primary
        self._rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self._categories: dict[str, list[str]] = {}
        self._groups: dict[str, list[tuple[str, str]]] = {}
        for record in _records(table):
            indicator = _key(record["indicator"])
            breakdown = _key(record.get("breakdown", TOTAL))
            group = _key(record.get("group", TOTAL))
            category = _key(record["category"])
            self._rows[(indicator, breakdown, group, category)] = record
            categories = self._categories.setdefault(indicator, [])
            if category not in categories:
                categories.append(category)
            groups = self._groups.setdefault(indicator, [])
            if (breakdown, group) not in groups:
                groups.append((breakdown, group))
        self._figures: dict[str, dict[str, Any]] = {}
        for record in _records(reconciliation) if reconciliation is not None else []:
            self._figures[_key(record["figure_id"])] = record

    # Lookup.

    @property
    def indicators(self) -> list[str]:
        return list(self._categories)

    def categories(self, indicator: str) -> list[str]:
        self._require_indicator(indicator)
        return list(self._categories[_key(indicator)])

    def has(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL) -> bool:
        return (_key(indicator), _key(breakdown), _key(group), _key(category)) in self._rows

    def row(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL) -> dict[str, Any]:
        """The table row as a dict; an unknown indicator, category, breakdown or group raises InputError."""
        self._require_indicator(indicator)
        key = (_key(indicator), _key(breakdown), _key(group), _key(category))
        found = self._rows.get(key)
        if found is not None:
            return found
        if (key[1], key[2]) not in self._groups[key[0]]:
            known = ", ".join(f"{b}={g}" for b, g in self._groups[key[0]])
            raise InputError(
                self.source,
                f"a breakdown group of indicator '{indicator}' (one of {known})",
                column="breakdown/group",
                value=f"{breakdown}={group}",
            )
        raise InputError(
            self.source,
            f"a category of indicator '{indicator}' (one of {', '.join(self._categories[key[0]])})",
            column="category",
            value=category,
        )

    def _require_indicator(self, indicator: str) -> None:
        if _key(indicator) not in self._categories:
            known = ", ".join(self._categories) or "none"
            raise InputError(
                self.source, f"an indicator in the table (one of {known})", column="indicator", value=indicator
            )

    # Formatted figures.

    def suppressed(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL) -> bool:
        record = self.row(indicator, category, breakdown, group)
        status = _key(record.get("suppression", "none"))
        return status not in ("none", "", "nan") or _is_missing(record.get("percent"))

    def weighted(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL) -> bool:
        """True when the row's percent is a weighted estimate (its population declares a design)."""
        record = self.row(indicator, category, breakdown, group)
        return "deff" in record and not (_is_missing(record["deff"]) and _is_missing(record.get("se")))

    def pct(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL, decimals: int = 1) -> str:
        """'88.9%'; '[c]' when the cell is suppressed. Unweighted: rounded from count/base, so no double rounding;
        weighted: the table's weighted percent."""
        record = self.row(indicator, category, breakdown, group)
        if self.suppressed(indicator, category, breakdown, group):
            return SUPPRESSED
        if self.weighted(indicator, category, breakdown, group):
            return format_percent(record["percent"], decimals)
        count, base = record.get("count"), record.get("base")
        if not _is_missing(count) and not _is_missing(base) and int(float(base)) > 0:
            exact = Decimal(int(float(count))) * 100 / Decimal(int(float(base)))
            return format_percent(exact, decimals)
        return format_percent(record["percent"], decimals)

    def percent(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL) -> float | None:
        """The unformatted percent (2 decimals as in the table), None when suppressed; for charts and sorting."""
        if self.suppressed(indicator, category, breakdown, group):
            return None
        return float(self.row(indicator, category, breakdown, group)["percent"])

    def count(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL) -> int | str:
        """Respondents choosing the category; '[c]' when suppressed."""
        record = self.row(indicator, category, breakdown, group)
        # The protect stage keeps suppressed counts numeric; the status column decides what is shown.
        if _is_missing(record.get("count")) or self.suppressed(indicator, category, breakdown, group):
            return SUPPRESSED
        return int(float(record["count"]))

    def base(self, indicator: str, breakdown: str = TOTAL, group: Any = TOTAL) -> int:
        """Respondents in the group inside the universe who answered: the `n` printed beside every percent."""
        self._require_indicator(indicator)
        first = self._categories[_key(indicator)][0]
        return int(float(self.row(indicator, first, breakdown, group)["base"]))

    def ci(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL, decimals: int = 1) -> str:
        """The 95% interval as '84.0%–92.4%' (the catalogue's range format; Wilson, or the design-based one for a
        weighted share); '[c]' when suppressed."""
        record = self.row(indicator, category, breakdown, group)
        if self.suppressed(indicator, category, breakdown, group):
            return SUPPRESSED
        if _is_missing(record.get("ci_low")) or _is_missing(record.get("ci_high")):
            return SUPPRESSED
        low = format_percent(record["ci_low"], decimals)
        high = format_percent(record["ci_high"], decimals)
        return i18n.format_interval(low, high)

    def flag(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL) -> str:
        """GSS shorthand for the cell: '[u]', '[c]', '[u] [c]' or ''."""
        record = self.row(indicator, category, breakdown, group)
        flags = record.get("flags")
        if _is_missing(flags) and not (isinstance(flags, str) and flags.strip() == SUPPRESSED):
            flags = ""
        text = str(flags).strip()
        if text:
            return text
        # Tables straight from `protect` may lack the column in tests; derive it from the status columns.
        derived = []
        if _key(record.get("reliability", "normal")) == "low":
            derived.append("[u]")
        if _key(record.get("suppression", "none")) not in ("none", "", "nan"):
            derived.append(SUPPRESSED)
        return " ".join(derived)

    def low(self, indicator: str, category: Any = None, breakdown: str = TOTAL, group: Any = TOTAL) -> bool:
        """True when the base is under the low-reliability threshold (the row's `reliability` is 'low')."""
        self._require_indicator(indicator)
        if category is None:
            category = self._categories[_key(indicator)][0]
        return _key(self.row(indicator, category, breakdown, group).get("reliability", "normal")) == "low"

    def _label_of(self, record: Mapping[str, Any], name: str) -> str:
        column = label_column(name, i18n.current(), self.primary)
        return str(record[column] if column in record else record[name])

    def label(self, indicator: str, category: Any, breakdown: str = TOTAL, group: Any = TOTAL) -> str:
        """The label of a category in the current language, as the table spells it."""
        return self._label_of(self.row(indicator, category, breakdown, group), "category_label")

    def group_label(self, indicator: str, breakdown: str, group: Any) -> str:
        """The label of a breakdown group in the current language, as the table spells it."""
        self._require_indicator(indicator)
        first = self._categories[_key(indicator)][0]
        return self._label_of(self.row(indicator, first, breakdown, group), "group_label")

    def printed(self, figure_id: str) -> str:
        """A figure exactly as the report printed it, from the reconciliation table."""
        record = self._figures.get(_key(figure_id))
        if record is None:
            known = "none loaded" if not self._figures else f"{len(self._figures)} figures"
            raise InputError("reconciliation table", f"a figure_id of a published figure ({known})", value=figure_id)
        return str(record["printed"])

    def status(self, figure_id: str) -> str:
        """Reconciliation status of a published figure: reproduced, not_reproducible or ambiguous_base."""
        self.printed(figure_id)
        return str(self._figures[_key(figure_id)]["status"])

    def functions(self) -> dict[str, Callable[..., Any]]:
        """The template vocabulary: name -> bound method."""
        return {
            "pct": self.pct,
            "count": self.count,
            "base": self.base,
            "ci": self.ci,
            "flag": self.flag,
            "low": self.low,
            "weighted": self.weighted,
            "label": self.label,
            "group_label": self.group_label,
            "printed": self.printed,
            "status": self.status,
        }


@dataclass(frozen=True)
class Range:
    """A 95% interval of a mean or median, as formatted text: `.low`, `.high`, or both joined."""

    low: str
    high: str

    def __str__(self) -> str:
        return i18n.format_interval(self.low, self.high)


class Summaries:
    """Means and medians of numeric questions (tabulate's summary table), formatted for a page."""

    STATISTICS = ("mean", "median")

    def __init__(self, table: Any = None, decimals: Mapping[str, int] | None = None, source: str = "summary table"):
        self.source = source
        self.decimals = dict(decimals or {})
        self._rows = {
            (_key(record["question"]), _key(record["statistic"])): record
            for record in (_records(table) if table is not None else [])
        }

    def _row(self, question: str, statistic: str) -> dict[str, Any]:
        found = self._rows.get((_key(question), statistic))
        if found is None:
            known = sorted({key for key, _ in self._rows}) or ["none"]
            raise InputError(
                self.source, f"a numeric question (one of {', '.join(known)})", column="question", value=question
            )
        return found

    def _format(self, question: str, value: Any, statistic: str, decimals: int | None) -> str:
        if _is_missing(value):
            return "[x]"  # GSS shorthand: not available (too few answers for an interval)
        shown = self.decimals.get(_key(question), 0) + 1 if decimals is None else decimals
        text = str(_decimal(value).quantize(Decimal(1).scaleb(-shown), rounding=ROUND_HALF_UP))
        # A median is an observed value (or the middle of two): drop the extra place when it is a zero.
        if statistic == "median" and decimals is None and text.endswith("0") and "." in text:
            text = text[:-1].rstrip(".")
        return text

    def mean(self, question: str, decimals: int | None = None) -> str:
        """The mean of a numeric question's answers, to one decimal more than its values have."""
        return self._format(question, self._row(question, "mean")["value"], "mean", decimals)

    def median(self, question: str, decimals: int | None = None) -> str:
        """The median of a numeric question's answers."""
        return self._format(question, self._row(question, "median")["value"], "median", decimals)

    def _range(self, question: str, statistic: str, decimals: int | None) -> Range:
        record = self._row(question, statistic)
        return Range(
            self._format(question, record["ci_low"], statistic, decimals),
            self._format(question, record["ci_high"], statistic, decimals),
        )

    def mean_ci(self, question: str, decimals: int | None = None) -> Range:
        """The mean's 95% t-interval."""
        return self._range(question, "mean", decimals)

    def median_ci(self, question: str, decimals: int | None = None) -> Range:
        """The median's 95% interval from order statistics (binomial)."""
        return self._range(question, "median", decimals)

    def answered(self, question: str) -> int:
        """How many respondents gave a value (the n of the mean and median)."""
        return int(float(self._row(question, "mean")["n"]))

    def functions(self) -> dict[str, Callable[..., Any]]:
        return {
            "mean": self.mean,
            "median": self.median,
            "mean_ci": self.mean_ci,
            "median_ci": self.median_ci,
            "answered": self.answered,
        }


def _records(table: Any) -> list[dict[str, Any]]:
    """Rows of a pandas frame, or of any iterable of mappings, as plain dicts."""
    if hasattr(table, "to_dict"):
        return [dict(record) for record in table.to_dict(orient="records")]
    return [dict(record) for record in table if isinstance(record, Mapping)]


def _describe_call(name: str, args: tuple, kwargs: dict) -> str:
    parts = [repr(arg) for arg in args] + [f"{key}={value!r}" for key, value in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _template_bound(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a lookup so that a bad reference names the template that made it, not just the table."""

    @jinja2.pass_context
    def call(context: jinja2.runtime.Context, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except InputError as error:
            template = context.environment.loader_path(context.name) if context.name else "(string template)"
            raise InputError(
                template,
                error.expected,
                column=_describe_call(name, args, kwargs),
                value=error.value,
                hint=f"Looked up in {error.file}",
            ) from None
        except TypeError as error:
            template = context.environment.loader_path(context.name) if context.name else "(string template)"
            raise InputError(
                template, f"a valid call of {name} ({error})", column=_describe_call(name, args, kwargs)
            ) from None

    call.__name__ = name
    call.__doc__ = function.__doc__
    call.__wrapped__ = function  # type: ignore[attr-defined]  # inspect.signature shows the lookup's parameters
    return call


class ContainedLoader(jinja2.FileSystemLoader):
    """Loads templates only from inside its folder: a symlink, include or import that leads out is not found."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        roots = [Path(folder).resolve() for folder in self.searchpath]
        if not any(Path(filename).resolve().is_relative_to(root) for root in roots):
            raise jinja2.TemplateNotFound(template)
        return source, filename, uptodate


class _Environment(jinja2.Environment):
    def loader_path(self, name: str) -> str:
        """A template name as a path a person can open."""
        search = getattr(self.loader, "searchpath", None)
        if search:
            return str(Path(search[0]) / name)
        return name


def jinja_environment(
    search_path: str | Path | None, values: Values | None, **extra_globals: Any
) -> jinja2.Environment:
    """A Jinja2 environment for Markdown pages and chart titles: undefined names fail, values are globals.

    `search_path` may be None for an environment that only renders strings (chart titles); `values` None for one
    that only compiles templates (the vocabulary is looked up when a template runs, not when it is compiled).
    Output is Markdown, so nothing is HTML-escaped here; HTML fragments escape their own text.
    """
    loader = ContainedLoader(str(search_path)) if search_path is not None else None
    environment = _Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name, function in (values.functions() if values is not None else {}).items():
        environment.globals[name] = _template_bound(name, function)
    environment.globals.update(extra_globals)
    environment.filters["t"] = translate_label
    return environment


def translate_label(label: Any) -> str:
    """`{{ question.text | t }}`: a label's text in the page's language (plain text passes through)."""
    if isinstance(label, Mapping):  # a label mapping straight from the content (meta.title, a changelog change)
        label = Label(texts={str(key): str(value) for key, value in label.items()})
    text = getattr(label, "text", None)
    return text(i18n.current()) if callable(text) else str(label)


def render_string(template: str, values: Values, name: str = "(string template)", **context: Any) -> str:
    """Renders one short template (a chart title) with the same vocabulary; errors name `name`."""
    environment = jinja_environment(None, values)
    try:
        compiled = environment.from_string(template)
    except jinja2.TemplateSyntaxError as error:
        raise InputError(name, f"a valid Jinja2 template ({error.message})", value=template) from None
    try:
        return compiled.render(**context)
    except InputError as error:
        raise InputError(name, error.expected, column=error.column, value=error.value, hint=error.hint) from None
    except jinja2.UndefinedError as error:
        raise InputError(name, f"only known names in the template ({error.message})", value=template) from None
