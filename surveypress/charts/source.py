"""The source line under every chart and drawn into its downloads: charts.yml's `source` template, else the
publisher, data set, licence and, for synthetic data, the warning, from publication.yml."""

from __future__ import annotations

import re
from typing import Any

from surveypress import i18n
from surveypress.address import site_url_for
from surveypress.charts.model import CHARTS_FILE, in_language, is_text_or_texts
from surveypress.content import Publication, meta_text
from surveypress.errors import InputError
from surveypress.i18n import _
from surveypress.languages import serves
from surveypress.values import Values, render_string

# Ordinary white space: what a line break in a template or a run of spaces is written with.
SPACES = re.compile(r"[ \t\r\n\f\v]+")


def source_line(pub: Publication, values: Values) -> str:
    """The line under every chart and drawn into its downloads: publisher, data set, licence and, for synthetic
    data, the warning; from the `source` template of charts.yml (Jinja2 with `meta`; one string, or one per
    language like a title), else `default_source` in the current language."""
    path = pub.content_dir / CHARTS_FILE
    document = pub.document(CHARTS_FILE)
    template = document.get("source") if isinstance(document, dict) else None
    if template is not None and not is_text_or_texts(template):
        raise InputError(path, "a Jinja2 template string, or one per language", column="source", value=template)
    template = in_language(template)
    if not template:
        line = _one_line(default_source(pub))
    else:
        line = _one_line(render_string(template, values, name=f"{path}, source", meta=pub.meta))
    # A reused image names where it came from: the site's address, when publication.yml gives one.
    address = site_url_for(pub.meta, {})
    return _("{source} Online: {address}").format(source=line, address=address) if address else line


def _one_line(text: str) -> str:
    """The text on one line, each run of spaces and line breaks one space; a no-break space (French puts one before
    a colon) is kept."""
    return " ".join(SPACES.split(text.strip(" \t\r\n\f\v")))


def default_source(pub: Publication) -> str:
    """The source line of a publication whose charts.yml gives none, from publication.yml in the current language:
    publisher, title and version, licence and, for synthetic data, the warning; a part without its value is left out.
    Each sentence carries the trailing space its language puts after it (none in Chinese)."""
    meta = pub.meta
    language = i18n.current()
    publisher = _meta_piece((meta.get("sources") or [{}])[0].get("publisher"), language)
    licence = _meta_piece((meta.get("licenses") or [{}])[0].get("name"), language)
    parts = [_("Source: {publisher}. ").format(publisher=publisher)] if publisher else []
    parts.append(
        _("Data: {title}, version {version}. ").format(
            title=meta_text(pub, "title", language) or str(meta.get("name", "")), version=meta.get("version", "")
        )
    )
    if licence:
        parts.append(_("Licence: {licence}. ").format(licence=licence))
    if meta.get("synthetic"):
        parts.append(_("Synthetic microdata: cross-tabulations say nothing about real respondents."))
    return "".join(parts)


def _meta_piece(value: Any, language: str) -> str:
    """A publication.yml value given once or per language (a source's publisher), in `language`."""
    if isinstance(value, dict):
        return next((str(text) for key, text in value.items() if serves(str(key), language) and text), "")
    return "" if value is None else str(value)
