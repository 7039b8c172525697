"""The English edition of the default publication: a twin of every page, in English, with the same figures.

The English templates live in publication/templates/en/ and are written against the template vocabulary, so every
figure comes from the tables. Chinese may appear on an English page only inside `<span lang="zh-Hans">` and only for
what ALLOWED_ZH (or ALLOWED_ZH_EXPRESSIONS) names: terms a reader may need to search for, given once beside their
English rendering, and the report's interview quotations, each followed by its translation.

The tests on templates and content files run on every branch. The tests on rendered English pages (docs/en/) and on
the built site (site/en/) need the multilingual engine, which renders templates/<tag>/ for each declared language;
until that engine has rendered them they skip, saying so.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml
from test_no_hand_typed_figures import typed_figures

from surveypress import content as spec
from surveypress.values import Values, render_string

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "publication"
TEMPLATES = CONTENT / "templates"
ENGLISH = TEMPLATES / "en"
DOCS = ROOT / "docs"
ENGLISH_DOCS = DOCS / "en"
SITE = ROOT / "site"
REPORT = ROOT.parent / "shared" / "source" / "report.txt"
# Folders of templates/ that hold another language's edition; the Chinese (primary) templates are the rest.
EDITIONS = ("en",)

NOT_RENDERED = "the English edition was not rendered: build_tables.py renders templates/en/ into docs/en/"

# Han characters, CJK punctuation and full-width forms: what an English page must not show outside a marked span.
CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
ZH_SPAN = re.compile(r'<span lang="zh(?:-[A-Za-z]+)?">(.*?)</span>', re.DOTALL)
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
JINJA_EXPRESSION = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)

# Chinese typed into the English templates, each with why a reader needs it.
PART_HEADINGS = {
    "一、调研对象基本情况": "heading of the report's part I (the survey page)",
    "二、数字政府惠民利企,政府治理服务效能明显提升": "heading of the report's part II (home page)",
    "三、数字政府建设中存在的困难与挑战": "heading of the report's part III (home page)",
    "四、进一步加强数字政府建设的意见建议": "heading of the report's part IV (home page)",
}
SECTION_HEADINGS = {
    "(一)政府重视,数字政务服务“深入推进”": "findings/awareness",
    "(二)应用广泛,数字政务服务“触手可及”": "findings/usage",
    "(三)优势凸显,数字政务服务“愈发贴心”": "findings/advantages",
    "(一)政务APP整合度低,“适老化”改造迫在眉睫": "findings/ageing",
    "(二)宣传推广力度不够,加固安全“堤坝”任重道远": "findings/security",
    "(三)“零跑腿”“全流程”未完全实现,信息“壁垒”急需打通": "findings/barriers",
    "(一)优化适老服务,提高平台整合度": "recommendations/integration",
    "(二)加大宣传推广,提高民众知晓度": "recommendations/publicity",
    "(三)强化安全管理,提高信息安全度": "recommendations/security",
    "(四)加强统筹协调,提高服务便利度": "recommendations/coordination",
}
INTERVIEW_QUOTES = {
    "数字政府建设从居民切身利益出发,基本实现了生活缴费、生活服务的线上办理,给她的大学日常生活带来了很多便利。": (
        "the university student's words (findings/usage)"
    ),
    "疫情防控期间,为促进企业复工复产,对企业出入车辆实行通行证管理。开始时只接受现场办理,导致企业办理人员在办理处"
    "大排长龙,有的甚至带着躺椅半夜排队。不仅办理效率比较低下,而且也有人员聚集的风险。政府随即推出了线上办理小程序"
    "“货泰通”,不再需要现场递交纸质材料,直接在线上进行申请,大大提高了办理效率,实现了当天申请、当天办证。": (
        "the Maqiao enterprise's account, first paragraph (findings/advantages)"
    ),
    "同时对入厂、消杀、卸货、出厂、出靖的各环节进行严格管理,要求实时上传照片,真正做到了闭环管理。": (
        "the Maqiao enterprise's account, second paragraph (findings/advantages)"
    ),
    "近年来,数字政府建设不断加强,实施了多项举措,取得了明显成效,但在强化区域合作上还存在短板,应加快推进异地办理,"
    "争取一网打通,让企业不再“两地跑”“来回跑”。": "the security company's words (findings/barriers)",
}
ALLOWED_ZH = {
    "靖江": "the city's name, beside its English spelling (home page)",
    "江苏夸迪安防集团有限公司": "the company quoted in findings/barriers, beside its English name",
    "适老化": "the report's term for age-friendly design, beside its English rendering (methods)",
    **PART_HEADINGS,
    **{heading: f"section heading of the report ({page})" for heading, page in SECTION_HEADINGS.items()},
    **INTERVIEW_QUOTES,
}
# Chinese that reaches an English page from the content files, through these expressions only.
ALLOWED_ZH_EXPRESSIONS = {
    "source.title": "the report's title (publication.yml sources), beside its English rendering",
    "source.publisher": "靖江市统计局, the report's publisher (publication.yml sources), beside its English name",
    "meta.contributors[0].title": "国家统计局靖江调查队, who ran the survey (publication.yml), beside its English name",
    "row.printed": "a figure as the report printed it in words or with a Chinese unit (reconciliation page)",
    "contributor.title": "the names of the report's publisher and survey team (publication.yml), in the release box",
}


def chinese_templates() -> dict[str, Path]:
    """The primary edition's templates: templates/zh-Hans/ if they have moved there, else templates/ minus editions."""
    root = TEMPLATES / "zh-Hans" if (TEMPLATES / "zh-Hans").is_dir() else TEMPLATES
    return {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*.j2"))
        if root != TEMPLATES or path.relative_to(TEMPLATES).parts[0] not in EDITIONS
    }


