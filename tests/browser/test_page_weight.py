"""Every page of the built site stays under the page-weight budget on a first visit from a phone."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BUDGET_BYTES = 150_000


def _page_weight_script():
    spec = importlib.util.spec_from_file_location("page_weight", ROOT / "scripts" / "page_weight.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_page_weighs_under_150_kb_gzip_before_any_interaction(site_dir):
    results = _page_weight_script().measure(site_dir)
    assert len(results) >= 17
    heavy = {page: result["bytes"] for page, result in results.items() if result["bytes"] > BUDGET_BYTES}
    assert heavy == {}
    assert all(result["external"] == [] for result in results.values())
