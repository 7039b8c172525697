"""`surveypress init`: drafts a complete content folder from a labelled SPSS or Stata file (draft/labelled.py), an
XLSForm (here), or a data file without value labels (CSV, TSV, Parquet, SAS transport, a workbook's data sheet:
draft/data.py); the file's format says which (`formats.Format.drafts`), and init dispatches.

Takes: a `.sav`/`.zsav`/`.dta` file with variable and value labels, or an XLSForm workbook (`survey` and `choices`
sheets, optionally `settings`), and where to write (the content folder, default `publication/`).
Gives: `publication.yml` (every required key, TODO where only a person knows the answer), `codebook.yml`,
`indicators.yml` (one indicator per categorical question), `charts.yml` (one chart each), `changelog.yml`, an empty
`published_figures.csv`, and for SPSS/Stata the microdata converted to the codebook's CSV layout under
`datasets/microdata/`; with them, from draft/project.py, the page templates of every declared language (front page, a
page per question group showing every chart under a "draft" banner, methods, downloads, changelog, cite), the
project's `mkdocs.yml` and `.gitignore`. A file that already exists is never written over: init reports how it
differs (mkdocs.yml and .gitignore, the project's own, are kept without a report).

From an XLSForm: `select_one` and `select_multiple` questions, groups as pages, `label::<language>` columns as the
languages, and universes from `relevant` (`${q} = 'x'`, `selected(${q}, 'x')`, several joined by `or`).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from surveypress import formats, i18n, layout
from surveypress.draft import project as init_project
from surveypress.draft import write as init_write
from surveypress.draft.labelled import draft_from_statistical
from surveypress.draft.model import (  # the draft itself, shared with data.py, labelled.py and universe.py
    Draft,
    Names,
    Option,
    Question,
    _choose_charts,
    identifier,
    in_languages,
    language_of,
    short_name,
)
from surveypress.draft.project import jinja_text, say
from surveypress.draft.universe import no_answer_columns
from surveypress.errors import InputError
from surveypress.i18n import N_, _
from surveypress.languages import SOURCE_LANGUAGE

CONTENT = "publication"
# XLSForm relevant expressions init can turn into a universe (a question and the answers that lead to it).
EQUALS = re.compile(r"^\$\{(?P<question>[A-Za-z_][\w.-]*)\}\s*=\s*(?:'(?P<q1>[^']*)'|\"(?P<q2>[^\"]*)\"|(?P<n>-?\d+))$")
SELECTED = re.compile(
    r"^selected\(\s*\$\{(?P<question>[A-Za-z_][\w.-]*)\}\s*,\s*(?:'(?P<q1>[^']*)'|\"(?P<q2>[^\"]*)\")\s*\)$"
)
SOURCES = N_(
    "a labelled {labelled} file, an XLSForm workbook (sheets survey and choices), or a data file ({data}, or a"
    " workbook {workbooks})"
)
SUPPORTED_RELEVANT = "${q} = 'x', selected(${q}, 'x'), or several of these about the same question joined by 'or'"


def sources() -> str:
    """What init reads, from the registry of formats (formats/): labelled files, XLSForms, data files."""
    return _(SOURCES).format(
        labelled=formats.listed(formats.extensions(lambda item: item.labels is not None)),
        data=", ".join(formats.extensions(lambda item: item.stream is not None and not (item.labels or item.sheets))),
        workbooks=", ".join(formats.extensions(lambda item: item.sheets)),
    )


# ---------------------------------------------------------------------------------------------------------------
# XLSForm.


def draft_from_xlsform(
    path: Path, name: str, population: str | None, languages: list[str] | None, form: formats.Format
) -> Draft:
    assert form.form is not None
    questionnaire = form.form(path, name)
    survey, choices, settings = questionnaire.survey, questionnaire.choices, questionnaire.settings
    label_keys = questionnaire.label_keys
    all_texts = [row.get(key, "") for row in survey + choices for key in label_keys]
    default_language = language_of(all_texts)
    form_languages = list(dict.fromkeys(tag or default_language for tag in label_keys.values()))
    languages = languages or form_languages or [default_language]

    def labels(row: dict[str, str], fallback: str) -> dict[str, str]:
        texts = {(tag or default_language): row.get(key, "") for key, tag in label_keys.items() if row.get(key)}
        first = next(iter(texts.values()), fallback)
        return {tag: texts.get(tag) or f"{say('todo', tag)}: {first}" for tag in languages}

    lists: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for row in choices:
        lists.setdefault(row.get("list_name") or row.get("list name", ""), []).append(
            (row.get("name", ""), labels(row, row.get("name", "")))
        )

    title = settings.get("form_title") or path.stem
    form_id = settings.get("form_id") or path.stem
    draft = Draft(
        source=path,
        source_name=name,
        population=population or identifier(form_id, "survey"),
        name=re.sub(r"[^a-z0-9._-]+", "-", form_id.lower()).strip("-._") or "survey",
        languages=languages,
        title=in_languages(title, language_of([title]), languages),
        questions=[],
        groups={},
    )
    stack: list[tuple[str, str]] = []  # open groups: (page id, relevant)
    ids: dict[str, Question] = {}
    pages: dict[str, dict[str, str]] = {}  # page name -> the row of the group that has it
    question_ids = Names()
    question_ids.take("respondent_id")
    ungrouped: dict[str, str] = {}  # the first question outside any group
    default_page = "questions"
    for row in survey:
        kind = re.sub(r"\s+", " ", row.get("type", "")).strip()
        base = kind.split(" ")[0].replace("-", "_")
        if base in ("begin_group", "begin") and ("group" in kind or base == "begin_group"):
            page = _group_page(row, pages, draft.languages, name)
            draft.groups[page] = labels(row, row.get("name", page))
            stack.append((page, row.get("relevant", "")))
            continue
        if base in ("end_group", "end") and ("group" in kind or base == "end_group"):
            stack.pop() if stack else None
            continue
        if base not in ("select_one", "select_multiple"):
            if base not in ("note", "start", "end", "today", "deviceid", "calculate", "begin_repeat", "end_repeat"):
                draft.notes.append(f"{row.get('name', '')} ({kind}): not a choice question; left out")
            continue
        list_name = kind.split(" ", 1)[1].strip() if " " in kind else ""
        items = lists.get(list_name)
        if not items:
            raise _form_error(name, row, "survey.type", f"a list named {list_name!r} in the choices sheet", kind)
        codes = _choice_codes(items, list_name, draft)
        options = [Option(code, text) for code, (_, text) in zip(codes, items, strict=True)]
        page = stack[-1][0] if stack else default_page
        if not stack:
            ungrouped = row
            draft.groups.setdefault(default_page, {tag: say("questions", tag) for tag in languages})
        question = Question(
            question_ids.take(identifier(row.get("name", ""))),
            "single" if base == "select_one" else "multi",
            labels(row, row.get("name", "")),
            options,
            page,
        )
        relevant = row.get("relevant", "")
        inherited = next((rel for _, rel in reversed(stack) if rel), "")
        if relevant and inherited:
            raise _unsupported(name, row, f"{inherited} (group) and {relevant}")
        question.universe = _universe(relevant or inherited, ids, items_of=lists, name=name, row=row)
        ids[row.get("name", "")] = question
        question.choice_names = {item[0]: code for item, code in zip(items, codes, strict=True)}
        draft.questions.append(question)
    if ungrouped and default_page in pages:
        raise _page_taken(name, pages[default_page], default_page, _("the questions outside any group"))
    _choose_charts(draft)
    draft.groups = {
        page: title
        for page, title in draft.groups.items()
        if any(q.group == page and q.charted for q in draft.questions)
    }
    return draft


def _group_page(row: dict[str, str], pages: dict[str, dict[str, str]], languages: list[str], name: str) -> str:
    """The page of an XLSForm group: its name as a page name, refused when the site already has that page or another
    group has it (the names differ only in case or punctuation)."""
    group = row.get("name", "")
    page = short_name(identifier(group, "group").replace("_", "-"), "-")
    reserved = [*layout.RESERVED_PAGES, *(tag.lower() for tag in languages)]
    if page in reserved:
        raise _form_error(
            name,
            row,
            "survey.name",
            _("a group name whose page name is not one the drafted site already has ({pages})").format(
                pages=", ".join(reserved)
            ),
            group,
            _("Its page would be {page}.md; rename the group").format(page=page),
        )
    if page in pages:
        raise _page_taken(name, row, page, _("the group in row {row}").format(row=pages[page]["_row"]))
    pages[page] = row
    return page


def _page_taken(name: str, row: dict[str, str], page: str, other: str) -> InputError:
    return _form_error(
        name,
        row,
        "survey.name",
        _("a group name whose page name differs from that of {other}").format(other=other),
        row.get("name", ""),
        _("Both would be page {page}.md; rename one of them").format(page=page),
    )


def _choice_codes(items: list[tuple[str, dict[str, str]]], list_name: str, draft: Draft) -> list[int]:
    names = [item[0] for item in items]
    if all(re.fullmatch(r"[1-9][0-9]*", name) for name in names) and len(set(names)) == len(names):
        return [int(name) for name in names]
    draft.notes.append(
        f"choices {list_name}: names are not positive whole numbers, so codes 1..{len(names)} were given in list"
        " order; export the data with answers as option labels (microdata answers: text) or recode it"
    )
    return list(range(1, len(names) + 1))


def _form_error(name: str, row: dict[str, str], column: str, expected: str, value: str, hint: str = "") -> InputError:
    """A problem in one row of the XLSForm's survey sheet, named by its row and column."""
    return InputError(name, expected, row=int(row["_row"]), column=column, value=value, hint=hint)