def english_templates() -> dict[str, Path]:
    if not ENGLISH.is_dir():
        pytest.fail(f"the English edition's templates are missing: {ENGLISH}")
    return {path.relative_to(ENGLISH).as_posix(): path for path in sorted(ENGLISH.rglob("*.j2"))}


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def allowed_rendered_chinese() -> set[str]:
    """Every Chinese text an English page may hold in a marked span, with the content files' values filled in."""
    meta = yaml.safe_load((CONTENT / "publication.yml").read_text(encoding="utf-8"))
    allowed = set(ALLOWED_ZH)
    allowed |= {meta["sources"][0]["title"], meta["sources"][0]["publisher"], meta["contributors"][0]["title"]}
    with (CONTENT / "published_figures.csv").open(encoding="utf-8") as handle:
        allowed |= {row["printed"] for row in csv.DictReader(handle) if has_cjk(row["printed"])}
    return allowed


# The templates and content files (every branch).


def test_every_chinese_page_template_has_an_english_twin_and_every_english_template_a_chinese_one():
    chinese, english = set(chinese_templates()), set(english_templates())
    assert chinese, f"no Chinese templates under {TEMPLATES}"
    assert not chinese - english, f"Chinese templates with no English twin in {ENGLISH}: {sorted(chinese - english)}"
    assert not english - chinese, f"English templates with no Chinese original: {sorted(english - chinese)}"


def test_english_templates_hold_no_chinese_outside_marked_spans():
    problems = []
    for name, path in english_templates().items():
        text = ZH_SPAN.sub("", JINJA_COMMENT.sub("", path.read_text(encoding="utf-8")))
        for number, line in enumerate(text.splitlines(), start=1):
            if has_cjk(line):
                problems.append(f"en/{name}:{number}: {line.strip()[:120]}")
    assert not problems, 'Chinese outside <span lang="zh-Hans"> in English templates:\n' + "\n".join(problems)


def test_every_chinese_span_in_the_english_templates_is_in_the_allow_list():
    problems = []
    seen = set()
    for name, path in english_templates().items():
        for span in ZH_SPAN.finditer(path.read_text(encoding="utf-8")):
            content = span.group(1)
            expressions = JINJA_EXPRESSION.findall(content)
            if expressions:
                bad = [expression for expression in expressions if expression not in ALLOWED_ZH_EXPRESSIONS]
                if bad or has_cjk(JINJA_EXPRESSION.sub("", content)):
                    problems.append(f"en/{name}: {content!r}")
                continue
            if content not in ALLOWED_ZH:
                problems.append(f"en/{name}: {content[:60]!r}")
            seen.add(content)
    assert not problems, "Chinese spans not in ALLOWED_ZH / ALLOWED_ZH_EXPRESSIONS:\n" + "\n".join(problems)
    # The allow-list holds nothing the templates no longer use: it names what a reader actually sees.
    assert set(ALLOWED_ZH) == seen, f"unused entries in ALLOWED_ZH: {sorted(set(ALLOWED_ZH) - seen)}"


def test_every_section_heading_is_given_in_chinese_once_on_its_own_english_page():
    for heading, page in SECTION_HEADINGS.items():
        text = (ENGLISH / f"{page}.md.j2").read_text(encoding="utf-8")
        assert text.count(f'<span lang="zh-Hans">{heading}</span>') == 1, page
        title = next(line for line in text.splitlines() if line.startswith("# "))
        assert not has_cjk(title), f"{page}: the English title is in English; the heading follows it in a span"


def test_chinese_in_the_english_templates_is_verbatim_from_the_report():
    if not REPORT.is_file():
        pytest.skip(f"the report text is not at {REPORT}")
    report = REPORT.read_text(encoding="utf-8")
    missing = [text for text in ALLOWED_ZH if text not in report]
    assert not missing, f"Chinese on English pages that the report does not contain: {missing}"


