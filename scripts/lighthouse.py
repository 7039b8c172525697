"""Lighthouse mobile performance of the built site, served with gzip as a real host would serve it.

Serves `site/` on 127.0.0.1 with gzip for text files, runs the `lighthouse` npm package (pinned in
package-lock.json; 12.2.3 runs on Node 20) on Debian's Chromium against one page of each kind, with Lighthouse's
default mobile settings (a mid-range phone on a slow 4G network, simulated), and prints each page's performance
score with its main timings and the machine's load average before the run. With `--out FILE` it also writes them as
JSON. Scores are recorded, not asserted: they move with the machine's load, so no timed test depends on them. A run
that Lighthouse could not score (its trace lost under load) is repeated, up to ATTEMPTS times; each page is run
`--runs` times (3 by default) and the median run is reported, after one unrecorded warm-up run.

With `--large-text` each page is audited in large-text mode, as a returning reader who chose Large text loads it
(issue 26): the reading aids save that choice as localStorage `sp-reading` = 1 (site.js) and main.html applies it
(`html.sp-reading`) before the page is drawn. Each run's Chromium profile is a copy of one seeded once per run of
this script: Playwright opens the served origin (the same 127.0.0.1 port, one server for the whole run) on a blank
page that it answers itself, so no file of the site is loaded or cached, and saves the choice. Lighthouse keeps its
usual storage reset, which clears caches, service workers and cache storage but not localStorage, so the page is
still loaded cold. `scripts/lighthouse_large_text.mjs` adds one audit of weight 0 (no score changes) that reads the
audited page after it loaded: the script stops with an error if `html.sp-reading` was not on in any run, and
reports the article's text size it found (the table's last column, and `sp_reading` in the JSON with
`"mode": "large-text"`).

    .venv/bin/python scripts/lighthouse.py [--site site] [--runs 3] [--out benchmarks/lighthouse.json] [--large-text]
        [PAGE ...]

The browser is Debian's chromium (override with CHROMIUM_PATH).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
# One page of each kind: the front page, a finding, a recommendation, methods, downloads and the reconciliation table,
# in each edition (the English one under en/).
KINDS = (
    "index.html",
    "survey.html",
    "findings/usage.html",
    "recommendations/integration.html",
    "methods.html",
    "downloads.html",
    "reconciliation.html",
    "changelog.html",
    "cite.html",
)
PAGES = KINDS + tuple(f"en/{page}" for page in KINDS)
COMPRESSED = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".csv")
ATTEMPTS = 3
LARGE_TEXT_CONFIG = ROOT / "scripts" / "lighthouse_large_text.mjs"
# A page on the served origin that Playwright answers itself (the server never sees it): the seeding loads nothing
# of the site, so the seeded profile caches nothing that the audit would then find.
SEED_PAGE = "__lighthouse_seed__.html"
SEED_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed for text types when the browser accepts it (as GitHub Pages does)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class names it so
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants_gzip and path.is_file() and path.suffix in COMPRESSED):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _Body(body)


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, *args) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # Chromium drops connections it no longer needs; that is not an error of the site


@contextmanager
def serve(site: Path) -> Iterator[str]:
    handler = functools.partial(GzipHandler, directory=str(site))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def seed_profile(base: str, profile: Path) -> None:
    """Make `profile` a Chromium profile where the origin of `base` holds localStorage sp-reading=1 (Large text)."""
    from playwright.sync_api import sync_playwright  # only --large-text needs Playwright

    url = base + SEED_PAGE
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=SEED_ARGS)
        try:
            context.route(url, lambda route: route.fulfill(content_type="text/html", body="<!doctype html><title>-"))
            page = context.new_page()
            page.goto(url)
            page.evaluate("localStorage.setItem('sp-reading', '1')")
            stored = page.evaluate("localStorage.getItem('sp-reading')")
        finally:
            context.close()  # a clean shutdown writes localStorage to the profile
    if stored != "1":
        raise SystemExit(f"could not save sp-reading=1 for {base} in {profile}: read back {stored!r}")


def audit(url: str, seeded: Path | None = None) -> dict:
    """Lighthouse (performance only, mobile defaults) on `url`: the score and main timings of the first scored run.

    With `seeded` (a profile from seed_profile) the run is in large-text mode, and fails unless the page had it on."""
    for _attempt in range(ATTEMPTS):
        report = _run(url, seeded)
        if report["categories"]["performance"]["score"] is not None:
            break
    audits = report["audits"]
    score = report["categories"]["performance"]["score"]
    result = {
        "score": None if score is None else round(score * 100),
        **{name: audits[name].get("displayValue", "") for name in METRICS},
    }
    if seeded is not None:
        mode = audits.get("sp-reading-mode", {}).get("details") or {}
        if mode.get("on") is not True:
            error = audits.get("sp-reading-mode", {}).get("errorMessage", "")
            raise SystemExit(f"{url}: large-text mode was not on during the audit: {mode or error or 'no check ran'}")
        result["sp_reading"] = {"on": True, "stored": mode.get("stored"), "font_size": mode.get("fontSize")}
    return result


def _run(url: str, seeded: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as profile:
        large_text = []
        if seeded is not None:
            # A copy per run: each run starts from the same profile, as each normal run starts from an empty one.
            shutil.copytree(seeded, profile, symlinks=True, dirs_exist_ok=True)
            large_text = [f"--config-path={LARGE_TEXT_CONFIG}"]
        done = subprocess.run(
            [
                "node",
                str(LIGHTHOUSE),
                url,
                "--only-categories=performance",
                "--output=json",
                "--output-path=stdout",
                "--quiet",
                *large_text,
                f"--chrome-flags=--headless=new --no-sandbox --disable-gpu --user-data-dir={profile}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            check=True,
        )
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median run is reported (default 3)")
    parser.add_argument(
        "--large-text", action="store_true", help="audit with the reader's Large text choice already saved (issue 26)"
    )
    parser.add_argument("pages", nargs="*", default=list(PAGES))
    arguments = parser.parse_args(argv)
    if not LIGHTHOUSE.is_file():
        print(f"lighthouse is missing at {LIGHTHOUSE}: run `npm ci`", file=sys.stderr)
        return 2
    if not (arguments.site / "index.html").is_file():
        print(f"no built site at {arguments.site}: run `mkdocs build --strict` first", file=sys.stderr)
        return 2
    results = {}
    with serve(arguments.site) as base, ExitStack() as stack:
        seeded = None
        if arguments.large_text:
            # Seeded once, on the server that every audit of this run then uses: localStorage belongs to its port.
            seeded = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lighthouse-seed-")))
            seed_profile(base, seeded)
        # An unrecorded first run: node, Chromium and the font cache start cold, which is the harness, not the page.
        audit(base + arguments.pages[0], seeded)
        for page in arguments.pages:
            load = os.getloadavg()[0]
            runs = sorted(
                (audit(base + page, seeded) for _ in range(arguments.runs)), key=lambda run: run["score"] or 0
            )
            # Lighthouse's own advice for variable machines: report the median of several runs.
            results[page] = {**runs[len(runs) // 2], "scores": [run["score"] for run in runs], "load": round(load, 2)}
            row = results[page]
            timings = "  ".join(f"{k.split('-')[0]} {row[k]}" for k in METRICS)
            score = row["score"] if row["score"] is not None else "-"
            mode = ""
            if seeded is not None:
                row["mode"] = "large-text"
                mode = f"  large text (sp-reading on, article text {row['sp_reading']['font_size']})"
            print(f"{page:<36} {score:>3}  {timings}  runs {row['scores']}  load {load:.2f}{mode}")
    if arguments.out:
        arguments.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
