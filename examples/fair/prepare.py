"""Prepares the microdata of the Fair (1978) example from the copy statsmodels ships.

Reads `statsmodels.datasets.fair` (6,366 married women who answered the 1974 Redbook magazine survey) and writes
`datasets/microdata/women.csv`: an opaque respondent id, then the codebook's questions in codebook order. Categorical
answers keep the codes of the original data (the codebook lists them); numeric answers are written raw, as statsmodels
stores them. Every code and value is checked against publication/codebook.yml before the file is written.

Run from this folder with statsmodels installed (pip install statsmodels==0.15.0): python prepare.py
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import yaml
from statsmodels.datasets import fair

HERE = Path(__file__).resolve().parent
CODEBOOK = HERE / "publication" / "codebook.yml"
OUT = HERE / "datasets" / "microdata" / "women.csv"


def respondent_id(position: int) -> str:
    """An id that says nothing about the respondent or the order of the original file."""
    return "W-" + hashlib.sha256(f"fair-1974-{position}".encode()).hexdigest()[:10]


def raw_text(value: float) -> str:
    """A number as Python prints it most briefly (32.0 -> 32, 0.1111111 stays as stored)."""
    return repr(float(value)).removesuffix(".0")


# Load inputs.
women = fair.load_pandas().data
questions = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))["questions"]

# Process data.
microdata = pd.DataFrame({"respondent_id": [respondent_id(i) for i in range(len(women))]})
for question in questions:
    values = women[question["id"]]
    if question["type"] == "numeric":
        low, high = question["range"]
        assert values.between(low, high).all(), f"{question['id']}: values outside {question['range']}"
        microdata[question["id"]] = [raw_text(value) for value in values]
    else:
        codes = {option["code"] for option in question["options"]}
        assert values.isin(codes).all(), f"{question['id']}: codes outside {sorted(codes)}"
        microdata[question["id"]] = values.astype(int)
assert microdata["respondent_id"].is_unique

# Save outputs.
OUT.parent.mkdir(parents=True, exist_ok=True)
microdata.to_csv(OUT, index=False, lineterminator="\n")
print(f"wrote {OUT.relative_to(HERE)}: {len(microdata)} respondents, {len(microdata.columns) - 1} questions")