def _unsupported(name: str, row: dict[str, str], expression: str) -> InputError:
    return _form_error(
        name,
        row,
        "survey.relevant",
        f"a relevant expression init can turn into a universe: {SUPPORTED_RELEVANT}",
        expression,
        "Simplify it, or leave it empty and write the question's universe in codebook.yml after init",
    )


def _universe(
    expression: str, ids: dict[str, Question], *, items_of: dict, name: str, row: dict[str, str]
) -> tuple[str, list[int]] | None:
    if not expression:
        return None
    target_name, codes = None, []
    for part in re.split(r"\s+or\s+", expression.strip()):
        match = EQUALS.match(part.strip()) or SELECTED.match(part.strip())
        if not match or (target_name is not None and match["question"] != target_name):
            raise _unsupported(name, row, expression)
        target_name = match["question"]
        target = ids.get(target_name)
        value = match["q1"] if match["q1"] is not None else match["q2"] if match["q2"] is not None else match["n"]
        is_selected = part.strip().startswith("selected")
        if target is None or (target.type == "multi") != is_selected:
            raise _unsupported(name, row, expression)
        choice_names = target.choice_names
        if value not in choice_names:
            raise _form_error(
                name,
                row,
                "survey.relevant",
                f"a choice name of question {target_name}",
                value,
                f"Its choices: {', '.join(choice_names)}",
            )
        codes.append(choice_names[value])
    assert target_name is not None
    return ids[target_name].id, sorted(set(codes))


