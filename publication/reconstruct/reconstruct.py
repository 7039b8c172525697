"""Reconstructs synthetic microdata for the 2022 Jingjiang digital government survey from its printed figures.

Takes: `publication/codebook.yml` (questions, universes, column order) and `targets.yml` beside this script (the seed,
the residence x age cells and a target count for every option of every question).
Gives: `datasets/microdata/residents.csv` and `enterprises.csv` (or the same names under `--out DIR`): one row per
synthetic respondent, every target count hit exactly, the skip logic honoured, and answers that hang together
through a latent propensity per respondent. Same seed, same bytes.

The report printed only percentages, so every record here is invented: see NOTES.md beside this script.
Run: `.venv/bin/python publication/reconstruct/reconstruct.py [--out DIR]`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CONTENT_DIR = HERE.parent
PROJECT_ROOT = CONTENT_DIR.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a plain script from anywhere, without installing the package

from surveypress.content import Codebook, load_publication, read_yaml  # noqa: E402
from surveypress.errors import InputError  # noqa: E402

TARGETS_PATH = HERE / "targets.yml"
NO_ANSWER = -9

# How each answer leans on a respondent's traits: option code -> weight per trait; every score also gets unit noise.
# Residents' traits: z (digital propensity), age (0 = 18-29 ... 3 = 60+), rural (1 = rural), s (satisfaction).
RESIDENT_OCCUPATION = {  # assigned in this order, each option taking its best-scored respondents still free
    8: {"age": -3.0},  # students are 18-29
    7: {"rural": 1.5, "age": 0.8},  # farmers are rural and older
    1: {"rural": -1.2},  # government and public institution staff live mostly in towns
    2: {"rural": -0.8},
    4: {"rural": -1.0, "age": -0.5},
    3: {"age": -0.5},
    5: {"age": 0.3},
    6: {"age": -0.3},
    9: {},
    10: {},  # everyone left over (retired and others)
}
OCCUPATION_PROPENSITY = {1: 0.7, 2: 0.5, 3: 0.3, 4: 0.5, 7: -0.6, 8: 0.8, 9: -0.3}
RESIDENT_MULTI = {
    "r_services_used": {
        1: {"z": 0.3},
        2: {"z": 0.3, "age": 0.2},
        3: {"z": 0.5, "age": -0.2},
        4: {"z": 0.2, "age": 0.3},
        5: {"z": 0.6, "rural": -0.5},
        6: {"z": 0.5, "age": -0.3, "rural": -0.3},
        7: {"z": 0.3, "age": -0.2},
        8: {"z": 0.3, "age": -0.6},
        9: {"z": 0.2},
        10: {},
    },
    "r_advantages": {1: {"z": 0.4}, 2: {"z": 0.4}, 3: {"z": 0.5}, 4: {"z": 0.5, "age": -0.2}, 5: {"z": 0.3}, 6: {}},
    "r_problems": {
        1: {"age": 0.3},
        2: {"z": -0.3, "age": 0.4},
        3: {"rural": 0.3},
        4: {"z": 0.2},
        5: {"z": -0.3, "age": 0.2},
        6: {},
        7: {"s": 1.0},  # no problems: the most satisfied users
    },
    "r_concerns": {
        1: {},
        2: {"z": -0.3, "age": 0.3},
        3: {"z": -0.5, "age": 0.4},
        4: {},
        5: {},
        6: {"z": 1.0},  # no concerns: the most at ease online
    },
    "r_improvements": {
        1: {},
        2: {"z": 0.3},
        3: {"z": 0.4, "age": -0.2, "rural": -0.2},
        4: {"z": -0.3, "age": 0.3},
        5: {"age": 0.8},
        6: {"z": -0.2, "rural": 0.4},
        7: {},
    },
    "r_not_used_reasons": {
        1: {"age": 3.0},  # hard for older people: chosen mainly by the older non-users
        2: {"age": 0.2},
        3: {},
        4: {"age": 0.3},
        5: {"rural": 0.5},
        6: {"age": 1.0, "rural": 0.3},
        7: {},
    },
}
# Enterprises' traits: z (digital propensity), small (0 = large ... 3 = micro), s (satisfaction).
ENTERPRISE_MULTI = {
    "e_services_used": {
        1: {"z": 0.2},
        2: {"z": 0.2, "small": -0.2},
        3: {"z": 0.3, "small": -0.3},
        4: {"z": 0.3, "small": -0.4},
        5: {"z": 0.3, "small": -0.5},
        6: {"z": 0.2},
        7: {"z": 0.3, "small": -0.6},
        8: {},
    },
    "e_advantages": {1: {"z": 0.4}, 2: {"z": 0.3, "small": -0.3}, 3: {"small": 0.3}, 4: {"small": 0.2}, 5: {}},
    "e_concerns": {1: {}, 2: {"small": 0.3}, 3: {"z": -0.5}, 4: {}, 5: {}, 6: {"z": 1.0}},
    "e_platform_problems": {
        1: {"small": -0.3},
        2: {},
        3: {"z": -0.2},
        4: {"small": -0.3},
        5: {"z": -0.5},
        6: {},
        7: {"s": 1.0},
    },
    "e_improvements": {
        1: {},
        2: {"z": 0.3},
        3: {"small": -0.4},
        4: {"z": -0.3},
        5: {},
        6: {"z": -0.4},
        7: {},
    },
}
ENTERPRISE_NOT_USED = {2: {"z": -0.5}, 3: {}, 4: {}, 5: {}, 1: {}}  # the last takes whoever is left


# Load inputs.
def load_targets(path: Path, codebook: Codebook) -> dict:
    """Reads targets.yml and checks every question and code against the codebook."""
    targets = read_yaml(path)
    for population in ("residents", "enterprises"):
        for qid, counts in targets[population]["questions"].items():
            question = codebook.questions.get(qid)
            if question is None or question.population != population:
                raise InputError(path, f"a question of population '{population}'", column=population, value=qid)
            if set(counts) != set(question.codes):
                raise InputError(path, f"a count for each code {list(question.codes)}", column=qid, value=list(counts))
    return targets


# Process data.
class Respondents:
    """One population under construction: trait arrays and the answer columns filled so far."""

    def __init__(self, codebook: Codebook, population: str, size: int, rng: np.random.Generator, source: Path):
        self.codebook = codebook
        self.population = population
        self.size = size
        self.rng = rng
        self.source = source
        self.traits: dict[str, np.ndarray] = {}
        self.answers: dict[str, np.ndarray] = {}  # question id -> codes (single) or option -> 0/1 matrix (multi)
        self.asked: dict[str, np.ndarray] = {}  # question id -> mask of respondents in the universe
        self.unanswered: dict[str, np.ndarray] = {}  # question id -> mask of respondents answering -9

    def score(self, weights: dict[str, float], rows: np.ndarray) -> np.ndarray:
        """Weighted traits of the given respondents plus unit normal noise."""
        total = self.rng.standard_normal(len(rows))
        for trait, weight in weights.items():
            total = total + weight * self.traits[trait][rows]
        return total

    def check_total(self, qid: str, counts: dict[int, int], expected: int) -> None:
        if sum(counts.values()) != expected:
            raise InputError(
                self.source,
                f"counts adding up to the {expected} respondents who answer {qid}",
                column=qid,
                value=sum(counts.values()),
            )

    def set_single(self, qid: str, rows: np.ndarray, codes: np.ndarray) -> None:
        column = np.zeros(self.size, dtype=np.int64)
        column[rows] = codes
        self.answers[qid] = column

    def scale(self, qid: str, counts: dict[int, int], scores: np.ndarray, rows: np.ndarray) -> None:
        """Ordered assignment: the best-scored respondents take the first option, the next ones the second..."""
        self.check_total(qid, counts, len(rows))
        order = np.argsort(-scores, kind="stable")
        codes = np.empty(len(rows), dtype=np.int64)
        start = 0
        for code, count in counts.items():
            codes[order[start : start + count]] = code
            start += count
        self.set_single(qid, rows, codes)

    def nominal(self, qid: str, counts: dict[int, int], weights: dict[int, dict], rows: np.ndarray) -> None:
        """Unordered assignment: options in the order of `weights` each take their best-scored free respondents."""
        self.check_total(qid, counts, len(rows))
        codes = np.zeros(len(rows), dtype=np.int64)
        for code, option_weights in weights.items():
            scores = self.score(option_weights, rows)
            scores[codes != 0] = -np.inf
            codes[np.argsort(-scores, kind="stable")[: counts[code]]] = code
        self.set_single(qid, rows, codes)

    def multi(self, qid: str, counts: dict[int, int], weights: dict[int, dict], rows: np.ndarray, alone=None) -> None:
        """Ticks exactly counts[code] respondents per option; `alone` is an option ticked by itself ("none").

        Everyone who answers ends with at least one tick: a respondent left empty takes a tick from someone who has
        two or more, which keeps every option's count.
        """
        codes = list(counts)
        scores = {code: self.score(weights[code], rows) for code in codes}
        ticks = np.zeros((len(rows), len(codes)), dtype=np.int64)
        free = np.ones(len(rows), dtype=bool)
        if alone is not None:
            chosen = np.argsort(-scores[alone], kind="stable")[: counts[alone]]
            ticks[chosen, codes.index(alone)] = 1
            free[chosen] = False
        for index, code in enumerate(codes):
            if code == alone:
                continue
            if counts[code] > free.sum():
                raise InputError(self.source, f"at most {free.sum()} ticks", column=f"{qid} option {code}")
            candidate = np.where(free, scores[code], -np.inf)
            ticks[np.argsort(-candidate, kind="stable")[: counts[code]], index] = 1
        for row in np.flatnonzero(free & (ticks.sum(axis=1) == 0)):
            for code in sorted((c for c in codes if c != alone), key=lambda c: -scores[c][row]):
                index = codes.index(code)
                donors = np.flatnonzero((ticks[:, index] == 1) & (ticks.sum(axis=1) >= 2))
                if len(donors):
                    donor = donors[np.argmin(scores[code][donors])]
                    ticks[donor, index] = 0
                    ticks[row, index] = 1
                    break
            else:
                raise InputError(self.source, "enough ticks to give every respondent one", column=qid)
        matrix = np.zeros((self.size, len(codes)), dtype=np.int64)
        matrix[rows] = ticks
        self.answers[qid] = matrix

    def universe(self, qid: str) -> np.ndarray:
        """Mask of respondents the codebook's skip logic says were asked `qid`."""
        question = self.codebook.questions[qid]
        if question.universe is None:
            return np.ones(self.size, dtype=bool)
        parent = question.universe
        parent_answers = self.answers[parent.question]
        if parent_answers.ndim == 1:
            return np.isin(parent_answers, parent.codes)
        parent_codes = list(self.codebook.questions[parent.question].codes)
        columns = [parent_codes.index(code) for code in parent.codes]
        return parent_answers[:, columns].sum(axis=1) > 0

    def rows_answering(self, qid: str) -> np.ndarray:
        asked = self.universe(qid)
        self.asked[qid] = asked
        unanswered = self.unanswered.get(qid, np.zeros(self.size, dtype=bool))
        self.unanswered[qid] = unanswered
        return np.flatnonzero(asked & ~unanswered)

    def table(self, prefix: str) -> list[list[str]]:
        """Rows in codebook column order, sorted by their opaque respondent id."""
        ids = [f"{prefix}-{value:06x}" for value in self.rng.choice(16**6, size=self.size, replace=False)]
        cells: list[list[str]] = [[respondent_id] for respondent_id in ids]
        for question in self.codebook.questions_of(self.population):
            answers = self.answers[question.id]
            asked, unanswered = self.asked[question.id], self.unanswered[question.id]
            for row in range(self.size):
                if not asked[row]:
                    values = [""] * len(question.columns())
                elif unanswered[row]:
                    values = [str(NO_ANSWER)] * len(question.columns())
                elif question.type == "multi":
                    values = [str(int(tick)) for tick in answers[row]]
                else:
                    values = [str(int(answers[row]))]
                cells[row].extend(values)
        return sorted(cells, key=lambda cells_of_row: cells_of_row[0])


