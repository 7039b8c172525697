"""MkDocs event handlers, run by the `surveypress` plugin (mkdocs_plugin.py), that make the site shareable: the
site's address from publication.yml and a description of each page taken from its own text.

- `site_url`: publication.yml's `site_url`; else, on GitHub Actions, the GitHub Pages address of the repository,
  `https://<owner>.github.io/<repository>/` (from `GITHUB_REPOSITORY`). With it MkDocs writes a full sitemap and a
  canonical link per page, and the 404 page loads its assets from the project path instead of the domain root.
- the front page hides Material's navigation sidebar: it lists the sections itself, as a bulletin does;
- `page.meta.description`: the page's first paragraph of prose (the synthetic-data notice and the release box
  skipped), cut at a sentence end near 120 characters; Material writes it as the meta description and
  overrides/main.html as the Open Graph description.
"""

from __future__ import annotations

import html
import logging
import os
import re
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger("mkdocs.hooks.surveypress")
CONTENT_ENV = "SURVEYPRESS_CONTENT"
DESCRIPTION_LENGTH = 120
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
# The check marker beside a figure is a link, not prose.
_CHECK = re.compile(r'<a class="sp-check".*?</a>', re.DOTALL)
# Paragraphs that are not the page's own content: the notice every page carries starts with a bold label.
_SKIP = re.compile(r"^\s*<strong>")


def site_url_for(meta: dict[str, Any], environ: dict[str, str]) -> str | None:
    """The published address: publication.yml's `site_url`, else the GitHub Pages one on GitHub Actions."""
    url = str(meta.get("site_url") or "").strip()
    if url:
        return url if url.endswith("/") else url + "/"
    repository = environ.get("GITHUB_REPOSITORY", "")
    if "/" in repository:
        owner, name = repository.split("/", 1)
        if name.lower() == f"{owner.lower()}.github.io":
            return f"https://{owner.lower()}.github.io/"
        return f"https://{owner.lower()}.github.io/{name}/"
    return None


def on_config(config, **kwargs):
    if config.get("site_url"):
        return config
    content = Path(config["config_file_path"]).parent / os.environ.get(CONTENT_ENV, "publication")
    meta_path = content / "publication.yml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    url = site_url_for(meta or {}, dict(os.environ))
    if url:
        config["site_url"] = url
    else:
        log.info("no site_url in %s and not on GitHub Actions: no canonical links or sitemap addresses", meta_path)
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


def on_page_markdown(markdown, page, config, files, **kwargs):
    # The front page is a bulletin that lists every section itself: no navigation sidebar beside it.
    if page.is_homepage:
        page.meta.setdefault("hide", ["navigation"])
    return markdown


def on_page_content(content, page, config, files, **kwargs):
    if not page.meta.get("description"):
        description = description_from(content)
        if description:
            page.meta["description"] = description
    return content
