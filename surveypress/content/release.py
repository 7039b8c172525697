"""The release policy against the suppression rules: what a released file lets a reader count back."""

from __future__ import annotations

from surveypress import formats
from surveypress.content.codebook import Question
from surveypress.content.indicators import Indicator
from surveypress.content.publication import Publication
from surveypress.errors import InputError

# (protect.check_recount).


def recount_needs(pub: Publication, indicator: Indicator, breakdown_id: str, group: int, category: str) -> list | None:
    """None when the released file of the indicator's population cannot give cell (group, category) of its
    cross-tabulation by `breakdown_id` (nothing released, or a column it needs left out); else the other cells
    [(group, category)] a reader needs shown to count it by difference: none when the file counts it directly (the
    group and the category's codes released as themselves)."""
    file = pub.released_file(indicator.population)
    if file is None:
        return None
    question = pub.codebook.questions[indicator.question]
    breakdown = pub.codebook.questions[breakdown_id]
    codes = next((net.codes for net in indicator.nets if net.code == category), None) or (int(category),)
    recodes = pub.release.of(indicator.population)
    held = [c for c in pub.codebook.columns_of(indicator.population) if not recodes or c not in recodes.drop]
    if not all(column in held for column in recount_columns(question, breakdown, codes)):
        return None
    group_classes = (recodes.classes(breakdown) if recodes else None) or {code: code for code in breakdown.codes}
    others_in_group = [g for g in breakdown.codes if group_classes[g] == group_classes[group] and g != group]
    extra_codes: list[int] = []
    if question.type != "multi":
        answer_classes = (recodes.classes(question) if recodes else None) or {c: c for c in question.codes}
        touched = {answer_classes[c] for c in codes}
        extra_codes = [c for c in question.codes if answer_classes[c] in touched and c not in codes]
    known = [(str(g), category) for g in others_in_group]
    known += [(str(g), str(c)) for g in (group, *others_in_group) for c in extra_codes]
    return known


def recount_columns(question: Question, breakdown: Question, codes: tuple[int, ...]) -> list[str]:
    """The columns a reader needs to count a cross-tabulation cell: the breakdown's and the category's."""
    answers = [f"{question.id}_{c}" for c in codes] if question.type == "multi" else [question.id]
    return [breakdown.id, *answers]


def recount_error(pub: Publication, indicator: Indicator, breakdown_id: str, group: str, category: str, hidden: bool):
    """The InputError for a cell the released file lets a reader count back (`hidden`: protect did hide it)."""
    question = pub.codebook.questions[indicator.question]
    codes = next((net.codes for net in indicator.nets if net.code == category), None) or (int(category),)
    cell = f"indicator {indicator.id}, breakdown {breakdown_id}, group {group}, category {category}"
    expected = (
        "no suppressed table cell that the released microdata can count back"
        if hidden
        else f"no cross-tabulation cell that the released microdata counts directly while cells under "
        f"disclosure.min_cell ({pub.disclosure.min_cell}) are suppressed"
    )
    return InputError(
        pub.released_file(indicator.population),
        expected,
        column=", ".join(recount_columns(question, pub.codebook.questions[breakdown_id], codes)),
        value=f"{cell} [c]" if hidden else cell,
        hint=f"Drop or coarsen {breakdown_id} in publication.yml public_use.{indicator.population}, or release: none",
    )


def check_release(pub: Publication) -> None:
    """Refuses, before any work, a release policy that contradicts the suppression rules: a released file that
    counts a cross-tabulation cell directly would give back any such cell that protect hides for being small, and
    which cells are small only the data says (every wave anew). Cells counted by difference are judged after
    protect, on the cells it hid (protect.check_recount)."""
    refuse_unchecked_full_release(pub)
    if pub.release.policy == "none" or pub.disclosure.min_cell <= 1:
        return
    for indicator in pub.indicators:
        question = pub.codebook.questions[indicator.question]
        categories = [str(code) for code in question.codes] + [net.code for net in indicator.nets]
        for breakdown_id in indicator.breakdowns:
            for group in pub.codebook.questions[breakdown_id].codes:
                for category in categories:
                    if recount_needs(pub, indicator, breakdown_id, group, category) == []:
                        raise recount_error(pub, indicator, breakdown_id, str(group), category, hidden=False)


def refuse_unchecked_full_release(pub: Publication) -> None:
    """Under `release: full` the microdata file is published as it is, so it must be one whose cells the load stage
    can check for formulas: a legacy .xls, which no installed library reads formulas from, is refused before any
    work, and so is a workbook with a formula in any sheet (not only the one the build reads) or with macros."""
    if pub.release.policy != "full":
        return
    for population in pub.codebook.populations.values():
        form = formats.of(population.microdata)
        if form is not None and not form.formulas_checked:  # a legacy .xls is binary BIFF (formats/workbook.py)
            checked = formats.extensions(lambda item: item.build and item.formulas_checked)
            raise InputError(
                pub.content_dir / "publication.yml",
                f"a microdata file released in full whose cells can be checked for formulas ({', '.join(checked)})",
                column=f"microdata.{population.id}",
                value=population.microdata.name,
                hint="A file released in full is published as it is; save the sheet as .xlsx, or release it public-use",
            )
        if form is not None and form.released_whole is not None and population.microdata.is_file():
            # Every sheet and part, not only the sheet the build reads (load refuses a formula there on any policy).
            form.released_whole(population.microdata, pub.released_file(population.id) or population.microdata.name)
