"""What the engines count: the plan of the tabulate stage, below both tabulate.py and the engines.

Takes: a `Publication`. Gives: per population, one `Task` per indicator (its question, universe chain, categories
and breakdowns), and the shapes of what an engine hands back (`Counts`, `Sums`). The engines and tabulate.py import
this module; it imports neither, so the stage and its engines form no import circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from surveypress.content import Codebook, Indicator, Label, Publication, Question, Universe

if TYPE_CHECKING:
    from surveypress.stats.design import DomainSums

TOTAL = "total"


@dataclass(frozen=True)
class Category:
    """One reported category: an option, or a net counting respondents who chose any of `codes`."""

    code: str
    label: Label
    codes: tuple[int, ...]


@dataclass(frozen=True)
class Task:
    """What an engine counts for one indicator: its question, universe chain, categories and breakdowns."""

    indicator: Indicator
    question: Question
    universe: tuple[Universe, ...]
    categories: tuple[Category, ...]
    breakdowns: tuple[Question, ...]


# An engine returns, per task and breakdown id (`TOTAL` included), {group code or None: (base, counts per category)}.
Counts = dict[str, dict[int | None, tuple[int, tuple[int, ...]]]]
# With a design, also per task and breakdown id: {group code or None: weighted sums per stratum (design.DomainSums)}.
Sums = dict[str, dict[int | None, "DomainSums"]]


def universe_chain(codebook: Codebook, question: Question) -> tuple[Universe, ...]:
    """Every condition a respondent must meet to be asked `question`, nearest first (the codebook rejects cycles)."""
    chain = []
    current = question
    while current.universe is not None:
        chain.append(current.universe)
        current = codebook.questions[current.universe.question]
    return tuple(chain)


def plan(pub: Publication) -> dict[str, list[Task]]:
    """Tasks per population, in indicator order."""
    codebook = pub.codebook
    tasks: dict[str, list[Task]] = {}
    for indicator in pub.indicators:
        question = codebook.questions[indicator.question]
        categories = [Category(str(option.code), option, (option.code,)) for option in question.options]
        categories += [Category(net.code, net, tuple(net.codes)) for net in indicator.nets]
        tasks.setdefault(indicator.population, []).append(
            Task(
                indicator=indicator,
                question=question,
                universe=universe_chain(codebook, question),
                categories=tuple(categories),
                breakdowns=tuple(codebook.questions[b] for b in indicator.breakdowns),
            )
        )
    return tasks
