"""Page weight: what each page of the built site costs a reader on a phone before they touch anything.

Serves `site/` on 127.0.0.1, opens every page in headless Chromium at a 360 x 740 phone viewport, records every
request the page makes until the network is idle (HTML, CSS, scripts, fonts, images, the search index), and sums the
gzip-compressed size of each response body (what a server with compression would send). Prints one row per page and
exits 1 if any page is over the budget (150 KB by default), or if a page requests anything outside 127.0.0.1.

    .venv/bin/python scripts/page_weight.py [--site site] [--budget-kb 150] [--details]

The browser is Debian's chromium (override with CHROMIUM_PATH).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
KB = 1000


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class names it so
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """A static file server for `site` on a free port of 127.0.0.1; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def site_pages(site: Path) -> list[str]:
    """Every page of the site a reader opens, as paths relative to it, in a stable order. A chart's embed page
    (embed/<chart>.html) is a part of a page shown on other sites: tests/browser/test_embeds.py weighs those."""
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if "embed" not in path.relative_to(site).parts[:-1]
    )


def gzip_size(body: bytes) -> int:
    # mtime=0: the same body always gives the same size.
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def measure(site: Path, browser=None) -> dict[str, dict]:
    """{page: {"bytes": total gzip bytes, "requests": [(url, kind, gzip bytes)], "external": [urls]}}, in `browser`
    (a Playwright Chromium: the tests pass theirs, as Playwright runs one instance a process), else in one started
    here."""
    if browser is not None:
        with serve(site) as base:
            return _weigh_pages(browser, site, base)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            with serve(site) as base:
                return _weigh_pages(launched, site, base)
        finally:
            launched.close()


def _weigh_pages(browser, site: Path, base: str) -> dict[str, dict]:
    results: dict[str, dict] = {}
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, service_workers="block")
    for page_path in site_pages(site):
        page = context.new_page()
        requests: list[tuple[str, str, int]] = []
        external: list[str] = []

        def on_response(response, requests=requests) -> None:
            try:
                body = response.body()
            except Exception:  # a redirect or aborted request has no body to weigh
                body = b""
            requests.append((response.url, response.request.resource_type, gzip_size(body)))

        def on_request(request, external=external) -> None:
            host = urlsplit(request.url).hostname
            if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host != "127.0.0.1":
                external.append(request.url)

        page.on("response", on_response)
        page.on("request", on_request)
        # A fresh cache per page: each page is weighed as a first visit.
        context.clear_cookies()
        page.goto(base + page_path, wait_until="networkidle")
        page.wait_for_timeout(300)
        page.close()
        results[page_path] = {
            "bytes": sum(size for _, _, size in requests),
            "requests": requests,
            "external": external,
        }
    context.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site folder (default: site/)")
    parser.add_argument("--budget-kb", type=float, default=150.0, help="largest allowed page, gzip KB (1 KB = 1000 B)")
    parser.add_argument("--details", action="store_true", help="list every request of every page")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"page_weight: no built site at {args.site} (run: .venv/bin/mkdocs build --strict)", file=sys.stderr)
        return 2

    results = measure(args.site)
    budget = args.budget_kb * KB
    width = max(len(page) for page in results)
    print(f"{'page':<{width}}  {'requests':>8}  {'gzip KB':>8}  status")
    failed = False
    for page, result in results.items():
        over = result["bytes"] > budget
        status = "OVER BUDGET" if over else "ok"
        if result["external"]:
            status += f", {len(result['external'])} EXTERNAL REQUEST(S)"
        failed |= over or bool(result["external"])
        print(f"{page:<{width}}  {len(result['requests']):>8}  {result['bytes'] / KB:>8.1f}  {status}")
        if args.details or over or result["external"]:
            for url, kind, size in sorted(result["requests"], key=lambda item: -item[2]):
                print(f"    {size / KB:>7.1f}  {kind:<10} {url}")
            for url in result["external"]:
                print(f"    external: {url}")
    heaviest = max(results.values(), key=lambda result: result["bytes"])["bytes"]
    print(f"\n{len(results)} pages; heaviest {heaviest / KB:.1f} KB gzip; budget {args.budget_kb:.0f} KB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
