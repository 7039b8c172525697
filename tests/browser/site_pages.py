"""The pages of the built site that the browser tests visit, and how a test opens one and lays it out whole."""

from __future__ import annotations

import re

PAGES = [
    "index.html",
    "survey.html",
    "findings/awareness.html",
    "findings/usage.html",
    "findings/advantages.html",
    "findings/ageing.html",
    "findings/security.html",
    "findings/barriers.html",
    "recommendations/integration.html",
    "recommendations/publicity.html",
    "recommendations/security.html",
    "recommendations/coordination.html",
    "methods.html",
    "downloads.html",
    "reconciliation.html",
    "changelog.html",
    "cite.html",
]
PAGES_WITH_CHARTS = [page for page in PAGES if page.startswith(("survey", "findings/", "recommendations/"))]
# Both editions: the Chinese at the root and its English twin under en/ (issue 14).
EDITION_PAGES = PAGES + [f"en/{page}" for page in PAGES]
HAN = re.compile(r"[\u4e00-\u9fff]")


def _open(context, url: str):
    """Opens a page, recording console errors, uncaught exceptions and every request's URL."""
    page = context.new_page()
    record = {"errors": [], "requests": [], "missing": []}
    page.on("console", lambda message: message.type == "error" and record["errors"].append(message.text))
    page.on("pageerror", lambda error: record["errors"].append(str(error)))
    page.on("request", lambda request: record["requests"].append(request.url))
    page.on("response", lambda response: response.status >= 400 and record["missing"].append(response.url))
    page.goto(url, wait_until="load")
    return page, record


def _show_everything(page) -> None:
    """Opens every <details> and scrolls each chart into view so lazy images load."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    for image in page.locator("figure.sp-chart img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function("[...document.images].every((image) => image.complete)")


# One page of each kind, in both editions: for the checks that do not need every page.
PAGE_KINDS = [
    "index.html",
    "survey.html",
    "findings/usage.html",
    "recommendations/integration.html",
    "methods.html",
    "downloads.html",
    "reconciliation.html",
    "changelog.html",
    "cite.html",
]
KIND_PAGES = PAGE_KINDS + [f"en/{page}" for page in PAGE_KINDS]
