"""The narrate stage: strict templates, errors that name template and line, escaping, and wording that follows the data.

Unit tests render small templates against a small hand-made publication; the tests on the default publication
render every real page once (module fixture) from the real tables.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import jinja2
import markdown
import pandas as pd
import pytest
import yaml

from surveypress import content as spec
from surveypress.errors import InputError
from surveypress.pages import narrate

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "publication"
REPORT = ROOT.parent / "shared" / "source" / "report.txt"

# The fixed site pages: every finding and recommendation of the report, and the service pages.
FINDINGS = ["awareness", "usage", "advantages", "ageing", "security", "barriers"]
RECOMMENDATIONS = ["integration", "publicity", "security", "coordination"]
SITE_PAGES = (
    ["index", "survey"]
    + [f"findings/{name}" for name in FINDINGS]
    + [f"recommendations/{name}" for name in RECOMMENDATIONS]
    + ["methods", "downloads", "reconciliation", "changelog", "cite"]
)
# The section marker each page's title carries, as the report numbers its parts.
SECTION_MARKERS = {
    "findings/awareness": "二(一)",
    "findings/usage": "二(二)",
    "findings/advantages": "二(三)",
    "findings/ageing": "三(一)",
    "findings/security": "三(二)",
    "findings/barriers": "三(三)",
    "recommendations/integration": "四(一)",
    "recommendations/publicity": "四(二)",
    "recommendations/security": "四(三)",
    "recommendations/coordination": "四(四)",
}
NOTICE = "微观数据为合成数据"
# Other languages' editions live in templates/<tag>/ (tests/test_english_edition.py checks templates/en/).
EDITIONS = ("en",)


def chinese_templates(pattern: str) -> list[Path]:
    """The primary (Chinese) edition's templates matching `pattern`, outside the other editions' folders."""
    root = CONTENT / "templates"
    return [path for path in root.rglob(pattern) if path.relative_to(root).parts[0] not in EDITIONS]


FEW = "受访者较少"


# A small publication: one population, one question with two options, a table built by hand.


def make_publication(
    tmp_path: Path, templates: dict[str, str], labels: tuple[str, str] = ("用过", "没用过")
) -> spec.Publication:
    content = tmp_path / "content"
    (content / "templates").mkdir(parents=True)
    meta = {
        "name": "mini",
        "version": "0.1.0",
        "title": {"zh": "小调查", "en": "Mini survey"},
        "synthetic": True,
        "sources": [{"title": "小报告", "publisher": "某统计局", "date": "2000-01-01", "index": "x"}],
        "contributors": [{"title": "某调查队", "roles": ["datacollector"]}],
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International"}],
        "microdata": {"people": "data/people.csv"},
        "disclosure": {"low_base": 30, "min_cell": 5, "min_k": 3},
    }
    codebook = {
        "missing": {"no_answer": -9},
        "populations": {"people": {"title": {"zh": "居民", "en": "People"}}},
        "questions": [
            {
                "id": "q_used",
                "population": "people",
                "type": "single",
                "text": {"zh": "用过吗？", "en": "Used?"},
                "options": [
                    {"code": 1, "zh": labels[0], "en": "Yes"},
                    {"code": 2, "zh": labels[1], "en": "No"},
                ],
                "universe": None,
            },
            {
                "id": "q_few",
                "population": "people",
                "type": "single",
                "text": {"zh": "为什么？", "en": "Why?"},
                "options": [{"code": 1, "zh": "习惯", "en": "Habit"}, {"code": 2, "zh": "其他", "en": "Other"}],
                "universe": {"question": "q_used", "codes": [2]},
            },
        ],
    }
    indicators = {
        "breakdowns": {"people": []},
        "indicators": [
            {"id": "q_used", "question": "q_used", "title": {"zh": "是否用过", "en": "Used"}},
            {"id": "q_few", "question": "q_few", "title": {"zh": "原因", "en": "Why"}},
        ],
    }
    changelog = [{"version": "0.1.0", "date": "2000-01-02", "changes": [{"zh": "首次发布", "en": "First"}]}]
    for name, document in {
        "publication.yml": meta,
        "codebook.yml": codebook,
        "indicators.yml": indicators,
        "changelog.yml": changelog,
    }.items():
        (content / name).write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    for name, text in templates.items():
        path = content / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return spec.load_publication(content, project_root=tmp_path)


def row(indicator, category, label, count, base, ci_low, ci_high, reliability="normal"):
    return {
        "indicator": indicator,
        "population": "people",
        "breakdown": "total",
        "group": "total",
        "group_label": "合计",
        "category": str(category),
        "category_label": label,
        "count": count,
        "base": base,
        "percent": round(count / base * 100, 2),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "reliability": reliability,
        "suppression": "none",
        "flags": "[u]" if reliability == "low" else "",
    }


def mini_table(labels: tuple[str, str] = ("用过", "没用过")) -> pd.DataFrame:
    return pd.DataFrame(
        [
            row("q_used", 1, labels[0], 80, 100, 71.1, 86.7),
            row("q_used", 2, labels[1], 20, 100, 13.3, 28.9),
            row("q_few", 1, "习惯", 3, 6, 18.76, 81.24, "low"),
            row("q_few", 2, "其他", 3, 6, 18.76, 81.24, "low"),
        ]
    )


def render(tmp_path: Path, templates: dict[str, str], table: pd.DataFrame | None = None, **kwargs) -> Path:
    labels = kwargs.pop("labels", ("用过", "没用过"))
    pub = make_publication(tmp_path, templates, labels)
    docs = tmp_path / "out" / "docs"
    narrate.render_pages(pub, mini_table(labels) if table is None else table, [], {}, docs)
    return docs


def with_macros(body: str) -> dict[str, str]:
    """A page that imports the real macros of the default publication, with `body` after the import."""
    macros = (CONTENT / "templates" / "_macros.md.j2").read_text(encoding="utf-8")
    page = '{% import "_macros.md.j2" as m with context %}\n' + textwrap.dedent(body)
    return {"_macros.md.j2": macros, "page.md.j2": page}


# Failing clearly.


def test_undefined_value_fails_the_build_naming_the_template(tmp_path):
    templates = {"findings/page.md.j2": "# 标题\n\n用过的占 {{ pct('q_used', 1) }}，{{ no_such_value }}。\n"}
    with pytest.raises(InputError) as caught:
        render(tmp_path, templates)
    error = caught.value
    assert error.file.endswith("templates/findings/page.md.j2")
    assert error.row == 3
    assert "no_such_value" in str(error)
    assert not (tmp_path / "out" / "docs" / "findings" / "page.md").exists()


def test_undefined_value_inside_a_macro_names_the_partial_and_its_line(tmp_path):
    templates = {
        "_parts.md.j2": "{% macro part() %}\n{{ missing_in_macro }}\n{% endmacro %}\n",
        "page.md.j2": '{% import "_parts.md.j2" as parts %}\n# 标题\n{{ parts.part() }}\n',
    }
    with pytest.raises(InputError) as caught:
        render(tmp_path, templates)
    assert caught.value.file.endswith("_parts.md.j2")
    assert caught.value.row == 2
    assert "missing_in_macro" in str(caught.value)


def test_unknown_indicator_in_template_fails_clearly(tmp_path):
    templates = {"page.md.j2": "# 标题\n\n第三行：{{ pct('q_nonexistent', 1) }}\n"}
    with pytest.raises(InputError) as caught:
        render(tmp_path, templates)
    message = str(caught.value)
    assert caught.value.file.endswith("templates/page.md.j2")
    assert caught.value.row == 3
    assert "q_nonexistent" in message
    assert "q_used" in message  # the known indicators are listed


def test_unknown_category_in_template_fails_clearly(tmp_path):
    templates = {"page.md.j2": "# 标题\n{{ pct('q_used', 7) }}\n"}
    with pytest.raises(InputError) as caught:
        render(tmp_path, templates)
    assert caught.value.row == 2
    assert "7" in str(caught.value) and "category" in str(caught.value)


def test_unknown_chart_fails_naming_the_template_and_the_chart(tmp_path):
    templates = {"page.md.j2": "# 标题\n\n{{ chart('no_such_chart') }}\n"}
    with pytest.raises(InputError) as caught:
        render(tmp_path, templates)
    assert caught.value.file.endswith("page.md.j2") and caught.value.row == 3
    assert "no_such_chart" in str(caught.value)


def test_template_syntax_error_names_file_and_line(tmp_path):
    templates = {"page.md.j2": "# 标题\n\n{% if true %}\n没有结束\n"}
    with pytest.raises(InputError) as caught:
        render(tmp_path, templates)
    assert caught.value.file.endswith("page.md.j2")
    assert caught.value.row is not None
    assert "Jinja2" in str(caught.value)


def test_pages_compiled_while_charts_are_drawn_are_only_run_when_rendered_and_read_the_same(tmp_path, monkeypatch):
    """A build compiles the page templates while the charts are drawn (narrate.compile_pages); rendering then runs
    the compiled code without compiling again, and writes what rendering from scratch writes."""
    templates = with_macros("# 标题\n\n{{ pct('q_used', 1) }}的人用过；{{ m.share('q_used', 1) }}\n")
    templates["sub/other.md.j2"] = "# 另一页\n\n{{ base('q_used') }}\n"
    first = render(tmp_path / "scratch", templates)
    monkeypatch.setenv("SURVEYPRESS_CACHE_DIR", str(tmp_path / "cache"))
    pub = make_publication(tmp_path / "compiled", templates)
    assert narrate.compile_pages(pub) == 2  # the pages, not the partial
    compiled = []
    real_compile = jinja2.Environment.compile
    monkeypatch.setattr(
        jinja2.Environment, "compile", lambda self, *a, **k: compiled.append(a) or real_compile(self, *a, **k)
    )
    docs = tmp_path / "compiled" / "out" / "docs"
    narrate.render_pages(pub, mini_table(), [], {}, docs)
    assert [call for call in compiled if "_macros" not in str(call)] == []
    for name in ("page.md", "sub/other.md"):
        assert (docs / name).read_text(encoding="utf-8") == (first / name).read_text(encoding="utf-8")


def test_a_page_that_does_not_compile_is_skipped_by_compile_pages_and_reported_by_rendering(tmp_path):
    templates = {"page.md.j2": "# 标题\n\n{% if true %}\n没有结束\n", "fine.md.j2": "# 好\n"}
    pub = make_publication(tmp_path, templates)
    assert narrate.compile_pages(pub) == 1
    with pytest.raises(InputError) as caught:
        narrate.render_pages(pub, mini_table(), [], {}, tmp_path / "out" / "docs")
    # Jinja finds the unclosed block at the end of the file.
    assert caught.value.file.endswith("page.md.j2") and caught.value.row == 4


def test_changelog_whose_newest_version_is_not_the_publication_version_is_refused(tmp_path):
    pub = make_publication(tmp_path, {"page.md.j2": "# 标题\n"})
    (pub.content_dir / "changelog.yml").write_text(
        yaml.safe_dump([{"version": "0.0.9", "date": "2000-01-01", "changes": [{"zh": "旧版"}]}], allow_unicode=True),
        encoding="utf-8",
    )
    pub = spec.load_publication(pub.content_dir, project_root=tmp_path)  # the spec stage reads the content files
    with pytest.raises(InputError) as caught:
        narrate.render_pages(pub, mini_table(), [], {}, tmp_path / "docs")
    assert "changelog.yml" in caught.value.file and "0.0.9" in str(caught.value)


# Escaping and page shape.


def test_labels_are_escaped_in_pages(tmp_path):
    hostile = "<img src=x onerror=alert(1)>"
    templates = {
        "page.md.j2": (
            "# 标题\n\n选项：{{ label('q_used', 1) }}\n\n"
            "{% for option in question('q_used').options %}- {{ option.zh }}\n{% endfor %}\n"
            "<p>{{ label('q_used', 1) }}</p>\n"
        )
    }
    docs = render(tmp_path, templates, labels=(hostile, "没用过"))
    page = (docs / "page.md").read_text(encoding="utf-8")
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert&#40;1&#41;&gt;" in page
    html = markdown.markdown(page)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert&#40;1&#41;&gt;" in html


def test_generated_pages_start_with_a_comment_naming_their_template(tmp_path):
    docs = render(tmp_path, {"findings/page.md.j2": "# 标题\n", "_partial.md.j2": "不是页面\n"})
    page = (docs / "findings" / "page.md").read_text(encoding="utf-8")
    first = page.splitlines()[0]
    assert first.startswith("<!--") and "templates/findings/page.md.j2" in first and "generated" in first.lower()
    assert not (docs / "_partial.md").exists()


def test_download_list_describes_every_staged_csv_with_its_size(tmp_path):
    pub = make_publication(tmp_path, {"page.md.j2": "{% for f in downloads %}{{ f.path }} {{ f.size }}\n{% endfor %}"})
    datasets = tmp_path / "out" / "datasets"
    (datasets / "indicators").mkdir(parents=True)
    (datasets / "microdata").mkdir()
    (datasets / "indicators.csv").write_text('a,b\n1,"two\nlines"\n3,4\n', encoding="utf-8")
    (datasets / "indicators" / "q_used.csv").write_text("a\n1\n", encoding="utf-8")
    (datasets / "microdata" / "people.csv").write_text("respondent_id\nR-1\n", encoding="utf-8")
    found = narrate.staged_downloads(pub, datasets)
    assert [(item.kind, item.subject, item.rows) for item in found] == [
        ("microdata", "people", 1),
        ("indicators", "", 2),
        ("indicator", "q_used", 1),
    ]
    assert found[0].title == "居民" and found[2].title == "是否用过"
    narrate.render_pages(pub, mini_table(), [], {}, tmp_path / "out" / "docs")
    page = (tmp_path / "out" / "docs" / "page.md").read_text(encoding="utf-8")
    assert "datasets/indicators.csv 22 B" in page


def test_engine_made_file_names_go_into_link_targets_and_code_spans_as_they_are(tmp_path):
    # A dot written as a character reference breaks a Markdown link target and shows literally in a code span.
    template = (
        "[`{{ workbook }}`]({{ data_root }}downloads/{{ workbook }}) [all]({{ data_root }}{{ archive }})\n"
        "{% for f in downloads %}[`{{ f.name }}`]({{ data_root }}downloads/{{ f.path }})\n{% endfor %}"
    )
    pub = make_publication(tmp_path, {"page.md.j2": template})
    datasets = tmp_path / "out" / "datasets"
    datasets.mkdir(parents=True)
    (datasets / "indicators.csv").write_text("a\n1\n", encoding="utf-8")
    narrate.render_pages(pub, mini_table(), [], {}, tmp_path / "out" / "docs")
    page = (tmp_path / "out" / "docs" / "page.md").read_text(encoding="utf-8")
    assert "[`indicators.xlsx`](downloads/indicators.xlsx)" in page
    assert "[all](downloads/mini-0.1.0.zip)" in page
    assert "[`indicators.csv`](downloads/datasets/indicators.csv)" in page
    assert "&#46;" not in page


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n3,4\n",
        "a,b\n1,2\n3,4",  # no line break after the last record
        "a,b\r\n1,2\r\n",
        "\ufeffa,b\n1,2\n",
        "a,b\n",
        "",
        'a,b\n1,"two\nlines"\n3,4\n',  # a quoted cell holding a line break
        'a,b\n"x",y\n',
        "a\n" + "1\n" * 5000,
    ],
)
def test_record_count_of_a_download_equals_what_the_csv_module_reads(tmp_path, text):
    import csv

    path = tmp_path / "table.csv"
    path.write_bytes(text.encode("utf-8"))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        expected = max(sum(1 for _ in csv.reader(handle)) - 1, 0)
    assert narrate.count_records(path) == expected


def test_record_count_is_redone_when_the_file_changes(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    assert narrate.count_records(path) == 1
    path.write_text("a\n1\n2\n3\n", encoding="utf-8")
    assert narrate.count_records(path) == 3


# Wording that follows the numbers.


def test_low_reliability_shares_are_described_as_based_on_few_respondents(tmp_path):
    docs = render(tmp_path, with_macros("# 标题\n\n甲：{{ m.share('q_few', 1) }}\n\n乙：{{ m.share('q_used', 1) }}\n"))
    lines = (docs / "page.md").read_text(encoding="utf-8").splitlines()
    low = next(line for line in lines if line.startswith("甲"))
    normal = next(line for line in lines if line.startswith("乙"))
    assert FEW in low and "n=6" in low and "[u]" in low
    assert FEW not in normal and "[u]" not in normal and "n=100" in normal


def test_overlapping_intervals_are_not_described_as_a_difference(tmp_path):
    table = pd.DataFrame(
        [
            row("q_used", 1, "用过", 80, 100, 71.1, 86.7),
            row("q_used", 2, "没用过", 20, 100, 13.3, 28.9),
            row("q_few", 1, "习惯", 4, 6, 30.0, 90.3, "low"),
            row("q_few", 2, "其他", 2, 6, 9.7, 70.0, "low"),
        ]
    )
    body = (
        "# 标题\n\n重叠：{{ m.compare('q_used', 1, '甲', 'q_few', 1, '乙') }}\n\n"
        "不重叠：{{ m.compare('q_used', 1, '甲', 'q_used', 2, '乙') }}\n"
    )
    docs = render(tmp_path, with_macros(body), table)
    lines = (docs / "page.md").read_text(encoding="utf-8").splitlines()
    overlapping = next(line for line in lines if line.startswith("重叠"))
    separate = next(line for line in lines if line.startswith("不重叠"))
    assert "重叠" in overlapping[2:] and "高于" not in overlapping and "低于" not in overlapping
    assert "甲的比例" in separate and "高于乙" in separate and "不重叠" in separate[3:]


# The default publication, rendered once from the real tables.


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from surveypress.charts import stage
    from surveypress.microdata import load
    from surveypress.stats import protect, reconcile, tabulate

    pub = spec.load_publication(CONTENT)
    table = protect.protect(pub, tabulate.tabulate(pub, load.load_microdata(pub)))
    reconciliation = reconcile.reconcile(pub, table)
    out = tmp_path_factory.mktemp("site")
    charts = stage.render_charts(pub, table, out / "docs" / "assets" / "charts")
    narrate.render_pages(pub, table, reconciliation, charts, out / "docs")
    return pub, table, out / "docs"


def test_every_finding_and_recommendation_has_a_page(site):
    _pub, _table, docs = site
    templates = sorted(
        path.relative_to(CONTENT / "templates").as_posix().removesuffix(".md.j2")
        for path in chinese_templates("*.md.j2")
        if not path.name.startswith("_")
    )
    assert templates == sorted(SITE_PAGES)
    for page in SITE_PAGES:
        text = (docs / f"{page}.md").read_text(encoding="utf-8")
        title = next(line for line in text.splitlines() if line.startswith("# "))
        if page in SECTION_MARKERS:
            assert title.startswith(f"# {SECTION_MARKERS[page]}"), page
    index = (docs / "index.md").read_text(encoding="utf-8")
    for page in SECTION_MARKERS:
        assert f"]({page}.md)" in index, f"首页 does not link to {page}"


def test_every_page_says_once_that_the_microdata_is_synthetic(site):
    _pub, _table, docs = site
    for page in SITE_PAGES:
        assert (docs / f"{page}.md").read_text(encoding="utf-8").count(NOTICE) == 1, page


def test_every_finding_page_links_each_printed_figure_to_the_reconciliation_page(site):
    _pub, _table, docs = site
    reconciliation = (docs / "reconciliation.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<span id="([^"]+)"></span>', reconciliation))
    for name in FINDINGS:
        text = (docs / "findings" / f"{name}.md").read_text(encoding="utf-8")
        links = re.findall(r"\]\(\.\./reconciliation\.md#([^)]+)\)", text)
        links += re.findall(r'href="\.\./reconciliation\.html#([^"]+)"', text)
        assert links, name
        assert set(links) <= anchors | {"report-inconsistencies"}, name


def test_shares_with_a_small_base_are_flagged_on_every_real_page(site):
    pub, _table, docs = site
    share = re.compile(r"\d+(?:\.\d+)?%（(?P<few>受访者较少，仅 )?n=(?P<n>\d+)")
    seen_low = 0
    for path in docs.rglob("*.md"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in share.finditer(line):
                if int(match["n"]) < pub.disclosure.low_base:
                    seen_low += 1
                    assert match["few"], f"{path.name}:{number}: {match.group(0)} is not described as few respondents"
                    assert "[u]" in line[match.start() :], f"{path.name}:{number}: no [u] flag"
                else:
                    assert not match["few"], f"{path.name}:{number}"
    assert seen_low > 0  # the default publication has [u] shares (e.g. the enterprise non-users)


def test_every_quote_is_verbatim_from_the_report(site):
    if not REPORT.is_file():
        pytest.skip(f"the report text is not at {REPORT}")
    report = REPORT.read_text(encoding="utf-8")
    checked = 0
    for path in chinese_templates("*.j2"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.startswith("> "):
                continue
            quoted = line[2:].strip()
            if quoted.startswith("——") or quoted.startswith("{{"):
                continue
            assert quoted in report, f"{path.relative_to(CONTENT)}:{number} is not verbatim from the report: {quoted}"
            checked += 1
    assert checked >= len(FINDINGS)  # at least one quotation per finding page
    # Each quotation on a rendered page ends with an attribution line naming the report's publisher.
    _pub, _table, docs = site
    for name in FINDINGS + [f"../recommendations/{r}" for r in RECOMMENDATIONS]:
        text = (docs / "findings" / f"{name}.md").resolve().read_text(encoding="utf-8")
        blocks = re.findall(r"(?:^>.*\n)+", text, flags=re.MULTILINE)
        assert blocks, name
        for block in blocks:
            assert "——" in block.splitlines()[-1] and "引自靖江市统计局报告" in block.splitlines()[-1], name


def test_every_printed_figure_is_linked_from_a_page_to_its_check(site):
    pub, _table, docs = site
    linked: set[str] = set()
    for path in docs.rglob("*.md"):
        if path.name != "reconciliation.md":
            text = path.read_text(encoding="utf-8")
            linked |= set(re.findall(r"reconciliation\.md#([A-Za-z0-9_-]+)\)", text))
            # One check marker stands for every printing of the same figure; it names them all.
            for figures in re.findall(r'class="sp-check" href="[^"]*" data-figures="([^"]+)"', text):
                linked |= set(figures.split())
    figures = pd.read_csv(pub.published_figures, dtype=str, keep_default_na=False)["figure_id"]
    missing = sorted(set(figures) - linked)
    assert not missing, f"printed figures no page links to 数据核对: {missing}"


def test_a_label_holding_a_pipe_stays_in_its_table_cell(tmp_path):
    docs = render(
        tmp_path,
        with_macros("# 标题\n\n{{ m.figure_table([['q_used', 1, '居民：' ~ label('q_used', 1)]]) }}\n"),
        labels=("用过|<b>没</b>", "没用过"),
    )
    rows = [line for line in (docs / "page.md").read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    header, body = rows[0], rows[2]
    assert body.count("|") == header.count("|")
    assert "&#124;" in body and "&lt;b&gt;" in body


def test_a_template_that_links_out_of_the_templates_folder_is_not_rendered(tmp_path):
    """A symlink to a content file (inside the content folder, outside templates/) is still refused by the loader."""
    pub = make_publication(tmp_path, {"index.md.j2": "# 标题\n"})
    assert (pub.content_dir / "codebook.yml").is_file()
    (pub.templates_dir / "leak.md.j2").symlink_to(pub.content_dir / "codebook.yml")
    with pytest.raises(InputError) as caught:
        narrate.render_pages(pub, mini_table(("用过", "没用过")), [], {}, tmp_path / "out" / "docs")
    assert caught.value.value == "leak.md.j2"
    assert caught.value.expected.startswith("a template file inside templates/")