def build_residents(codebook: Codebook, targets: dict, rng: np.random.Generator) -> list[list[str]]:
    """The 198 resident records: profile cells first, then a propensity, then the questions in questionnaire order."""
    spec = targets["residents"]
    counts = spec["questions"]
    people = Respondents(codebook, "residents", spec["size"], rng, TARGETS_PATH)
    everyone = np.arange(people.size)

    # The quasi-identifier cells are fixed, so each residence x age group holds exactly its target.
    residence = np.concatenate([[cell["r_residence"]] * cell["count"] for cell in spec["cells"]])
    age = np.concatenate([[cell["r_age"]] * cell["count"] for cell in spec["cells"]])
    if len(residence) != people.size:
        raise InputError(TARGETS_PATH, f"cells adding up to {people.size}", column="residents.cells", value=len(age))
    for qid, column in (("r_residence", residence), ("r_age", age)):
        if any(int((column == code).sum()) != count for code, count in counts[qid].items()):
            raise InputError(TARGETS_PATH, f"cells adding up to the {qid} targets", column="residents.cells")
        people.rows_answering(qid)
        people.set_single(qid, everyone, column)
    people.traits["age"] = (age - 1).astype(float)
    people.traits["rural"] = (residence == 2).astype(float)

    people.nominal("r_occupation", counts["r_occupation"], RESIDENT_OCCUPATION, people.rows_answering("r_occupation"))
    bonus = np.array([OCCUPATION_PROPENSITY.get(int(code), 0.0) for code in people.answers["r_occupation"]])
    # Digital propensity: younger, urban and office occupations lean online.
    people.traits["z"] = (
        -0.7 * people.traits["age"] - 0.4 * people.traits["rural"] + bonus + 0.7 * rng.standard_normal(people.size)
    )
    people.traits["s"] = 0.5 * people.traits["z"] + rng.standard_normal(people.size)

    for qid, weights in (("r_awareness", {"z": 1.2}), ("r_gov_attention", {"z": 0.4}), ("r_used_online", {"z": 3.0})):
        rows = people.rows_answering(qid)
        people.scale(qid, counts[qid], people.score(weights, rows), rows)
    services = "r_services_used"
    people.multi(services, counts[services], RESIDENT_MULTI[services], people.rows_answering(services))
    for qid in ("r_convenience", "r_satisfaction"):
        rows = people.rows_answering(qid)
        people.scale(qid, counts[qid], people.score({"s": 1.5}, rows), rows)
    for qid in ("r_advantages", "r_problems", "r_concerns", "r_improvements", "r_not_used_reasons"):
        alone = spec.get("exclusive", {}).get(qid)
        people.multi(qid, counts[qid], RESIDENT_MULTI[qid], people.rows_answering(qid), alone=alone)
    return people.table("R")


