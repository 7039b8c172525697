"""Untrusted text into pages: the one escaping function every label, title and data value passes through.

Takes: any value whose text comes from content or survey files (labels, titles, notes, cells).
Gives: `markdown_text(value)`, a `Markup` string that Python-Markdown (with every extension the site enables:
attr_list, md_in_html, abbr, def_list, footnotes, admonition, tables, toc, pymdownx.*) and an HTML parser both show as
the same plain text, in a Markdown paragraph, heading, list item, table cell or raw HTML element or attribute.

How: every ASCII character that Markdown, its extensions or HTML read as syntax becomes a numeric character reference
(`{` -> `&#123;`). Python-Markdown passes references through untouched (it stashes them before any block or inline
extension runs, so attr_list never sees a `{`), and browsers show the character. Line breaks and other control
characters become spaces and runs of spaces collapse to one, so a label cannot start a heading, a list, a code block
or a hard line break. Some characters stay literal where they can form no syntax, to keep pages readable: `.`
between digits (`88.9%`); `-`, `=`, `/`, `+` unless first or doubled (`R-001`, `n=198`, `2022/01`); `,`, `;`, `%`.

Written by hand because no library escapes for Markdown *and* its extensions: markupsafe (HTML only) leaves `[`,
`{`, `#`, `` ` ``, `|` and line breaks, which is exactly how labels became links, attributes and headings.
Values that are already `Markup` are trusted (template output, engine-made HTML such as a chart's figure) and pass
unchanged; a template can opt out with `|safe`, which only the trusted template author writes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

import jinja2
from markupsafe import Markup, escape

# Characters that are always written as references. Letters, digits, space, non-ASCII text and `, ; %` are not.
_ALWAYS = frozenset("!\"#$&'()*:<>?@[\\]^_`{|}~")
# Syntax only at the start of a line or doubled (`- ` list, `---` rule, `===` heading, `///` block, `++keys++`).
_DOUBLED = frozenset("-=/+")
# Line and paragraph separators a parser may treat as a line break, besides the C0/C1 controls.
_LINE_BREAKS = "\u2028\u2029\u0085"
_SPACES = re.compile(r"[ \t]+")


# HTML's own three keep their familiar names; every other character is written by number.
_NAMED = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _reference(character: str) -> str:
    return _NAMED.get(character) or f"&#{ord(character)};"


def _plain(value: Any) -> str:
    """The value as one line of text: controls and line breaks become spaces, runs of spaces one, ends trimmed."""
    text = str(value)
    text = "".join(
        " " if character in _LINE_BREAKS or unicodedata.category(character) == "Cc" else character for character in text
    )
    return _SPACES.sub(" ", text).strip()


def markdown_text(value: Any) -> Markup:
    """Untrusted text as Markdown-and-HTML-safe text (see the module docstring); `Markup` values pass unchanged."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, SafePath):
        return Markup(str(value))
    if value is None:
        return Markup("")
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return Markup(str(value))  # a number is no syntax, and stays readable in a code span (`-9`)
    text = _plain(value)
    out = []
    last = len(text) - 1
    for index, character in enumerate(text):
        before = text[index - 1] if index > 0 else ""
        after = text[index + 1] if index < last else ""
        if character in _ALWAYS:
            out.append(_reference(character))
        elif character == "." and not (before.isdigit() and after.isdigit()):
            out.append(_reference(character))  # `1. ` starts a list, `www.` and `a.md` become links elsewhere
        elif character in _DOUBLED and (index == 0 or before == character or after == character):
            out.append(_reference(character))
        else:
            out.append(character)
    return Markup("".join(out))


def table_cell(value: Any) -> Markup:
    """Text for a Markdown table cell: `markdown_text`, and in trusted Markup a `|` cannot end the cell either."""
    if isinstance(value, Markup):
        return Markup(str(value).replace("|", "&#124;").replace("\r", " ").replace("\n", " "))
    return markdown_text(value)


def html_text(value: Any) -> str:
    """The same escaping as a plain `str`, for code that assembles HTML by hand (a chart's figure)."""
    return str(markdown_text(value))


def escape_pages(environment: jinja2.Environment) -> jinja2.Environment:
    """Makes a page environment pass every `{{ expression }}` through `markdown_text`; returns it.

    `finalize` escapes each expression's value; autoescape keeps trusted `Markup` (macros, `chart()`) as it is.
    The filters that would otherwise build Markup with HTML-only escaping (`e`, `escape`, `forceescape`, `join`,
    `replace`) are rebound to this module, `cell` is added, and `urlize` (links made from text) is removed.
    """
    environment.autoescape = True
    environment.finalize = markdown_text
    environment.filters["e"] = environment.filters["escape"] = markdown_text
    environment.filters["forceescape"] = lambda value: markdown_text(str(value))
    environment.filters["join"] = _join
    environment.filters["replace"] = _replace
    environment.filters["cell"] = table_cell
    environment.filters.pop("urlize", None)
    return environment


@jinja2.pass_environment
def _join(environment: jinja2.Environment, values: Any, separator: str = "", attribute: Any = None) -> Markup:
    if attribute is not None:
        values = map(jinja2.filters.make_attrgetter(environment, attribute), values)
    return markdown_text(separator).join(markdown_text(item) for item in values)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    """Plain-text replace: the result is escaped by `finalize` like any other value."""
    text = str(value)
    return text.replace(str(old), str(new)) if count is None else text.replace(str(old), str(new), count)


# Paths the engine makes from checked ids and file names: safe inside a link target or a code span as they are.
_URL_SAFE = re.compile(r"^[A-Za-z0-9._~/-]*(#[A-Za-z0-9._-]*)?$")


class SafePath(str):
    """An engine-made path checked by `url_text`: `markdown_text` lets it through as it is.

    Not `Markup`: joined to other text in a template (`{{ root ~ label }}`), it becomes a plain string again and the
    whole is escaped (a broken link, which `mkdocs build --strict` reports), never a label escaped for HTML only.
    """


def url_text(path: str) -> str:
    """An engine-made relative path, unescaped when it holds only URL-safe characters, else `markdown_text`.

    Character references would break a link target (`](../x.md)`) and show literally in a code span, so paths the
    engine builds go in as they are, after this check that they cannot hold Markdown syntax (no spaces or brackets).
    """
    text = str(path)
    if _URL_SAFE.match(text):
        return SafePath(text)
    return str(markdown_text(text))


def theme_text(value: Any) -> Markup:
    """Publication text that reaches the theme's templates through MkDocs' config or navigation (site name,
    description, copyright line, menu titles), HTML-escaped once as `Markup`.

    MkDocs renders the theme without autoescape and Material prints `config.site_name` both as it is and through
    `|e`: as `Markup` the text shows literally in both, and `|e` leaves it as it is (no `&amp;lt;` for readers).
    """
    return value if isinstance(value, Markup) else escape(str(value))


# CSV: a cell starting with one of these is run as a formula by spreadsheet programs (CSV injection). One rule for
# every table written (outputs.py) and every id and design code checked at load (microdata/rules.py).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def runs_as_formula(cell: str) -> bool:
    """Whether a spreadsheet opening a CSV file would run the cell as a formula (a number such as `-9` it would not)."""
    return cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)


def neutralise_formula(cell: str) -> str:
    """Prefixes `'` to text a spreadsheet would evaluate as a formula; numbers such as `-9` stay as they are."""
    return "'" + cell if runs_as_formula(cell) else cell
