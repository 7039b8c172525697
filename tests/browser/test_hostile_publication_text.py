"""A publication whose own texts are hostile (what `init` copies from a survey file's title or label), built in both
languages and every page opened in headless Chromium, 404.html included: nothing runs, and each text shows as typed.

Every publication-level text the content can set gets every payload of issue 22: the title and short title (site
name, <title>, header, og:*), the description and short description (meta description), the licence (the footer's
copyright line), contact, next release, contributors, the source's title and publisher, the keywords, temporal and
spatial coverage (the schema.org Dataset's JSON-LD, where no raw angle bracket may end the data block early), and
the menu's section and page titles.
The site_url is a good address here (its canonical link and og:url are checked); a hostile one is refused by the spec
stage (the last test, and tests/test_spec.py, tests/fixtures/bad_inputs/cases.yml).

The same build proves jieba's dictionary cache stays in the project's cache folder: `mkdocs build` runs with its own
temporary folder holding a planted `jieba.cache`, under an audit hook that records every file it opens whose path
holds "jieba", outside the installed package.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "tiny"

PAYLOAD = " ".join(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(2)>",
        "<svg onload=alert(3)>",
        '"><script>alert(4)</script>',
        "{{ 7*7 }}",
        "&amp;",
    ]
)


def hostile(field: str) -> str:
    """The field's name (to find it on the page) and every payload."""
    return f"{field} {PAYLOAD}"


TEXTS = {
    language: {
        field: hostile(f"{field}-{language}")
        for field in (
            "title",
            "short",
            "description",
            "summary",
            "contact",
            "next",
            "home",
            "section",
            "about",
            "place",
        )
    }
    for language in ("zh", "en")
}
SHARED = {field: hostile(field) for field in ("licence", "curator", "publisher", "source", "keyword", "period")}
SITE_URL = "https://data.example.org/survey/"
TEMPLATE = """\
# {{{{ meta.title | t }}}}

{{{{ meta.description | t }}}}

- {{{{ meta.contact | t }}}}
- {{{{ meta.next_release | t }}}}
- {{{{ meta.contributors[0].title }}}}
- {{{{ meta.sources[0].publisher }}}}

{{{{ pct('p_used', 1) }}}} ({lang}) 网上办事
"""
ABOUT = "# {{ meta.title | t }}\n\n{{ meta.description | t }}\n"


def hostile_project(tmp: Path) -> Path:
    project = tmp / "hostile"
    shutil.copytree(TINY, project)
    content = project / "publication"
    meta_path = content / "publication.yml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    per_language = {key: {language: TEXTS[language][field] for language in TEXTS} for key, field in FIELDS.items()}
    meta.update(per_language)
    meta["site_url"] = SITE_URL
    meta["licenses"] = [{"name": SHARED["licence"], "title": SHARED["licence"], "path": "https://example.org/l"}]
    meta["contributors"] = [{"title": SHARED["curator"], "roles": ["datacurator"]}]
    meta["sources"] = [{"title": SHARED["source"], "publisher": SHARED["publisher"], "date": "2022"}]
    # Texts that reach only the schema.org Dataset (a JSON-LD data block on the front and downloads pages).
    meta["keywords"] = [SHARED["keyword"]]
    meta["temporal_coverage"] = SHARED["period"]
    meta["navigation"] = [
        {"page": "index", "title": {language: TEXTS[language]["home"] for language in TEXTS}},
        {
            "section": {language: TEXTS[language]["section"] for language in TEXTS},
            "pages": [{"page": "about", "title": {language: TEXTS[language]["about"] for language in TEXTS}}],
        },
    ]
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    templates = content / "templates"
    (templates / "en").mkdir()
    for folder, language in ((templates, "zh"), (templates / "en", "en")):
        (folder / "index.md.j2").write_text(TEMPLATE.format(lang=language), encoding="utf-8")
        (folder / "about.md.j2").write_text(ABOUT, encoding="utf-8")
    # Chart titles in both languages (the English edition draws its own), as tests/test_i18n.py's bilingual().
    charts = content / "charts.yml"
    old = "    title: \"{{ pct('p_used', 1) }}的居民用过网上办事\""
    text = charts.read_text(encoding="utf-8")
    assert old in text
    new = (
        "    title:\n      zh: \"{{ pct('p_used', 1) }}的居民用过网上办事\"\n"
        "      en: \"{{ pct('p_used', 1) }} used it\""
    )
    charts.write_text(text.replace(old, new), encoding="utf-8")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    return project


# publication.yml key -> the field of TEXTS it holds.
FIELDS = {
    "title": "title",
    "short_title": "short",
    "description": "description",
    "short_description": "summary",
    "contact": "contact",
    "next_release": "next",
    "spatial_coverage": "place",
}

