"""README.md tells a newcomer the commands that CI and the Makefile really run, and says what it must say."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def make_dry_run(target: str) -> list[str]:
    result = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", target], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


def position_of(lines: list[str], fragment: str) -> int:
    return next(index for index, line in enumerate(lines) if fragment in line)


def test_the_readme_shows_bringing_your_own_survey_to_a_site_first_then_the_two_commands():
    own, default = fenced_blocks(README)[:2]
    commands = [line.split("#")[0].strip() for line in own.splitlines()]
    assert commands.index("surveypress init ~/my.sav") < commands.index("surveypress build")
    # `surveypress build` builds the site too: no MkDocs command to learn.
    assert not [line for line in commands if line.startswith("mkdocs")]
    assert default.split("\n")[:2] == ["make publication", "make test"]
    # Nothing but the two-sentence introduction comes before them.
    assert README.index("## Your own survey") == README.index("## ")
    assert README.index("## Two commands") == README.index("## ", README.index("## ") + 1)


def test_ci_run_runs_the_readmes_test_command():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in script.splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert commands == ["exec make test"]


def test_make_publication_installs_then_builds_tables_and_the_site():
    lines = make_dry_run("publication")
    install = position_of(lines, "scripts/install.sh build")
    tables = position_of(lines, "build_tables.py")
    site = position_of(lines, "mkdocs build --strict")
    assert install < tables < site


def test_make_test_runs_every_check_the_readme_lists_in_order():
    lines = make_dry_run("test")
    steps = [
        "scripts/install.sh test",
        "ruff check",
        "ruff format --check",
        "build_tables.py --check",
        "frictionless validate datapackage.json",
        "mkdocs build --strict",
        "pytest",
    ]
    positions = [position_of(lines, step) for step in steps]
    assert positions == sorted(positions), dict(zip(steps, positions, strict=True))
    for step in steps[1:]:
        assert step in README, f"README does not mention {step!r}"


def test_the_readme_says_plainly_that_the_microdata_is_a_synthetic_reconstruction_and_why():
    assert "synthetic reconstruction" in README
    assert "printed only percentages" in README
    assert "合成数据" in README


def test_the_readme_lists_the_input_refusals_that_load_really_makes():
    # load.py reads and checks the microdata (a CSV file's text in csv_checks.py, the design's columns in
    # design_checks.py); the rules it applies (with their messages) are declared in rules.py.
    load_source = "".join(
        (ROOT / "surveypress" / "microdata" / name).read_text(encoding="utf-8")
        for name in ("load.py", "csv_checks.py", "design_checks.py", "rules.py")
    )
    # Each pair: the words in the README, and what load.py or rules.py must contain for that promise to hold.
    promises = {
        "with or without a byte-order mark": "UTF8_BOM",
        "Parquet": "read_parquet",
        "GBK/GB18030": "GBK/GB18030",
        "UTF-16": "UTF-16",
        "`iconv`": "iconv -f",
        "`in2csv`": "in2csv workbook.xlsx",
        "ragged rows": "cells per row, like the header",
        "full-width digits": "full-width digit",
        "stray spaces": "stray spaces",
        "duplicated respondent ids": "The same id is on",
        "outside the question's universe": "outside the universe",
    }
    for readme_words, code_words in promises.items():
        assert readme_words in README, f"README no longer says {readme_words!r}"
        assert code_words in load_source, (
            f"README promises {readme_words!r} but load.py/rules.py have no {code_words!r}"
        )


def test_every_path_the_readme_names_exists_or_is_built():
    built = {"site/", "docs/assets/charts/", "docs/downloads/"}  # not committed: made by the build
    named = set(
        re.findall(r"`((?:publication|datasets|docs|benchmarks|scripts|tests|\.ci|\.github)[\w./<>-]*)`", README)
    )
    for path in sorted(named):
        if "<" in path or path.startswith(tuple(built)):
            continue
        assert (ROOT / path).exists(), f"README names {path}, which does not exist"
