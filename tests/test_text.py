"""The one escaping of untrusted text (surveypress/text.py), proved against Python-Markdown with the site's extensions.

A page template is rendered twice through the same escaping Jinja2 environment the narrate stage uses: once with a
harmless label and once with a hostile one. Python-Markdown with the extensions of mkdocs.yml (and the other
pymdownx extensions a publication might turn on) must give the same elements with the same attribute names both
times, so no heading, link, image, code span, list, table cell, footnote, abbreviation or attribute comes from a
label, and the reader sees the label's text.
"""

from __future__ import annotations

import html
import importlib.util
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import markdown
import pytest
from markupsafe import Markup
from mkdocs.utils.yaml import yaml_load

from surveypress.text import escape_pages, markdown_text, table_cell, url_text

ROOT = Path(__file__).resolve().parent.parent

# The labels the issue found, and the rest of the syntax the enabled extensions read.
HOSTILE = [
    "靖江调查 {: tabindex=0 autofocus=1 onfocus=alert(4) }",
    "![x](data:x){: onerror=alert(2) }",
    "[点我](javascript:alert(1))",
    "[附录](附录.md)",
    "第一行\n# 第二行是标题",
    "第一行\r\n\r\n## 标题\n\n正文",
    "`代码` 之后 `",
    "``吞掉``",
    "甲 | 乙 | 丙",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "&lt;b&gt; &amp; &#123;",
    "*[HTML]: Hyper Text",
    "文字[^1]\n\n[^1]: 脚注",
    '!!! danger "标题"\n    内容',
    "??? note\n    内容",
    "术语\n:   定义",
    '<div markdown="1">**粗体**</div>',
    "    缩进的代码",
    "1. 列表",
    "- 列表",
    "* 列表",
    "+ 列表",
    "---",
    "===",
    "> 引用",
    "<https://example.com>",
    "https://example.com/x www.example.com user@example.com",
    ":smile: ==mark== ^^ins^^ ~~del~~ ++ctrl+alt++ $x$ {++add++}",
    '--8<-- "README.md"',
    "/// admonition | 标题\n内容\n///",
    "[ ] 任务",
    "**粗** __粗__ *斜* _斜_",
    "\\*不是斜体\\*",
    "[链接]: https://example.com",
    "[链接]",
    "a. 列表 i. 列表 #. 列表",
    "行尾两个空格  \n下一行",
    "{#id .class key=value}",
    "<!-- 注释 -->",
    "\u2028# 标题\u2029# 标题\x85# 标题",
    "a\x00b\x1bc",
]

# Where a template puts a label: heading, paragraph, list item, table cell, line start, raw HTML element and attribute.
TEMPLATE = """\
# {{ label }}

## 小节 {{ label }} 结束

正文：{{ label }}。

- 列表项 {{ label }}

| 列 | 值 |
| --- | --- |
| {{ label | cell }} | 1 |

{{ label }}
{{ label }}

术语
:   {{ label }}

<p title="{{ label }}">{{ label }}</p>

{{ items | join('、') }}，{{ label | replace('x', 'y') }}，{{ label | e }}
"""

EXTRA_PYMDOWNX = [
    "pymdownx.arithmatex",
    "pymdownx.betterem",
    "pymdownx.caret",
    "pymdownx.critic",
    "pymdownx.emoji",
    "pymdownx.fancylists",
    "pymdownx.inlinehilite",
    "pymdownx.keys",
    "pymdownx.magiclink",
    "pymdownx.mark",
    "pymdownx.smartsymbols",
    "pymdownx.snippets",
    "pymdownx.tasklist",
    "pymdownx.tilde",
    "pymdownx.blocks.admonition",
    "pymdownx.blocks.details",
    "pymdownx.blocks.html",
]


