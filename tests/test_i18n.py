"""Languages as data: engine text comes from the catalogues, labels serve the declared languages, each edition of
the site is built from its own templates, and an English publication carries no Chinese the content did not give."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from surveypress import build, i18n
from surveypress.content import Label, Option

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "surveypress"
TINY = ROOT / "tests" / "fixtures" / "tiny"
# Han, Kana, Hangul and the full-width forms Chinese text uses (the full-width tilde of ranges among them).
CJK = re.compile(
    r"[\u1100-\u11ff\u3000-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+"
)


def test_engine_source_holds_no_cjk_character():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(ENGINE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if CJK.search(line)
    ]
    assert not found, "CJK text belongs in the catalogues (surveypress/locale), not in code:\n" + "\n".join(found)


def test_compiled_catalogues_match_their_po_files():
    for po in sorted((ENGINE / "locale").glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            catalogue = read_po(handle)
        compiled = io.BytesIO()
        write_mo(compiled, catalogue)
        assert po.with_suffix(".mo").read_bytes() == compiled.getvalue(), f"{po}: run scripts/update_catalogues.sh"


def test_every_message_in_the_code_is_in_every_catalogue_and_translated_into_chinese():
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    in_code = {message for _file, _line, message, _comments, _context in extract_from_dir(ENGINE, keywords=keywords)}
    for po in sorted((ENGINE / "locale").glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            catalogue = read_po(handle)
        assert in_code <= {message.id for message in catalogue if message.id}, f"{po}: run scripts/update_catalogues.sh"
    with (ENGINE / "locale" / "zh_Hans" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        chinese = read_po(handle)
    assert [message.id for message in chinese if message.id and not message.string] == []


def test_every_translated_catalogue_translates_every_message_keeping_its_fields():
    """French as Chinese: no message left in English, and every `{field}` of a message is in its translation."""
    fields = re.compile(r"\{[^{}]*\}")
    for po in sorted((ENGINE / "locale").glob("*/LC_MESSAGES/messages.po")):
        if po.parts[-3] == "en":
            continue
        with po.open("rb") as handle:
            catalogue = read_po(handle)
        for message in catalogue:
            if not message.id:
                continue
            assert message.string, f"{po}: {message.id!r} is not translated"
            if "python-brace-format" in message.flags:
                assert sorted(fields.findall(message.string)) == sorted(fields.findall(message.id)), (po, message.id)


def test_a_label_key_serves_a_tag_with_that_primary_subtag():
    label = Label(texts={"zh": "居民", "en": "Residents"})
    assert label.text("zh-Hans") == "居民"
    assert label.text("en") == "Residents"
    assert Label(texts={"zh-Hans": "居民"}).zh == "居民"
    with pytest.raises(AttributeError):
        _ = Label(texts={"en": "Residents"}).zh
    assert Option(1, "是", "Yes").text("en") == "Yes"


def test_a_label_reads_every_language_alike():
    """No language is special: a template reads `option.fr` or `title.ja` as it reads `option.zh`."""
    label = Label(texts={"fr": "Habitants", "zh-Hant": "居民", "ja": "住民"})
    assert (label.fr, label.zh, label.ja) == ("Habitants", "居民", "住民")
    assert label.text("fr-CA") == "Habitants" and label.text("zh-Hant") == "居民"
    with pytest.raises(AttributeError):
        _ = label.en
    assert Label(fr="Habitants", de="Einwohner").text("de") == "Einwohner"
    assert getattr(label, "code", None) is None and getattr(label, "items", None) is None
    with pytest.raises(TypeError):
        Label("a", "b", "c")


def test_french_numbers_and_percents_follow_the_french_locale():
    with i18n.language("fr"):
        assert i18n.format_number(1234.5, 1) == "1\u202f234,5"
        assert i18n.format_percent(84.05) == "84,1\u00a0%"
        assert i18n._("Total") == "Total" and i18n._("Source") == "Source"
        assert i18n._("Percent") == "Pourcentage"


def test_numbers_and_intervals_follow_the_language():
    with i18n.language("zh-Hans"):
        assert i18n.format_interval(i18n.format_percent(84.05), i18n.format_percent(92.449)) == "84.1%～92.4%"
    with i18n.language("en"):
        assert i18n.format_interval(i18n.format_percent(84.05), i18n.format_percent(92.449)) == "84.1%–92.4%"
        assert i18n.format_number(12345) == "12,345"


def english_only(project: Path) -> None:
    """Turns a copy of the tiny fixture into an English-only publication: no 'zh' text anywhere in its content."""
    content = project / "publication"

    def strip(node):
        if isinstance(node, dict):
            return {key: strip(value) for key, value in node.items() if not (key == "zh" and "en" in node)}
        if isinstance(node, list):
            return [strip(value) for value in node]
        return node

    for name in ("publication.yml", "codebook.yml", "indicators.yml", "changelog.yml"):
        path = content / name
        document = strip(yaml.safe_load(path.read_text(encoding="utf-8")))
        if name == "publication.yml":
            document["languages"] = ["en"]
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (content / "charts.yml").write_text(
        "charts:\n  - id: used_online\n    page: index\n    series:\n      - {indicator: p_used}\n    sort: none\n"
        "    title: \"{{ pct('p_used', 1) }} of residents used online services\"\n",
        encoding="utf-8",
    )
    (content / "templates" / "index.md.j2").write_text(
        "# Tiny test survey\n\n{{ pct('p_used', 1) }} of residents used online services (n={{ base('p_used') }}), "
        "interval {{ ci('p_used', 1) }}.\n\n{{ chart(\"used_online\") }}\n",
        encoding="utf-8",
    )


def content_cjk(project: Path) -> set[str]:
    """Every CJK run the content folder itself holds (e.g. the report's wording in published_figures.csv)."""
    runs: set[str] = set()
    for path in (project / "publication").rglob("*"):
        if path.is_file():
            runs.update(CJK.findall(path.read_text(encoding="utf-8")))
    return runs


def test_an_english_build_has_no_cjk_text_its_content_did_not_provide(tmp_path: Path):
    project = tmp_path / "english"
    shutil.copytree(TINY, project)
    english_only(project)
    assert build.main(["--content", str(project / "publication")], stream=io.StringIO()) == 0
    allowed = content_cjk(project)
    outputs = [project / "datapackage.json", project / "mkdocs.generated.yml"]
    outputs += [path for path in (project / "datasets").rglob("*.csv") if "microdata" not in path.parts]
    outputs += [path for path in (project / "docs").rglob("*") if path.suffix in (".md", ".svg", ".csv", ".json")]
    texts = {str(path.relative_to(project)): path.read_text(encoding="utf-8") for path in outputs}
    with zipfile.ZipFile(project / "docs" / "downloads" / "tiny-survey-0.1.0.zip") as archive:
        # The archive unpacks into one folder named after it.
        texts["README.md in the archive"] = archive.read("tiny-survey-0.1.0/README.md").decode("utf-8")
    untranslated = {
        f"{name}: {run}"
        for name, text in texts.items()
        for run in CJK.findall(text)
        if not any(run in given for given in allowed)
    }
    assert not untranslated, sorted(untranslated)
    assert "languages: []" not in (project / "mkdocs.generated.yml").read_text(encoding="utf-8")


def bilingual(project: Path) -> None:
    """The tiny fixture with English templates beside its flat Chinese ones and chart titles in both languages."""
    english = project / "publication" / "templates" / "en"
    english.mkdir()
    (english / "index.md.j2").write_text(
        "# {{ meta.title | t }}\n\n{{ pct('p_used', 1) }} of residents used online services.\n\n"
        '{{ chart("used_online") }}\n\n[All data]({{ data_root }}{{ archive }})\n\n'
        "{% for row in reconciliation %}- {{ row.reason }}\n{% endfor %}",
        encoding="utf-8",
    )
    charts = project / "publication" / "charts.yml"
    text = charts.read_text(encoding="utf-8")
    old = "    title: \"{{ pct('p_used', 1) }}的居民用过网上办事\""
    assert old in text
    new = (
        "    title:\n      zh: \"{{ pct('p_used', 1) }}的居民用过网上办事\"\n"
        "      en: \"{{ pct('p_used', 1) }} of residents used online services\""
    )
    charts.write_text(text.replace(old, new), encoding="utf-8")


def test_each_language_with_templates_is_an_edition_with_its_own_pages_and_charts(tmp_path: Path):
    project = tmp_path / "both"
    shutil.copytree(TINY, project)
    bilingual(project)
    assert build.main(["--content", str(project / "publication")], stream=io.StringIO()) == 0
    chinese = (project / "docs" / "index.md").read_text(encoding="utf-8")
    english = (project / "docs" / "en" / "index.md").read_text(encoding="utf-8")
    assert "查看数据表" in chinese and "～" in chinese
    assert "Show the data table" in english and not CJK.search(english)
    assert "# Tiny test survey" in english and "as in the report" in english
    assert (project / "docs" / "assets" / "charts" / "en" / "used_online.svg").is_file()
    assert "Total" in (project / "datasets" / "indicators.csv").read_text(encoding="utf-8").splitlines()[1]
    config = yaml.safe_load((project / "mkdocs.generated.yml").read_text(encoding="utf-8"))
    (i18n_plugin,) = [plugin["i18n"] for plugin in config["plugins"] if isinstance(plugin, dict) and "i18n" in plugin]
    assert [language["locale"] for language in i18n_plugin["languages"]] == ["zh", "en"]


@pytest.mark.slow
def test_a_bilingual_site_builds_strictly_with_a_switcher_and_alternates(tmp_path: Path):
    project = tmp_path / "both"
    shutil.copytree(TINY, project)
    bilingual(project)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    assert build.main(["--content", str(project / "publication")], stream=io.StringIO()) == 0
    result = subprocess.run(
        [str(Path(sys.executable).with_name("mkdocs")), "build", "--strict"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "946684800"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    root = (project / "site" / "index.html").read_text(encoding="utf-8")
    english = (project / "site" / "en" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in root and '<html lang="en"' in english
    assert 'hreflang="en"' in root and 'hreflang="zh"' in english
    assert "site.css" in english and (project / "site" / "assets" / "stylesheets" / "site.css").is_file()


@pytest.mark.slow
def test_the_readme_recipe_publishes_an_english_survey(tmp_path: Path):
    """Replace publication/ and datasets/microdata/, run the build and the site: no edit to mkdocs.yml."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Makefile", "mkdocs.yml", "build_tables.py"):
        shutil.copy(ROOT / name, project / name)
    english = tmp_path / "english"
    shutil.copytree(TINY, english)
    english_only(english)
    shutil.copytree(english / "publication", project / "publication")
    shutil.copytree(english / "datasets" / "microdata", project / "datasets" / "microdata")
    venv = Path(sys.executable).parent.parent
    result = subprocess.run(
        ["make", "tables", "site", f"VENV={venv}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    page = (project / "site" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en"' in page
    assert not CJK.search(page.split("<body", 1)[1].split('<footer class="md-footer"', 1)[0])
