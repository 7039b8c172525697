"""The theme's stylesheet: every custom property it reads is one it sets, and none is set from itself (a property
whose value reads itself is invalid, so every rule using it silently falls back to the inherited colour: the light
scheme's muted text lost its colour that way)."""

from __future__ import annotations

import re
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "surveypress" / "theme" / "assets"
CSS = ASSETS / "stylesheets" / "site.css"
SCRIPT = ASSETS / "javascripts" / "site.js"
DECLARATION = re.compile(r"(--sp-[\w-]+)\s*:\s*([^;}]*)")
READ = re.compile(r"var\(\s*(--sp-[\w-]+)")


def _stylesheet() -> str:
    return re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.S)


def test_no_custom_property_of_the_theme_is_set_from_itself():
    circular = [
        f"{name}: {value.strip()}" for name, value in DECLARATION.findall(_stylesheet()) if name in READ.findall(value)
    ]
    assert circular == []


def test_every_custom_property_the_theme_reads_is_one_it_sets():
    text = _stylesheet()
    # site.js sets some on elements (a chart's width in large text).
    scripted = set(re.findall(r"setProperty\(\s*[\"'](--sp-[\w-]+)", SCRIPT.read_text(encoding="utf-8")))
    assert scripted
    assert sorted(set(READ.findall(text)) - {name for name, _value in DECLARATION.findall(text)} - scripted) == []