def site_extensions() -> tuple[list[str], dict]:
    """The markdown_extensions of mkdocs.yml, as Python-Markdown takes them."""
    config = yaml_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    names, configs = [], {}
    for entry in config["markdown_extensions"]:
        if isinstance(entry, dict):
            (name, options), *_ = entry.items()
            names.append(name)
            configs[name] = options or {}
        else:
            names.append(entry)
    return names, configs


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def converters() -> dict[str, markdown.Markdown]:
    names, configs = site_extensions()
    extra = [name for name in EXTRA_PYMDOWNX if installed(name) and name not in names]
    return {
        "site": markdown.Markdown(extensions=names, extension_configs=configs),
        "site+pymdownx": markdown.Markdown(
            extensions=[*names, *extra], extension_configs={**configs, "pymdownx.snippets": {"base_path": [str(ROOT)]}}
        ),
    }


def render_page(label: str) -> str:
    environment = escape_pages(jinja2.Environment(loader=jinja2.DictLoader({"page": TEMPLATE})))
    return environment.get_template("page").render(label=label, items=[label, "安全"])


class Shape(HTMLParser):
    """Every start tag with its attribute names, and the text, of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.tags.append(("<!--", ()))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def shape(page_html: str) -> Shape:
    parser = Shape()
    parser.feed(page_html)
    parser.close()
    return parser


@pytest.mark.parametrize("converter", ["site", "site+pymdownx"])
@pytest.mark.parametrize("label", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_label_adds_no_element_attribute_link_heading_or_code_span(label: str, converter: str) -> None:
    md = converters()[converter]
    expected = shape(md.reset().convert(render_page("安全")))
    found = shape(md.reset().convert(render_page(label)))
    assert found.tags == expected.tags
    # Values may hold the label only where the template put it (title="{{ label }}", toc's heading ids).
    for (tag, name, value), (_, _, template_value) in zip(found.attributes, expected.attributes, strict=True):
        if "安全" not in template_value:
            assert value == template_value, (tag, name, value)


@pytest.mark.parametrize("label", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_label_reads_as_its_own_text_on_the_page(label: str) -> None:
    md = converters()["site"]
    text = "".join(shape(md.reset().convert(render_page(label))).text)
    plain = " ".join("".join(c if c.isprintable() else " " for c in label).split())
    assert plain in " ".join(text.split())


def test_escaped_text_keeps_figures_and_chinese_readable_in_the_markdown_source() -> None:
    assert markdown_text("88.9%（84.0%～92.4%），n=198") == "88.9%（84.0%～92.4%），n=198"
    assert markdown_text("R-001") == "R-001"
    assert markdown_text("1. 列表") == "1&#46; 列表"
    assert markdown_text("- 列表") == "&#45; 列表"


def test_trusted_markup_passes_unchanged_and_a_cell_still_cannot_end_early() -> None:
    assert markdown_text(Markup("<b>模板</b>")) == "<b>模板</b>"
    assert table_cell(Markup("<b>a|b</b>")) == "<b>a&#124;b</b>"
    assert table_cell("a|b") == "a&#124;b"


def test_engine_paths_stay_usable_in_link_targets_but_odd_ones_are_escaped() -> None:
    assert url_text("../downloads/datasets/indicators/r_age.csv") == "../downloads/datasets/indicators/r_age.csv"
    assert url_text("x](javascript:alert(1)") != "x](javascript:alert(1)"
    assert "(" not in url_text("x](javascript:alert(1)")


def test_no_page_expression_escapes_only_for_html() -> None:
    page = render_page("[x](y.md)")
    assert "[x](y.md)" not in page
    assert html.unescape(page).count("[x](y.md)") == 12


def test_a_trusted_path_joined_to_a_label_is_escaped_as_a_whole_not_for_html_only() -> None:
    environment = escape_pages(jinja2.Environment())
    page = environment.from_string("[x]({{ root }}a.md) {{ root ~ label }}").render(
        root=url_text("../"), label="[点我](javascript:alert(1))"
    )
    assert page.startswith("[x](../a.md) ")
    assert "[点我]" not in page and "(javascript" not in page
