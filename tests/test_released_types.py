"""Released microdata keeps whole numbers whole: a column the data package declares integer is written `22`, never
`22.0`, in CSV and Parquet, read whole or streamed, so `frictionless validate` passes on the package a user built."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from weighted_survey import make_project, people

from surveypress import build
from surveypress import content as spec

NUMERIC = Path(__file__).resolve().parent / "fixtures" / "numeric"
FRICTIONLESS = Path(sys.executable).parent / "frictionless"


def numeric_project(tmp_path: Path) -> Path:
    """The numeric fixture releasing its raw ages (p_used, which p_age breaks down, left out with p_region)."""
    project = tmp_path / "numeric"
    shutil.copytree(NUMERIC, project)
    meta = project / "publication" / "publication.yml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text.replace("people: {drop: [p_region]}", "people: {drop: [p_region, p_used]}"), encoding="utf-8")
    return project


def validate(project: Path) -> None:
    done = subprocess.run(
        [str(FRICTIONLESS), "validate", "datapackage.json"], cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.parametrize("streamed", [False, True], ids=["read whole", "streamed"])
def test_a_whole_number_numeric_question_is_released_as_integers(tmp_path, monkeypatch, streamed):
    project = numeric_project(tmp_path)
    if streamed:
        monkeypatch.setenv("SURVEYPRESS_STREAM_ABOVE_BYTES", "0")
    build.build(project / "publication", out_dir=project, stream=open("/dev/null", "w"))  # noqa: SIM115
    released = (project / "datasets/public-use/people.csv").read_text(encoding="utf-8-sig").splitlines()
    assert released[0].endswith(",p_age")
    assert all(not row.endswith(".0") for row in released[1:]), released[1:4]
    validate(project)


def test_released_parquet_keeps_whole_numbers_as_integers_and_decimals_as_doubles(tmp_path):
    """A large input is released as Parquet (protect.release_microdata); read whole or streamed, its raw ages are
    integers there too."""
    from surveypress import layout
    from surveypress.microdata import load
    from surveypress.publish.staging import Staging
    from surveypress.stats import protect

    project = numeric_project(tmp_path)
    pub = spec.load_publication(project / "publication")
    frame = load.load_microdata(pub)["people"]
    staging = Staging(project, outside=True)
    with staging:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(layout, "RELEASE_CSV_MAX_BYTES", 0)
            protect.release_microdata(pub, staging, {"people": frame, "firms": load.load_microdata(pub)["firms"]})
        schema = pq.read_schema(staging.path("datasets/microdata/people.parquet"))
    assert str(schema.field("p_age").type) == "int64"


@pytest.mark.parametrize("size", ["30", "30.0"])
def test_a_population_size_written_30_or_30_0_gives_a_valid_package(tmp_path, size):
    frame = people()
    frame["stratum_psus"] = frame["stratum_psus"].astype(str).str.replace(r"\.0$", "", regex=True) + size[2:]
    project = make_project(tmp_path, "stratified_clustered_fpc", frame)
    build.build(project / "publication", out_dir=project, stream=open("/dev/null", "w"))  # noqa: SIM115
    released = pd.read_csv(project / "datasets/public-use/people.csv", dtype=str)
    assert set(released["p_used"].dropna()) <= {"1", "2", "-9"}
    validate(project)
