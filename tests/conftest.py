"""Fixtures shared across test modules, and the test tiers.

Every test gets exactly one tier marker, from what it needs (pytest_collection_modifyitems below; CONTRIBUTING.md):

  browser  under tests/browser/: a headless Chromium on the built site/ (or a site the test builds itself)
  bench    marked `bench`: a benchmark-sized publication (a million respondents)
  build    runs a whole build: build_tables.py, build.build/build.main, pipeline.run, `mkdocs build`, `surveypress
           build` or make, or one of its slow stages (every chart specified or drawn, the Spark engine), in the test, in
           a helper of its module that it calls, or in a fixture it uses; also every `slow` test
  unit     everything else: `make test-fast` runs this tier, in parallel, in well under a minute and a half

A module can say it itself with `TIER = "build"` (or a test with a tier marker) where the rule cannot see a build.
Under pytest-xdist (`--dist loadgroup`), the tests of a module that share a module-scoped fixture go to one worker
(an `xdist_group` per module), so that fixture, often a build, runs once.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from surveypress import i18n
from surveypress.content import load_publication
from surveypress.microdata import load
from surveypress.stats import protect, tabulate

TESTS = Path(__file__).resolve().parent
CONTENT = TESTS.parent / "publication"
TIERS = ("unit", "build", "browser", "bench")
AXE = TESTS.parent / "node_modules" / "axe-core" / "axe.min.js"

# Source text that runs a whole build (the command, the engine's entry points, the pipeline, the site, make) or one
# of its slow stages.
BUILDS = re.compile(
    r"build_tables\.py|\bbuild\.(?:build|main)\(|\bpipeline\.run\("  # the command, the engine's entry points
    r'|[\[,]\s*"build"\s*[,)\]]'  # `mkdocs build` or `surveypress build` as a process
    r'|\["make", "(?!--dry-run)'  # make, unless it only prints what it would run
    # The build's slow stages on their own: every chart of a publication specified (Altair) or drawn (vl-convert),
    # tables counted by Spark (a JVM per worker).
    r"|\b(?:chart|declare)\.load_chart_specs\(|\bvl_convert\.|\brender_(?:charts|editions)\(|\btabulate\.ENGINES\b"
    r'|engine="spark"'
)
# A unit test slower than this (setup and call, on a loaded two-core machine) is named at the end of the run.
UNIT_SECONDS = 10.0


# Property tests prove what a function gives, not how fast: a deadline turns a busy machine (two pytest workers and
# Chromium on two cores) into a "flaky" failure, as one did at 261 ms against Hypothesis' 200 ms.
settings.register_profile("surveypress", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("surveypress")


def _source(function) -> str:
    try:
        return inspect.getsource(inspect.unwrap(function))
    except (OSError, TypeError):
        return ""


def _in_tests(function) -> bool:
    try:
        return Path(inspect.getfile(inspect.unwrap(function))).resolve().is_relative_to(TESTS)
    except (OSError, TypeError):
        return False


_building_names: dict[str, re.Pattern | None] = {}


def _builds(module, text: str) -> bool:
    """Whether `text` (a test's or fixture's source) runs a build, itself or through a helper function of `module`
    (or one it imported from another test module) that does."""
    if BUILDS.search(text):
        return True
    if module.__name__ not in _building_names:
        helpers = {
            name: _source(value)
            for name, value in vars(module).items()
            if inspect.isfunction(value) and _in_tests(value) and not name.startswith("test_")
        }
        building = {name for name, source in helpers.items() if BUILDS.search(source)}
        while True:  # helpers that call a building helper build too
            calls = re.compile(rf"\b(?:{'|'.join(map(re.escape, building))})\(") if building else None
            more = {name for name, source in helpers.items() if calls and name not in building and calls.search(source)}
            if not more:
                break
            building |= more
        _building_names[module.__name__] = calls
    calls = _building_names[module.__name__]
    return bool(calls and calls.search(text))


def _tier(item: pytest.Item) -> str:
    declared = [mark.name for mark in item.iter_markers() if mark.name in TIERS]
    if declared:
        return declared[0]
    if TESTS / "browser" in Path(item.path).parents:
        return "browser"
    if item.get_closest_marker("bench"):
        return "bench"
    module = getattr(item, "module", None)
    if module is None:
        return "unit"
    if getattr(module, "TIER", None) in TIERS:
        return module.TIER
    if item.get_closest_marker("slow"):
        return "build"
    if _builds(module, _source(item.function)):
        return "build"
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        for definition in definitions:
            fixture_module = inspect.getmodule(inspect.unwrap(definition.func))
            if fixture_module is not None and _in_tests(definition.func):
                if _builds(fixture_module, _source(definition.func)):
                    return "build"
    return "unit"


def _shares_a_module_fixture(item: pytest.Item) -> bool:
    return any(
        definition.scope in ("module", "package") and _in_tests(definition.func)
        for definitions in item._fixtureinfo.name2fixturedefs.values()
        for definition in definitions
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier = _tier(item)
        if not item.get_closest_marker(tier):
            item.add_marker(getattr(pytest.mark, tier))
        if _shares_a_module_fixture(item) and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(Path(item.path).relative_to(TESTS).as_posix()))


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


_slow_units: list[tuple[float, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "unit" in report.keywords and report.when in ("setup", "call") and report.duration > UNIT_SECONDS:
        _slow_units.append((report.duration, f"{report.when} {report.nodeid}"))


def pytest_terminal_summary(terminalreporter) -> None:
    """Names the unit tests that took long, so the rule above (or a TIER or marker) can send them to `build`."""
    if _slow_units:
        terminalreporter.section(f"unit tests slower than {UNIT_SECONDS:.0f} s (the build tier may suit them better)")
        for seconds, name in sorted(_slow_units, reverse=True):
            terminalreporter.write_line(f"{seconds:6.1f} s  {name}")


# Headless Chromium and axe-core, for the browser tier: the tests under tests/browser/ and the browser tests of a module
# that builds its own site (test_init_end_to_end.py).


def load_page_weight_script():
    """scripts/page_weight.py as a module: it measures pages and owns how Chromium is launched here."""
    spec = importlib.util.spec_from_file_location("page_weight", TESTS.parent / "scripts" / "page_weight.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# One launch recipe for the tests and the page-weight script: the same browser, the same offline flags.
PAGE_WEIGHT = load_page_weight_script()
CHROMIUM = PAGE_WEIGHT.CHROMIUM
CHROMIUM_ARGS = PAGE_WEIGHT.CHROMIUM_ARGS


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium per test process: Playwright's sync API runs one instance a process, so a second
    `sync_playwright()` beside it fails ("Sync API inside the asyncio loop") in whichever test comes later."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core from node_modules (npm ci installs the version package-lock.json pins)."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci`")
    return AXE


@pytest.fixture(scope="session")
def page_weight():
    return PAGE_WEIGHT