# ---------------------------------------------------------------------------------------------------------------
# The content folder as text.


def _flow(value: Any) -> str:
    """One YAML value on one line, quoted as YAML needs (labels come from survey files: never trusted)."""
    return (
        yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=2**31)
        .strip()
        .removesuffix("...")
        .strip()
    )


def render(draft: Draft, content: str, today: str) -> dict[str, str | Path]:
    """Every file init writes, project-relative path -> text (or a scratch file to copy)."""
    microdata_path = f"{layout.MICRODATA_DIR}/{draft.population}.csv"
    header = (
        f"# Drafted by `surveypress init` from {draft.source.name} on {today}. TODO marks what only a person knows.\n"
    )
    categorical = [q for q in draft.questions if q.type in ("single", "scale", "multi", "numeric")]
    files: dict[str, str | Path] = {
        f"{content}/publication.yml": header + _publication_yml(draft, microdata_path),
        f"{content}/codebook.yml": header + _codebook_yml(draft),
        f"{content}/indicators.yml": header
        + _dump(
            {
                "breakdowns": {draft.population: []},
                "indicators": [{"id": q.id, "question": q.id, "title": q.text, "breakdowns": []} for q in categorical],
            }
        ),
        f"{content}/charts.yml": header
        + "# TODO: turn each title into the message the chart shows.\n"
        + _dump({"charts": _charts(draft, categorical)}),
        f"{content}/changelog.yml": header
        + _dump(
            [
                {
                    "version": "0.1.0",
                    "date": today,
                    "changes": [
                        {tag: say("changelog_first", tag, source=draft.source.name) for tag in draft.languages}
                    ],
                }
            ]
        ),
        f"{content}/published_figures.csv": (
            "figure_id,section,population,measure,printed,value,unit,comparison,indicator,category,note\n"
        ),
    }
    charted: dict[str, list[str]] = {}
    for question in (q for q in categorical if q.charted):
        charted.setdefault(question.group, []).append(question.id)
    files.update(init_project.page_templates(content, draft.languages, draft.groups, charted))
    if draft.microdata_file is not None:
        files[microdata_path] = draft.microdata_file  # written by DuckDB, copied in by init_write
    elif draft.microdata is not None:
        filled = set(no_answer_columns(draft))
        files[microdata_path] = _csv(draft.microdata, list(_columns(draft)), filled, str(draft.no_answer))
    files["mkdocs.yml"] = init_project.MKDOCS
    files[".gitignore"] = init_project.gitignore(content)
    return files


