"""Fixtures shared across test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveypress import i18n, load, protect, tabulate
from surveypress.spec import load_publication

CONTENT = Path(__file__).resolve().parent.parent / "publication"


@pytest.fixture(autouse=True)
def chinese_engine_text():
    """Unit tests that call a stage directly read its text in the default publication's primary language; the build
    sets the language itself for each edition."""
    with i18n.language("zh-Hans"):
        yield


@pytest.fixture(scope="session")
def default_tables():
    """The default publication as the build sees it: (publication, microdata, protected indicator table)."""
    pub = load_publication(CONTENT)
    microdata = load.load_microdata(pub)
    return pub, microdata, protect.protect(pub, tabulate.tabulate(pub, microdata, engine="pandas"))