def build_enterprises(codebook: Codebook, targets: dict, rng: np.random.Generator) -> list[list[str]]:
    """The 30 enterprise records, including the one user who left the post-use block unanswered."""
    spec = targets["enterprises"]
    counts = spec["questions"]
    firms = Respondents(codebook, "enterprises", spec["size"], rng, TARGETS_PATH)

    rows = firms.rows_answering("e_size")
    firms.scale("e_size", counts["e_size"], np.zeros(firms.size), rows)
    firms.traits["small"] = (firms.answers["e_size"] - 1).astype(float)
    # Digital propensity: larger firms lean online.
    firms.traits["z"] = -0.5 * firms.traits["small"] + 0.8 * rng.standard_normal(firms.size)
    firms.traits["s"] = 0.5 * firms.traits["z"] + rng.standard_normal(firms.size)

    for qid, weights in (("e_awareness", {"z": 1.2}), ("e_gov_attention", {"z": 0.4}), ("e_used_online", {"z": 3.0})):
        rows = firms.rows_answering(qid)
        firms.scale(qid, counts[qid], firms.score(weights, rows), rows)

    # One user skipped the whole post-use block (-9), which is why the report's post-use base is 23, not 24.
    block = spec["no_answer_block"]
    users = np.flatnonzero(firms.answers["e_used_online"] == 1)
    silent = np.zeros(firms.size, dtype=bool)
    silent[rng.choice(users, size=block["respondents"], replace=False)] = True
    for qid in block["questions"]:
        firms.unanswered[qid] = silent

    alone = spec.get("exclusive", {})
    firms.multi(
        "e_services_used",
        counts["e_services_used"],
        ENTERPRISE_MULTI["e_services_used"],
        firms.rows_answering("e_services_used"),
    )
    for qid in ("e_efficiency", "e_satisfaction"):
        rows = firms.rows_answering(qid)
        firms.scale(qid, counts[qid], firms.score({"s": 1.5}, rows), rows)
    for qid in ("e_advantages", "e_concerns", "e_platform_problems"):
        firms.multi(qid, counts[qid], ENTERPRISE_MULTI[qid], firms.rows_answering(qid), alone=alone.get(qid))
    firms.nominal(
        "e_not_used_reasons",
        counts["e_not_used_reasons"],
        ENTERPRISE_NOT_USED,
        firms.rows_answering("e_not_used_reasons"),
    )
    rows = firms.rows_answering("e_covid")
    firms.traits["used"] = (firms.answers["e_used_online"] == 1).astype(float)
    firms.scale("e_covid", counts["e_covid"], firms.score({"z": 0.5, "used": 1.5}, rows), rows)
    firms.multi(
        "e_improvements",
        counts["e_improvements"],
        ENTERPRISE_MULTI["e_improvements"],
        firms.rows_answering("e_improvements"),
    )
    return firms.table("E")


# Save outputs.
def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # With a byte-order mark, like every CSV the build publishes: Excel on Chinese Windows then reads it as UTF-8.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def reconstruct(out_dir: Path) -> list[Path]:
    """Writes both microdata files into out_dir and returns their paths."""
    publication = load_publication(CONTENT_DIR, PROJECT_ROOT)
    codebook = publication.codebook
    targets = load_targets(TARGETS_PATH, codebook)
    # One generator for the whole run, used in a fixed order, so the output depends on the seed alone.
    rng = np.random.Generator(np.random.PCG64(int(targets["seed"])))
    written = []
    for population, build in (("residents", build_residents), ("enterprises", build_enterprises)):
        rows = build(codebook, targets, rng)
        path = out_dir / f"{population}.csv"
        write_csv(path, codebook.columns_of(population), rows)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the seeded synthetic microdata of the default publication.")
    parser.add_argument(
        "--out", type=Path, default=PROJECT_ROOT / "datasets" / "microdata", help="folder for the CSV files"
    )
    args = parser.parse_args(argv)
    try:
        for path in reconstruct(args.out):
            print(path, file=sys.stderr)
    except InputError as error:
        print(error.message(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
