"""MkDocs event handlers, run by the `surveypress` plugin (website/plugin.py), that make the site shareable: the
site's address from publication.yml and a description of each page taken from its own text.

- `site_url`: publication.yml's `site_url`, which site.py writes into mkdocs.generated.yml (the spec stage reads
  publication.yml; this module does not); else, on GitHub Actions, the GitHub Pages address of the repository,
  `https://<owner>.github.io/<repository>/` (from `GITHUB_REPOSITORY`). With it MkDocs writes a full sitemap and a
  canonical link per page, and the 404 page loads its assets from the project path instead of the domain root.
- `page.meta.description`: the page's first paragraph of prose (the synthetic-data notice and the release box
  skipped), cut at a sentence end near 120 characters; Material writes it as the meta description and
  overrides/main.html as the Open Graph description.
- the one 404 page, at the root, stays in the primary language (mkdocs-static-i18n builds every edition into the
  same site folder, and the last edition built would otherwise leave its 404 page there);
- without an address the sitemap lists no page (a sitemap needs full addresses; MkDocs would write `None` before
  every path), and says why;
- one search index per edition: mkdocs-static-i18n merges every edition's entries into search/search_index.json
  with one set of language settings (so English words went through the Chinese pipeline and "government" was not
  found). After its build, `split_search_index` writes each edition's entries to its own folder's
  search/search_index.json with that language's settings (site.search_settings), and `edition_base` points the
  `base` of Material's page config at the edition's folder, where Material looks for the index and resolves results.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from pathlib import Path

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from mkdocs.utils import write_file

from surveypress import layout
from surveypress.address import site_url_for
from surveypress.languages import SOURCE_LANGUAGE
from surveypress.publish import metadata
from surveypress.text import theme_text

log = logging.getLogger("mkdocs.hooks.surveypress")
CONTENT_ENV = "SURVEYPRESS_CONTENT"
DESCRIPTION_LENGTH = 120
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
# The check marker beside a figure is a link, not prose.
_CHECK = re.compile(r'<a class="sp-check".*?</a>', re.DOTALL)
# Paragraphs that are not the page's own content: the notice every page carries starts with a bold label.
_SKIP = re.compile(r"^\s*<strong>")


def on_config(config, **kwargs):
    # publication.yml's site_url reaches the config through mkdocs.generated.yml (site.py, from the spec stage).
    if config.get("site_url"):
        return config
    url = site_url_for({}, dict(os.environ))
    if url:
        config["site_url"] = url
    else:
        log.info("no site_url in publication.yml and not on GitHub Actions: no canonical links or sitemap addresses")
    return config


def description_from(content: str) -> str:
    """The first paragraph of prose in a page's HTML, as plain text of about DESCRIPTION_LENGTH characters."""
    for paragraph in _PARAGRAPH.findall(content):
        if _SKIP.match(paragraph):
            continue
        text = " ".join(html.unescape(_TAG.sub("", _CHECK.sub("", paragraph))).split())
        if len(text) < 20:
            continue
        if len(text) <= DESCRIPTION_LENGTH:
            return text
        cut = text[:DESCRIPTION_LENGTH]
        # Sentence ends: the ideographic full stop and full-width semicolon (escaped: no CJK in engine code), . and ;
        end = max(cut.rfind(mark) for mark in "\u3002\uff1b.;")
        return cut[: end + 1] if end >= DESCRIPTION_LENGTH // 2 else cut.rstrip() + "…"
    return ""


def on_page_content(content, page, config, files, **kwargs):
    if not page.meta.get("description"):
        description = description_from(content)
        if description:
            # Material prints it into an attribute as it is: escaped once, as Markup.
            page.meta["description"] = theme_text(description)
    return content


def page_metadata(context: dict, page, config) -> dict:
    """Adds to a page's template context its Open Graph locale (`sp_og_locale`, from the edition's language) and, on
    each edition's front page and downloads page, the schema.org Dataset of the data package (`sp_dataset`, a
    <script> safe to print as it is)."""
    language = str(config.theme.get("language") or SOURCE_LANGUAGE)
    context["sp_og_locale"] = metadata.og_locale(language)
    if page is None:
        return context
    primary, others = editions(config)
    parts = str(page.url).split("/")
    edition = parts[0] if len(parts) > 1 and parts[0] in others else ""
    name = "/".join(parts[1:] if edition else parts)
    if name not in ("index.html", f"{layout.DOWNLOADS}.html", ""):
        return context
    package = _package(Path(config["docs_dir"]) / layout.DOWNLOADS / layout.DATAPACKAGE)
    if package is None:
        return context
    site = config.get("site_url") or ""
    up = "../" * (len(parts) - 1)
    home = f"{edition}/index.html" if edition else "index.html"
    dataset = metadata.dataset_jsonld(
        package,
        metadata.edition_language(package, language),
        lambda path: f"{site or up}{layout.DOWNLOADS}/{path}",
        f"{site}{home}" if site else (up + home),
    )
    context["sp_dataset"] = Markup(metadata.jsonld_script(dataset))
    return context