# Runs `mkdocs build` recording every jieba cache file it opens (an audit hook: no strace needed).
AUDITED_MKDOCS = """
import json, os, sys
opened, every = [], set()
def audit(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        name = args[0].decode() if isinstance(args[0], bytes) else args[0]
        every.add(os.path.abspath(name))
        if "jieba" in name and "site-packages" not in name:  # its cache, not its own code and dictionary
            opened.append(name)
sys.addaudithook(audit)
from mkdocs.__main__ import cli
try:
    cli(sys.argv[2:], prog_name="mkdocs")
finally:
    with open(sys.argv[1], "w", encoding="utf-8") as record:
        json.dump({"jieba": opened, "every": sorted(every)}, record)
"""


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("hostile-text")
    project = hostile_project(tmp)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
    environment.pop("SURVEYPRESS_CACHE_DIR", None)
    built = subprocess.run(
        [sys.executable, str(ROOT / "build_tables.py"), "--content", "publication"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    # A private "shared" temporary folder with a planted cache: jieba would read it with marshal.
    shared = tmp / "shared-tmp"
    shared.mkdir()
    planted = shared / "jieba.cache"
    planted.write_bytes(b"planted by another user")
    record = tmp / "opened.json"
    site = subprocess.run(
        [sys.executable, "-c", AUDITED_MKDOCS, str(record), "build", "--strict", "--site-dir", str(project / "site")],
        cwd=project,
        env={**environment, "TMPDIR": str(shared)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert site.returncode == 0, site.stderr
    return {
        "site": project / "site",
        "project": project,
        "shared": shared,
        "planted": hashlib.sha256(b"planted by another user").hexdigest(),
        "opened": json.loads(record.read_text(encoding="utf-8"))["jieba"],
        "every": json.loads(record.read_text(encoding="utf-8"))["every"],
        "record": record,
    }


@pytest.fixture(scope="module")
def hostile_url(hostile_build: dict):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(hostile_build["site"]))
    handler.log_message = lambda *arguments: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# What a page holds once loaded: every event-handler attribute, every script's text, and the texts to compare.
INSPECT = """() => {
  const elements = [...document.querySelectorAll('*')];
  const meta = (selector) => {
    const e = document.querySelector(selector);
    return e ? e.getAttribute('content') : null;
  };
  const text = (selector) =>
    [...document.querySelectorAll(selector)].map(e => e.textContent.replace(/\\s+/g, ' ').trim());
  return {
    handlers: elements.flatMap(
      e => [...e.attributes].filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
    // Scripts the browser runs; a JSON-LD data block is never run, and holds no raw angle bracket to end it early.
    scripts: [...document.scripts].filter(s => !s.type || /javascript|module/.test(s.type))
      .map(s => s.src ? '' : s.textContent).filter(t => /alert|7\\*7/.test(t)),
    data_blocks_with_brackets: [...document.querySelectorAll('script[type="application/ld+json"]')]
      .filter(s => /[<>]/.test(s.textContent)).length,
    data_blocks: [...document.querySelectorAll('script[type="application/ld+json"]')].map(s => s.textContent),
    planted: document.querySelectorAll('svg[onload], img[src="x"]').length,
    title: document.title,
    header: text('.md-header__topic'),
    copyright: text('.md-copyright__highlight'),
    nav: text('.md-nav__link'),
    description: meta('meta[name="description"]'),
    og_site_name: meta('meta[property="og:site_name"]'),
    og_title: meta('meta[property="og:title"]'),
    og_description: meta('meta[property="og:description"]'),
    og_url: meta('meta[property="og:url"]'),
    canonical: (document.querySelector('link[rel="canonical"]') || {}).href || null,
    logo: (document.querySelector('.md-header__button.md-logo') || {title: null}).title,
    article: document.querySelector('article') ? document.querySelector('article').innerText.replace(/\\s+/g, ' ') : '',
  };
}"""
PAGES = ["index.html", "about.html", "en/index.html", "en/about.html", "404.html"]


def open_page(chromium, url: str) -> tuple[dict, list[str]]:
    context = chromium.new_context(service_workers="block")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    found = page.evaluate(INSPECT)
    context.close()
    return found, dialogs


@pytest.mark.parametrize("path", PAGES)
def test_hostile_publication_texts_run_nothing_and_show_as_typed_on_every_page(chromium, hostile_url, path):
    found, dialogs = open_page(chromium, hostile_url + path)
    language = "en" if path.startswith("en/") else "zh"
    texts = TEXTS[language]
    site_name = texts["short"]

    assert dialogs == []
    assert found["handlers"] == [] and found["scripts"] == [] and found["planted"] == 0
    assert found["data_blocks_with_brackets"] == 0
    # The site name as typed, in <title>, the header, the logo's tooltip, og:site_name; no `&amp;lt;`, no 49.
    assert found["og_site_name"] == site_name and found["logo"] == site_name
    assert site_name in found["header"]
    assert found["copyright"] and SHARED["licence"] in found["copyright"][0]
    # The page's menu title before the site name; the site's home page (and 404) has the site name alone.
    page_title = {"about.html": texts["about"], "en/about.html": texts["about"], "en/index.html": texts["home"]}
    shown_title = f"{page_title[path]} - {site_name}" if path in page_title else site_name
    assert found["title"] == shown_title == found["og_title"]
    if path != "404.html":
        assert texts["home"] in found["nav"] and texts["section"] in found["nav"] and texts["about"] in found["nav"]
    if path == "404.html":
        assert found["description"] == texts["summary"] == found["og_description"]
    else:
        # The page's first paragraph (the description), cut near 120 characters, and its canonical address.
        assert texts["description"].startswith(found["description"].rstrip("…")) and len(found["description"]) > 40
        assert found["og_description"] == found["description"]
        assert found["canonical"] == found["og_url"] == SITE_URL + path
    if path.endswith("index.html"):
        # The front page's schema.org Dataset holds the texts only it shows, as typed once parsed.
        (dataset,) = [json.loads(block) for block in found["data_blocks"]]
        assert dataset["name"] == texts["title"] and dataset["keywords"] == [SHARED["keyword"]]
        assert dataset["temporalCoverage"] == SHARED["period"] and dataset["spatialCoverage"]["name"] == texts["place"]
        for shown in (texts["title"], texts["contact"], texts["next"], SHARED["curator"], SHARED["publisher"]):
            assert shown in found["article"]


def test_the_generated_config_holds_each_text_as_typed_and_reads_back_as_text(hostile_build):
    from mkdocs.utils.yaml import yaml_load

    generated = (hostile_build["project"] / "mkdocs.generated.yml").read_text(encoding="utf-8")
    config = yaml_load(generated)
    assert config["site_name"] == TEXTS["zh"]["short"]
    assert config["site_description"] == TEXTS["zh"]["summary"]
    assert config["nav"][1] == {TEXTS["zh"]["section"]: [{TEXTS["zh"]["about"]: "about.md"}]}
    (i18n,) = [plugin["i18n"] for plugin in config["plugins"] if isinstance(plugin, dict) and "i18n" in plugin]
    assert i18n["languages"][1]["site_name"] == TEXTS["en"]["short"]


def test_mkdocs_build_neither_reads_nor_writes_jieba_cache_in_the_shared_temporary_folder(hostile_build):
    cache = hostile_build["project"] / ".cache" / "surveypress" / "jieba"
    planted = hostile_build["shared"] / "jieba.cache"
    assert hostile_build["opened"], "jieba opened no cache at all: did search segment Chinese?"
    assert all(Path(name).resolve().is_relative_to(cache.resolve()) for name in hostile_build["opened"])
    assert hashlib.sha256(planted.read_bytes()).hexdigest() == hostile_build["planted"]
    assert sorted(path.name for path in hostile_build["shared"].iterdir()) == ["jieba.cache"]
    assert (cache / "jieba.cache").is_file()


def test_mkdocs_build_opens_nothing_outside_the_project_its_cache_and_the_installed_code(hostile_build):
    """Issue 22's last condition: every file `mkdocs build` opens is in the project (its cache included), the engine,
    or Python and its installed packages; the system's time zone data is the one file of the system it reads."""
    import site

    places = {hostile_build["project"], ROOT / "surveypress", Path(sys.prefix), Path(sys.base_prefix)}
    # The engine's own metadata, where an install for development (`pip install -e .`) keeps it: MkDocs reads its entry
    # points there to find the surveypress plugin.
    places |= {ROOT / "surveypress.egg-info"}
    places |= {Path(folder) for folder in site.getsitepackages()}
    places |= {place.resolve() for place in places} | {Path("/usr/share/zoneinfo")}
    outside = [
        name
        for name in hostile_build["every"]
        if Path(name) != hostile_build["record"] and not any(Path(name).is_relative_to(place) for place in places)
    ]
    assert outside == []


def test_a_site_url_that_breaks_out_of_the_canonical_link_is_refused_before_anything_is_built(tmp_path):
    from surveypress import content as spec
    from surveypress.errors import InputError

    project = hostile_project(tmp_path)
    meta_path = project / "publication" / "publication.yml"
    attack = 'https://example.org/"><script>alert(1)</script>'
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(yaml.safe_dump({**meta, "site_url": attack}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        spec.load_publication(project / "publication")
    assert (refused.value.column, refused.value.value) == ("site_url", attack)
