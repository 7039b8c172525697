"""A weighted, stratified, clustered survey with a known design, made from the tiny fixture for the tests.

`make_project(folder, design=...)` copies tests/fixtures/tiny and replaces its `people` microdata with respondents
drawn in strata and clusters (PSUs), each with a weight; publication.yml declares the design. Answers depend on the
PSU, so clustering matters, and weights differ by stratum, so weighting matters.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"
DESIGNS = {
    "weighted": {"weight": "weight"},
    "stratified": {"weight": "weight", "strata": "stratum"},
    "stratified_clustered": {"weight": "weight", "strata": "stratum", "cluster": "psu"},
    "stratified_clustered_fpc": {"weight": "weight", "strata": "stratum", "cluster": "psu", "fpc": "stratum_psus"},
}


def people(seed: int = 12, strata: int = 4, psus: int = 6, per_psu: int = 30) -> pd.DataFrame:
    """Respondents with every design column; answers follow the tiny codebook's universes."""
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(strata):
        for j in range(psus):
            # A PSU's own propensity: respondents of one cluster answer alike.
            used_p = float(np.clip(0.55 + 0.1 * h + rng.normal(0, 0.15), 0.05, 0.95))
            for _ in range(per_psu):
                used = 1 if rng.random() < used_p else 2
                if rng.random() < 0.03:
                    used = -9
                ticks: list[object] = ["", "", ""]
                satisfaction: object = ""
                if used == 1:
                    if rng.random() < 0.05:
                        ticks = [-9, -9, -9]
                    else:
                        ticks = [int(rng.random() < p) for p in (0.6, 0.4, 0.15)]
                    if ticks[0] == 1 or ticks[1] == 1:
                        satisfaction = int(rng.choice([1, 2, 3, 4, 5, -9], p=[0.3, 0.3, 0.2, 0.1, 0.05, 0.05]))
                rows.append(
                    {
                        "respondent_id": f"P-{len(rows):05d}",
                        "weight": round(float(rng.uniform(0.5, 2.0) * (1 + h)), 4),
                        "stratum": f"S{h + 1}",
                        "psu": f"C{j + 1}",
                        "stratum_psus": psus * 5,
                        "p_region": 1 if rng.random() < 0.3 + 0.15 * h else 2,
                        "p_used": used,
                        "p_channels_1": ticks[0],
                        "p_channels_2": ticks[1],
                        "p_channels_3": ticks[2],
                        "p_satisfaction": satisfaction,
                    }
                )
    return pd.DataFrame(rows)


def make_project(folder: Path, design: str = "stratified_clustered", frame: pd.DataFrame | None = None) -> Path:
    """A copy of the tiny project whose `people` population carries `DESIGNS[design]`; returns the project."""
    project = Path(folder) / "weighted"
    shutil.copytree(TINY, project)
    declared = DESIGNS[design]
    frame = people() if frame is None else frame
    columns = ["respondent_id", *(declared[key] for key in ("weight", "strata", "cluster", "fpc") if key in declared)]
    columns += ["p_region", "p_used", "p_channels_1", "p_channels_2", "p_channels_3", "p_satisfaction"]
    frame[columns].to_csv(project / "datasets" / "microdata" / "people.csv", index=False)
    meta_path = project / "publication" / "publication.yml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    meta["design"] = {"people": declared}
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return project