def _publication_yml(draft: Draft, microdata_path: str) -> str:
    """publication.yml as drafted: what the source says, and TODO for what only a person knows."""
    primary = draft.languages[0]
    pop = draft.population
    return "".join(
        [
            f"name: {_flow(draft.name)}\n",
            'version: "0.1.0"\n',
            f"title: {_flow(draft.title)}\n",
            "description: " + _flow({tag: say("index_todo", tag) for tag in draft.languages}) + "\n",
            "keywords: []  # TODO: words people search for\n",
            f"languages: {_flow(draft.languages)}  # the first is the site's main language\n",
            "synthetic: false  # TODO: true if the microdata was made up to reproduce published figures\n",
            "licenses:  # TODO: the licence you publish under\n",
            "  - {name: CC-BY-4.0, title: Creative Commons Attribution 4.0 International,"
            " path: https://creativecommons.org/licenses/by/4.0/}\n",
            "sources:  # TODO: the survey and its report\n",
            f"  - {{title: {_flow(say('todo', primary) + ': ' + draft.source.name)}, publisher: TODO, date: TODO}}\n",
            "contributors:  # TODO: who collected, published and curated the data\n",
            "  - {title: TODO, roles: [datacollector]}\n",
            "microdata:\n",
            f"  {pop}: {microdata_path}"
            + (
                f"  # converted from {_flow(draft.source.name)} by init\n"
                if draft.microdata is not None
                else "  # TODO: put the data export here (respondent_id, then the codebook's columns)\n"
            ),
            "disclosure:\n",
            "  low_base: 30  # a base under this is flagged [u]\n",
            "  min_cell: 5  # cross-tabulation cells under this are suppressed [c]\n",
            "  min_k: 3  # every combination of quasi-identifiers in published microdata must hold this many\n",
            "  quasi_identifiers:\n",
            f"    {pop}: []  # TODO: the questions that together could identify someone (age, district, ...)\n",
            init_project.navigation(draft.languages, draft.groups, _flow),
        ]
    )


def _codebook_yml(draft: Draft) -> str:
    """codebook.yml as drafted, each inferred universe noted beside its question."""
    pop = draft.population
    questions = []
    for question in draft.questions:
        entry: dict[str, Any] = {
            "id": question.id,
            "population": pop,
            "type": question.type,
            "text": question.text,
            **(
                question.numeric or {"options": [{"code": option.code, **option.labels} for option in question.options]}
            ),
            "universe": {"question": question.universe[0], "codes": question.universe[1]}
            if question.universe
            else None,
        }
        questions.append(entry)
    codebook = {
        "missing": {"no_answer": draft.no_answer},
        "populations": {pop: {"title": {tag: say("respondents", tag) for tag in draft.languages}}},
        "questions": questions,
    }
    notes = {question.id: question.universe_note for question in draft.questions if question.universe_note}
    # One pass over the text (a replace per note would grow with the square of the questions).
    return re.sub(
        r"^- id: (\S+)$",
        lambda line: f"{line[0]}  # universe {notes[line[1]]}" if line[1] in notes else line[0],
        _dump(codebook),
        flags=re.M,
    )


def _charts(draft: Draft, categorical: list) -> list[dict[str, Any]]:
    """A chart for each charted question, titled with its text (in each language when there are several)."""
    primary = draft.languages[0]
    return [
        {
            "id": q.id,
            "page": q.group,
            "series": [{"indicator": q.id}],
            "sort": "none",
            # The question's text (in each language when there are several, for each edition's charts);
            # TODO: a title that states what the chart shows.
            "title": jinja_text(q.text[primary])
            if len(draft.languages) == 1
            else {tag: jinja_text(q.text[tag]) for tag in draft.languages},
        }
        for q in categorical
        if q.charted
    ]


def _columns(draft: Draft) -> list[str]:
    columns = ["respondent_id"]
    for question in draft.questions:
        if question.type == "multi":
            columns += [f"{question.id}_{option.code}" for option in question.options]
        else:
            columns.append(question.id)
    return columns


