"""Every page of the built site stays under the page-weight budget on a first visit from a phone."""

from __future__ import annotations

BUDGET_BYTES = 150_000


def test_every_page_weighs_under_150_kb_gzip_before_any_interaction(site_dir, page_weight, chromium):
    results = page_weight.measure(site_dir, chromium)
    assert len(results) >= 17
    heavy = {page: result["bytes"] for page, result in results.items() if result["bytes"] > BUDGET_BYTES}
    assert heavy == {}
    assert all(result["external"] == [] for result in results.values())