def test_every_interview_quotation_is_followed_by_its_english_translation():
    found = 0
    for name, path in english_templates().items():
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"(?:^>.*\n)+", text, flags=re.MULTILINE):
            chinese = [line for line in block.splitlines() if line.startswith('> <span lang="zh-Hans">')]
            if not chinese:
                continue
            found += len(chinese)
            translations = [line for line in block.splitlines() if line.startswith("> *Translation:* ")]
            assert len(translations) == len(chinese), f"en/{name}: each Chinese paragraph needs a translation"
            assert "m.attribution(" in text, f"en/{name}: a quotation needs its attribution line"
    assert found == len(INTERVIEW_QUOTES)


def test_english_templates_type_no_figure_by_hand():
    problems = [
        f"en/{name}:{line}: {what}"
        for name, path in english_templates().items()
        for line, what in typed_figures(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "Figures typed by hand in English templates:\n" + "\n".join(problems)


def test_every_label_has_english_text_without_chinese():
    pub = spec.load_publication(CONTENT)
    english = [("meta.title", pub.meta["title"]["en"]), ("meta.description", pub.meta["description"]["en"])]
    english += [(f"population {p.id}", p.title.en) for p in pub.codebook.populations.values()]
    for question in pub.codebook.questions.values():
        english.append((f"question {question.id}", question.text.en))
        english += [(f"{question.id} option {option.code}", option.en) for option in question.options]
    for indicator in pub.indicators:
        english.append((f"indicator {indicator.id}", indicator.title.en))
        english += [(f"{indicator.id} net {net.code}", net.en) for net in indicator.nets]
    bad = [where for where, text in english if not str(text or "").strip() or has_cjk(str(text))]
    assert not bad, f"labels without English text, or with Chinese in it: {bad}"


def test_every_changelog_change_has_english_text():
    entries = yaml.safe_load((CONTENT / "changelog.yml").read_text(encoding="utf-8"))
    bad = [
        f"{entry['version']}: {change.get('zh', '')[:30]}"
        for entry in entries
        for change in entry["changes"]
        if not str(change.get("en") or "").strip() or has_cjk(change["en"])
    ]
    assert not bad, f"changes without English text: {bad}"


def test_every_printed_figure_has_an_english_section_and_measure_and_a_note_where_the_chinese_has_one():
    with (CONTENT / "published_figures.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    bad = []
    for row in rows:
        for column in ("section_en", "measure_en"):
            if not row.get(column, "").strip() or has_cjk(row[column]):
                bad.append(f"{row['figure_id']}.{column}")
        if bool(row["note"].strip()) != bool(row.get("note_en", "").strip()) or has_cjk(row.get("note_en", "")):
            bad.append(f"{row['figure_id']}.note_en")
    assert not bad, f"missing or non-English translations in published_figures.csv: {bad}"


def test_every_chart_has_an_english_title_stating_the_same_figures_as_the_chinese_one():
    charts = yaml.safe_load((CONTENT / "charts.yml").read_text(encoding="utf-8"))["charts"]
    with (ROOT / "datasets" / "indicators.csv").open(encoding="utf-8-sig") as handle:
        values = Values(list(csv.DictReader(handle)))
    number = re.compile(r"\d+(?:\.\d+)?%?")
    for chart in charts:
        title = chart["title"]
        assert isinstance(title, dict) and set(title) == {"zh", "en"}, chart["id"]
        assert not has_cjk(title["en"]), chart["id"]
        for series in chart["series"]:
            if "label" in series:
                assert set(series["label"]) == {"zh", "en"} and not has_cjk(series["label"]["en"]), chart["id"]
        if "note" in chart:
            assert set(chart["note"]) == {"zh", "en"} and not has_cjk(chart["note"]["en"]), chart["id"]
        chinese = render_string(title["zh"], values, name=chart["id"])
        english = render_string(title["en"], values, name=chart["id"])
        assert sorted(number.findall(english)) == sorted(number.findall(chinese)), (chart["id"], chinese, english)


# Rendered pages and the built site (once the multilingual engine renders templates/en/).


def rendered_english_pages() -> dict[str, Path]:
    assert (ENGLISH_DOCS / "index.md").is_file(), NOT_RENDERED
    return {path.relative_to(ENGLISH_DOCS).as_posix(): path for path in sorted(ENGLISH_DOCS.rglob("*.md"))}


def rendered_chinese_pages() -> dict[str, Path]:
    return {
        path.relative_to(DOCS).as_posix(): path
        for path in sorted(DOCS.rglob("*.md"))
        if path.relative_to(DOCS).parts[0] != ENGLISH_DOCS.name and not path.name.startswith("_")
    }


def figures_of(text: str) -> set[str]:
    """The numbers a page shows (percentages, counts, bases), as written; dates (2022-10-11) are not figures, and
    neither are the attributes of HTML tags (an image's drawn size differs with the length of its labels)."""
    # The embed snippet is code to copy, not figures: its frame's height follows each edition's drawing.
    text = re.sub(r'<pre class="sp-embed-code">.*?</pre>', " ", text, flags=re.DOTALL)
    shown = re.sub(r"<[^>]*>", " ", text)
    return set(re.findall(r"(?<![A-Za-z0-9_.#-])\d+(?:\.\d+)?%?", re.sub(r"\d{4}-\d{2}-\d{2}", "", shown)))


def test_every_rendered_chinese_page_has_an_english_twin_and_vice_versa():
    english = set(rendered_english_pages())
    chinese = {
        page
        for page, path in rendered_chinese_pages().items()
        if "Generated by surveypress.narrate" in path.read_text()
    }
    assert english == chinese


def test_rendered_english_pages_show_chinese_only_in_allowed_marked_spans():
    allowed = allowed_rendered_chinese()
    problems = []
    for page, path in rendered_english_pages().items():
        text = path.read_text(encoding="utf-8")
        for span in ZH_SPAN.finditer(text):
            if span.group(1) not in allowed:
                problems.append(f"en/{page}: span {span.group(1)[:60]!r} is not allowed")
        for number, line in enumerate(ZH_SPAN.sub("", text).splitlines(), start=1):
            if has_cjk(line):
                problems.append(f"en/{page}:{number}: {line.strip()[:120]}")
    assert not problems, "\n".join(problems)


def test_every_english_page_shows_the_figures_of_its_chinese_twin():
    # The report's figures in words (九成左右, 7成以上) are written as numbers in English ("about 90%", "70% or more"):
    # the only figures allowed on one page of a pair and not the other.
    worded: set[str] = set()
    with (CONTENT / "published_figures.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if has_cjk(row["printed"]):
                worded |= figures_of(row["printed"]) | {row["value"], f"{row['value']}%"}
    chinese = rendered_chinese_pages()
    for page, path in rendered_english_pages().items():
        zh = figures_of(chinese[page].read_text(encoding="utf-8"))
        en = figures_of(path.read_text(encoding="utf-8"))
        assert zh - en <= worded, f"{page}: figures on the Chinese page missing from the English one: {sorted(zh - en)}"
        assert en - zh <= worded, f"{page}: figures only on the English page: {sorted(en - zh)}"


def test_english_shares_with_a_small_base_say_so():
    share = re.compile(r"\d+(?:\.\d+)?% \((?P<few>only )?n=(?P<n>\d+)")
    low_base = spec.load_publication(CONTENT).disclosure.low_base
    seen_low = 0
    for page, path in rendered_english_pages().items():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in share.finditer(line):
                if int(match["n"]) < low_base:
                    seen_low += 1
                    assert match["few"] and "[u]" in line[match.start() :], f"en/{page}:{number}: {match.group(0)}"
                else:
                    assert not match["few"], f"en/{page}:{number}"
    assert seen_low > 0


@pytest.mark.build  # reads the built site/: `make test` builds it first (`make tables site`)
def test_the_language_switcher_leads_from_each_page_to_its_twin():
    assert (SITE / "index.html").is_file(), f"no built site at {SITE}: run `make tables site` first"
    english_site = SITE / "en"
    assert (english_site / "index.html").is_file(), f"no English edition in the built site ({english_site})"
    link = re.compile(r'<a\b[^>]*href="([^"]+)"[^>]*hreflang="([^"]+)"|<a\b[^>]*hreflang="([^"]+)"[^>]*href="([^"]+)"')
    checked = 0
    for page in sorted(english_site.rglob("index.html")):
        twin = SITE / page.relative_to(english_site)
        assert twin.is_file(), f"{page.relative_to(SITE)} has no Chinese twin"
        for html, other in ((page, twin), (twin, page)):
            targets = {}
            for match in link.finditer(html.read_text(encoding="utf-8")):
                href, lang = (match[1], match[2]) if match[1] else (match[4], match[3])
                targets[lang.split("-")[0]] = href
            wanted = "zh" if html == page else "en"
            assert wanted in targets, f"{html.relative_to(SITE)} has no link to its {wanted} twin"
            resolved = (html.parent / targets[wanted]).resolve()
            resolved = resolved / "index.html" if resolved.is_dir() else resolved
            assert resolved == other.resolve(), f"{html.relative_to(SITE)} -> {targets[wanted]}"
            checked += 1
    assert checked
