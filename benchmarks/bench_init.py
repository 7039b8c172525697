"""Init benchmark: drafts a content folder from a generated SPSS file with many variables and times it.

Run from the project root (everything happens in a temporary folder, nothing in the project changes):

    .venv/bin/python benchmarks/bench_init.py                        # 2,000, 5,000 and 20,000 variables
    .venv/bin/python benchmarks/bench_init.py --variables 5000 --profile

The file has 1,000 respondents; each variable is a labelled single-choice question with four options, and every
third one is left empty for some respondents (so init looks for its universe). It prints the seconds `init` takes,
the pages and charts it drafted. Target on the 2-core machine: 20,000 variables in under 10 s, the time growing in
proportion to the variables (init.MAX_VARIABLES is the limit past which init refuses a file).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveypress.draft import init  # noqa: E402

RESPONDENTS = 1_000


def write_sav(path: Path, variables: int, respondents: int = RESPONDENTS) -> None:
    """A labelled .sav: `variables` four-option questions, every third empty for a random tenth of respondents."""
    generator = np.random.default_rng(7)
    columns = {"respondent_id": [f"R-{case:06d}" for case in range(1, respondents + 1)]}
    for number in range(variables):
        answers = generator.integers(1, 5, respondents).astype(float)
        if number % 3 == 2:
            answers[generator.random(respondents) < 0.1] = np.nan
        columns[f"v{number:05d}"] = answers
    frame = pd.DataFrame(columns)
    options = {1: "Strongly agree", 2: "Agree", 3: "Disagree", 4: "Strongly disagree"}
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels={name: f"Question {name}" for name in frame.columns},
        variable_value_labels={name: options for name in frame.columns[1:]},
    )


def run(variables: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        source = project / "survey.sav"
        write_sav(source, variables)
        arguments = [str(source), "--content", str(project / "publication"), "--population", "people"]
        log = io.StringIO()
        profiler = cProfile.Profile() if profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        code = init.main(arguments, stream=log)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
        pages = len(list((project / "publication" / "templates").glob("*.md.j2")))
        charts_file = project / "publication" / "charts.yml"
        charts = len(yaml.safe_load(charts_file.read_text(encoding="utf-8"))["charts"]) if charts_file.exists() else 0
        print(f"{variables:>7,} variables: init {seconds:6.2f} s, exit {code}, {pages} page templates, {charts} charts")
        if code == 2:
            print("    " + log.getvalue().strip().splitlines()[-1])
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variables", type=int, action="append", help="variables in the file (repeatable)")
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest calls (cProfile)")
    arguments = parser.parse_args()
    for variables in arguments.variables or [2_000, 5_000, 20_000]:
        run(variables, arguments.profile)


if __name__ == "__main__":
    main()
