"""No figure is typed into a page by hand: every number a reader sees comes from the tables, through the context.

Scans every page template of the default publication, in every language's folder (templates/en/ too), and every
hand-written Markdown page under docs/ (generated pages, recognised by their first line, are skipped: they are checked
through their templates). Outside Jinja2 expressions a line may hold no Arabic digit, no full-width digit, no Chinese
numeral used as a quantity (九成, 两个, 二百二十八份) and no English number word (nine in ten, two thirds, half).
Inside expressions, a string or decimal literal that looks like a figure (`'88.9%'`, `88.9`) is refused too; integer
literals there are option codes and arguments (`pct('r_age', 4)`, `decimals=2`), not figures.

Allowed, and why:
- section markers and ordinals in words (二(一), 第四部分, II(iii), first): they number the report's parts, they are
  not quantities;
- the names in ALLOWED_NAMES: names of encodings, hashes and menu entries that happen to contain digits;
- Chinese numerals and English number words inside a quotation line (`> ...`): quotations are the report's own words
  (checked verbatim against the report) or their translation; Arabic digits stay refused there too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surveypress.pages.narrate import GENERATED_MARKER

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "publication" / "templates"
DOCS = ROOT / "docs"

# Names that contain digits but are not figures: each is a proper name a reader must type or find as written.
ALLOWED_NAMES = {
    "65001: Unicode (UTF-8)": "the entry Excel shows for UTF-8 in its 文件原始格式 list",
    "UTF-8": "the name of the encoding",
    "SHA-256": "the name of the hash",
    "SHA256SUMS": "the checksum file's name",
    "COVID-19": "the name of the disease",
    "一次隐匿": "the statistical term for primary suppression",
    "二次隐匿": "the statistical term for secondary suppression",
}

JINJA_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
DIGIT = re.compile(r"[0-9\uff10-\uff19]")
# A Chinese numeral followed by a measure word or a fraction word is a quantity (九成, 两个, 一半, 百分之); after 第 it
# is an ordinal (第一条) and fine.
CHINESE_QUANTITY = re.compile(
    r"(?<!第)[零〇一二两三四五六七八九十百千万几]+(?:成|个|家|人|份|位|名|项|倍|类|种|次|年|岁|条|套|半|分之)"
)
# An English number word is a quantity typed by hand ("nine in ten", "two thirds", "half of"); "one" is left out, as
# "one of", "one at a time" and "no one" are ordinary words, and so are ordinals (first, second).
ENGLISH_QUANTITY = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty"
    r"|ninety|hundred|hundreds|thousand|thousands|dozen|dozens|half|halves|thirds|quarters)\b",
    re.IGNORECASE,
)
STRING_LITERAL = re.compile(r"'([^'\\]*)'|\"([^\"\\]*)\"")
DECIMAL_LITERAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
FIGURE_TEXT = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|成|家|人|份|位|名|岁)|[０-９]")


def _blank(match: re.Match) -> str:
    """Replaces a Jinja block by spaces, keeping its line breaks so line numbers stay right."""
    return re.sub(r"[^\n]", " ", match.group(0))


def typed_figures(text: str) -> list[tuple[int, str]]:
    """(line, what) for every hand-typed figure in a template or page source."""
    problems: list[tuple[int, str]] = []
    for block in JINJA_BLOCK.finditer(text):
        line = text.count("\n", 0, block.start()) + 1
        code = block.group(0)
        if code.startswith("{#"):
            continue  # comments never reach the page
        for literal in STRING_LITERAL.finditer(code):
            value = literal.group(1) if literal.group(1) is not None else literal.group(2)
            if FIGURE_TEXT.search(value) or CHINESE_QUANTITY.search(value) or ENGLISH_QUANTITY.search(value):
                problems.append((line, f"figure in a Jinja string literal: {value!r}"))
        # String literals are checked above; decimals outside them are numbers typed into an expression.
        for number in DECIMAL_LITERAL.finditer(STRING_LITERAL.sub("''", code)):
            problems.append((line, f"decimal literal in a Jinja expression: {number.group(0)}"))
    prose = JINJA_BLOCK.sub(_blank, text)
    for number, line in enumerate(prose.splitlines(), start=1):
        for name in ALLOWED_NAMES:
            line = line.replace(name, " ")
        for digit in DIGIT.finditer(line):
            problems.append((number, f"digit {digit.group(0)!r} in {line.strip()!r}"))
        if line.startswith("> "):
            continue
        for quantity in CHINESE_QUANTITY.finditer(line):
            problems.append((number, f"Chinese numeral {quantity.group(0)!r} in {line.strip()!r}"))
        for quantity in ENGLISH_QUANTITY.finditer(line):
            problems.append((number, f"English number word {quantity.group(0)!r} in {line.strip()!r}"))
    return problems


def page_sources() -> list[Path]:
    """Every template, and every Markdown page under docs/ that was not generated from one."""
    sources = sorted(TEMPLATES.rglob("*.j2"))
    marker = GENERATED_MARKER.split("{template}")[0]
    for path in sorted(DOCS.rglob("*.md")) if DOCS.is_dir() else []:
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        if not first.startswith(marker):
            sources.append(path)
    return sources


def test_no_template_types_a_figure_by_hand():
    sources = page_sources()
    assert any(path.suffix == ".j2" for path in sources), f"no templates found under {TEMPLATES}"
    problems = []
    for path in sources:
        for line, what in typed_figures(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not problems, "Figures typed by hand (take them from the table instead):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "text",
    [
        "居民占 88.9%",
        "共收回问卷２２８份",
        "九成左右的用户表示满意",
        "其中两个原因",
        "共二百二十八份问卷",
        "约占一半",
        "{{ '88.9%' }}的居民",
        "占 {{ 88.9 }}%",
        "{% set share = '九成' %}",
        "版本 1.0.0",
        "nine in ten users are satisfied",
        "Two thirds of enterprises",
        "about half of the residents",
        "{% set share = 'nine in ten' %}",
    ],
)
def test_the_scanner_catches_a_typed_figure(text):
    assert typed_figures(text), text


@pytest.mark.parametrize(
    "text",
    [
        "# 二(一) 政府重视",
        "居民占 {{ pct('r_used_online', 1) }}（n={{ base('r_used_online') }}）",
        "{{ pct('e_efficiency', 'improved', decimals=2) }}",
        "> 现在办一件事情就要下载一个APP,每个人的手机里面都塞满了APP",
        "报告第四部分第一条建议",
        "文件为 UTF-8 编码，选 65001: Unicode (UTF-8)",
        "{# 注释里的 88.9% 不会出现在页面上 #}",
        "一般及以上",
        "# II(iii) Clear advantages: the first recommendation",
        "one of the residents; no one answered",
        "> so that enterprises no longer have to “run between two places”",
        "During the COVID-19 epidemic",
    ],
)
def test_the_scanner_allows_words_codes_and_quotations(text):
    assert typed_figures(text) == []


def test_the_scanner_reads_the_english_edition_templates():
    english = TEMPLATES / "en"
    assert english.is_dir(), f"no English edition at {english}"
    assert set(english.rglob("*.j2")) <= set(page_sources())
    assert any(english.rglob("*.md.j2"))


def test_the_scanner_names_the_line_of_a_typed_figure():
    assert [line for line, _what in typed_figures("# 标题\n\n{{ pct('a', 1) }}\n占 42%\n")] == [4, 4]


def test_no_template_of_the_english_example_types_a_figure_by_hand():
    example = ROOT / "examples" / "fair" / "publication" / "templates"
    sources = sorted(example.rglob("*.j2"))
    assert sources, f"no templates found under {example}"
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in sources
        for line, what in typed_figures(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "Figures typed by hand (take them from the table instead):\n" + "\n".join(problems)


def test_no_template_init_drafts_types_a_figure_by_hand():
    # Every page init drafts, in each language draft/text.yml has and one it falls back to English for.
    from surveypress.draft import project as init_project

    groups = {"questions": {"zh-Hans": "问题", "en": "Questions", "fr": "Questions"}}
    drafted = init_project.page_templates("publication", ["zh-Hans", "en", "fr"], groups, {"questions": ["q_used"]})
    assert len(drafted) == 3 * (2 + len(init_project.DATA_PAGES))
    problems = [f"{path}:{line}: {what}" for path, text in drafted.items() for line, what in typed_figures(text)]
    assert not problems, "Figures typed by hand in init's drafts (see draft/text.yml):\n" + "\n".join(problems)
