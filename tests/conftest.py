"""Fixtures shared across test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveypress import load, protect, tabulate
from surveypress.spec import load_publication

CONTENT = Path(__file__).resolve().parent.parent / "publication"


@pytest.fixture(scope="session")
def default_tables():
    """The default publication as the build sees it: (publication, microdata, protected indicator table)."""
    pub = load_publication(CONTENT)
    microdata = load.load_microdata(pub)
    return pub, microdata, protect.protect(pub, tabulate.tabulate(pub, microdata, engine="pandas"))
