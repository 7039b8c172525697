"""The kinds of chart by name (`kind:` in charts.yml): the one place a kind's name leads to its module. Adding a kind
is a module in kinds/ implementing `kind.ChartKind`, its line below, and nothing else (the content schema and
REFERENCE.md take the names and descriptions from here)."""

from __future__ import annotations

from surveypress.charts.kind import ChartKind
from surveypress.charts.kinds import bars, breakdown, compare

DEFAULT = bars.Bars.name
# In the order REFERENCE.md lists them.
KINDS: dict[str, ChartKind] = {kind.name: kind for kind in (bars.Bars(), compare.Compare(), breakdown.Breakdown())}
NAMES = tuple(KINDS)


def kind_of(name: str) -> ChartKind:
    """The kind called `name` (a name charts.yml was checked against: `declare.load_chart_specs`)."""
    return KINDS[name]


def descriptions() -> dict[str, str]:
    """Each kind's name and what it draws, for REFERENCE.md."""
    return {name: kind.description for name, kind in KINDS.items()}