_packages: dict[tuple[str, int], dict | None] = {}


def _package(path: Path) -> dict | None:
    """The data package the build copied into the downloads folder, read once per build of each edition."""
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return None
    if key not in _packages:
        _packages[key] = json.loads(path.read_text(encoding="utf-8"))
    return _packages[key]


_CONFIG_SCRIPT = re.compile(r'(<script id="__config" type="application/json">)(.*?)(</script>)', re.DOTALL)
SEARCH_INDEX = "search/search_index.json"


def editions(config) -> tuple[str, list[str]]:
    """The primary edition's language and the others' (each built in its folder), from mkdocs-static-i18n."""
    i18n = config.plugins.get("i18n")
    if i18n is None:
        return str(config.theme.get("language") or SOURCE_LANGUAGE), []
    languages = [str(language.locale) for language in i18n.config.languages if language.build]
    primary = str(i18n.default_language)
    return primary, [language for language in languages if language != primary]


def edition_base(output: str, folder: str) -> str:
    """The page's HTML with Material's `base` pointing at the edition's folder (`../..` -> `../../en/`)."""

    def rebase(match: re.Match) -> str:
        settings = json.loads(match.group(2))
        settings["base"] = str(settings.get("base") or ".").rstrip("/") + f"/{folder}/"
        # As Material's template writes it (Jinja's tojson: sorted keys, <, >, & and ' escaped).
        return match.group(1) + str(htmlsafe_json_dumps(settings, sort_keys=True)) + match.group(3)

    return _CONFIG_SCRIPT.sub(rebase, output, count=1)


def split_search_index(site_dir: str | Path, primary: str, others: list[str], settings) -> None:
    """Writes each edition's entries, with `settings(language)`, to its folder's search index (the primary's at
    the root); locations become relative to the edition's folder, as Material resolves them against `base`."""
    path = Path(site_dir) / SEARCH_INDEX
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    docs = index.get("docs") or []
    prefixes = tuple(f"{language}/" for language in others)
    parts = {primary: [doc for doc in docs if not str(doc["location"]).startswith(prefixes)]}
    for language in others:
        prefix = f"{language}/"
        parts[language] = [
            {**doc, "location": str(doc["location"])[len(prefix) :]}
            for doc in docs
            if str(doc["location"]).startswith(prefix)
        ]
    for language, entries in parts.items():
        folder = Path(site_dir) if language == primary else Path(site_dir) / language
        data = {"config": {**index.get("config", {}), **settings(language)}, "docs": entries}
        # As Material's search plugin writes it: compact separators.
        write_file(json.dumps(data, separators=(",", ":"), default=str).encode("utf-8"), str(folder / SEARCH_INDEX))


def on_post_page(output, page, config, **kwargs):
    primary, others = editions(config)
    folder = str(page.url).split("/", 1)[0]
    if folder in others and "/" in str(page.url):
        return edition_base(output, folder)
    return output


def on_post_build(config, settings, **kwargs):
    i18n = config.plugins.get("i18n")
    if i18n is None or getattr(i18n, "building", False):
        # One edition: its index already has its settings. Mid-way through mkdocs-static-i18n's builds: wait.
        return
    primary, others = editions(config)
    split_search_index(config["site_dir"], primary, others, settings)


EMPTY_SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<!-- No site_url in publication.yml (and not built on GitHub Actions): a sitemap needs the site's full address,"
    " so it lists no page. -->\n"
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n'
)


def on_post_template(output, template_name, config, **kwargs):
    if template_name == "sitemap.xml" and not config.get("site_url"):
        return EMPTY_SITEMAP
    i18n = config.plugins.get("i18n") if hasattr(config, "plugins") else None
    if template_name == "404.html" and i18n is not None and i18n.current_language != i18n.default_language:
        # There is one 404 page, at the root; each edition's build writes it again, and the last one built would
        # leave it in that language. MkDocs writes nothing for an empty template, so the primary edition's stays.
        return ""
    return output