def _csv(columns: dict[str, pa.Array], order: list[str], filled: set[str], no_answer: str) -> str:
    """The microdata in the layout ARCHITECTURE.md fixes: UTF-8, comma, header, empty cell = not asked; the empty
    cells of the `filled` columns (no universe explains them) written as the no-answer code."""
    values = [columns[name] for name in order]
    values = [
        pc.if_else(pc.equal(v, ""), no_answer, v) if n in filled else v for n, v in zip(order, values, strict=True)
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(order)
    writer.writerows(zip(*(value.to_pylist() for value in values), strict=True))
    return buffer.getvalue()


def _dump(value: Any) -> str:
    # libyaml's emitter when PyYAML has it: the same text (astral characters escaped), ten times quicker on a codebook
    # of thousands of questions.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(value, Dumper=dumper, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)


# ---------------------------------------------------------------------------------------------------------------
# Writing without overwriting, and the command line.


def draft(path: Path, name: str, arguments: argparse.Namespace) -> Draft:
    from surveypress.draft import data as init_data  # it builds on this module's drafting

    languages = [tag.strip() for tag in arguments.languages.split(",") if tag.strip()] if arguments.languages else None
    if not path.is_file():
        raise InputError(name, sources(), hint="Check the path")
    form = formats.of(path)
    if form is None:
        raise InputError(name, sources(), value=path.suffix)
    kind = form.drafts(path, name)
    if kind == "labels":
        return draft_from_statistical(path, name, arguments.population, languages, arguments.id_column, form)
    if kind == "form":
        return draft_from_xlsform(path, name, arguments.population, languages, form)
    return init_data.draft_from_data(path, name, arguments.population, languages, arguments.id_column, form)


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="surveypress init",
        description="Draft a content folder (codebook, indicators, charts, pages) from a labelled SPSS or Stata file,"
        " an XLSForm, or a data file (CSV, TSV, Parquet, SAS transport, a workbook's data sheet). Existing files are"
        " never overwritten: init reports how they differ.",
        epilog="Exit codes: 0 every file written or unchanged, 1 some existing files differ (kept), 2 bad input.",
    )
    command.add_argument(
        "source",
        help=f"a labelled file ({', '.join(formats.extensions(lambda item: item.labels is not None))}), an XLSForm"
        " (.xlsx), or a data file (" + ", ".join(formats.extensions(lambda item: item.stream is not None)) + ")",
    )
    command.add_argument("--content", default=CONTENT, help="content folder to write (default: publication)")
    command.add_argument("--population", help="population id (default: from the file name)")
    command.add_argument("--languages", help="declared languages, comma-separated BCP 47 tags, primary first")
    command.add_argument(
        "--id-column", help="the respondent id variable (default: one named id, respondent_id, ..., if unique)"
    )
    return command


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    stream = stream if stream is not None else sys.stderr
    arguments = parser().parse_args(argv)
    source = Path(arguments.source)
    # The content folder itself is not resolved: a symlink there is refused by init_write, not followed.
    content = Path(os.path.abspath(arguments.content))
    try:
        # init's messages are English, as the InputError around them, whatever language a build left current.
        with i18n.language(SOURCE_LANGUAGE):
            result = draft(source, str(source), arguments)
            files = render(result, content.name, dt.date.today().isoformat())
            kept = _source_in_project(result, content.parent)
            files[".gitignore"] = init_project.gitignore(content.name, kept)
            # The project folder is made, not followed, when it is new (a dangling link there is refused).
            project = init_write.make_project(content.parent)
            differ = init_write.write(files, project, stream)
    except InputError as error:
        print(f"error: {error}", file=stream)
        return 2
    for note in result.notes:
        print(f"note      {note}", file=stream)
    print(f"next      check the TODO lines in {content.name}/, then build: {_build_command(content)}", file=stream)
    return 1 if differ else 0


def _source_in_project(draft: Draft, project: Path) -> str | None:
    """The data file init read, project-relative, when it lies in the project folder and no .gitignore line of its
    kind keeps it out already (an XLSForm holds no answers)."""
    source = Path(os.path.abspath(draft.source))
    if draft.microdata is None or not source.is_relative_to(project):
        return None
    form = formats.of(source)
    return None if form is not None and form.confidential else source.relative_to(project).as_posix()


def _build_command(content: Path) -> str:
    """The build command for this content folder, from the current folder: README's `surveypress build` when the
    content is ./publication, the build's default."""
    if content == Path(os.path.abspath("publication")):
        return "surveypress build"
    return f"surveypress build --content {shlex.quote(os.path.relpath(content))}"
