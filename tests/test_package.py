"""The Frictionless Data Package v2 descriptor: built from staged files, valid by `frictionless validate`."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from surveypress.content import Publication, load_publication
from surveypress.microdata import load
from surveypress.publish import outputs
from surveypress.publish.package import PROFILE, build_datapackage
from surveypress.stats import protect, reconcile, tabulate

TINY = Path(__file__).parent / "fixtures" / "tiny"
CONTENT_DIR = Path(__file__).resolve().parent.parent / "publication"
FRICTIONLESS = Path(sys.executable).parent / "frictionless"


def stage_tiny(tmp_path: Path) -> tuple[Publication, Path]:
    """Copies the tiny fixture publication, adds two printed figures and stages every table and the package."""
    root = tmp_path / "project"
    shutil.copytree(TINY, root)
    pub = load_publication(root / "publication")
    microdata = load.load_microdata(pub)
    table = protect.protect(pub, tabulate.tabulate(pub, microdata, engine="pandas"))
    used = table[(table["indicator"] == "p_used") & (table["breakdown"] == "total") & (table["category"] == "1")]
    share = Fraction(100 * int(used["count"].iloc[0]), int(used["base"].iloc[0]))
    percent = reconcile.round_half_up(share, 1)
    figures = (
        "figure_id,section,population,measure,printed,value,unit,comparison,indicator,category,note\n"
        f"t1,一,people,使用过网上办事,{percent}%,{percent},percent,equal,p_used,1,\n"
        "t2,一,people,使用过网上办事,86.98%,86.98,percent,equal,p_used,1,\n"
    )
    pub.published_figures.write_text(figures, encoding="utf-8")
    return pub, stage(pub, root)


def stage(pub: Publication, root: Path) -> Path:
    """Writes every table the build writes, and datapackage.json, under root (microdata copied in if elsewhere)."""
    microdata = load.load_microdata(pub)
    for population in pub.codebook.populations.values():
        target = root / population.microdata.relative_to(pub.project_root)
        if pub.release.policy == "full" and target.resolve() != population.microdata.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(population.microdata, target)
    for file, frame in protect.released_microdata(pub, microdata).values():
        if pub.release.policy == "public-use":
            outputs.write_csv(root / file, frame)
    table = protect.protect(pub, tabulate.tabulate(pub, microdata, engine="pandas"))
    published = protect.publishable(table)
    outputs.write_csv(root / "datasets" / "indicators.csv", published)
    for indicator in pub.indicators:
        rows = published[published["indicator"] == indicator.id]
        outputs.write_csv(root / "datasets" / "indicators" / f"{indicator.id}.csv", rows)
    shutil.copy(pub.published_figures, root / "datasets" / "published_figures.csv")
    outputs.write_csv(root / "datasets" / "reconciliation.csv", reconcile.reconcile(pub, table))
    outputs.write_csv(root / "datasets" / "disclosure.csv", protect.disclosure_report(pub, microdata))
    write_package(pub, root)
    return root


def write_package(pub: Publication, root: Path) -> dict:
    package = build_datapackage(pub, root)
    outputs.write_json(root / "datapackage.json", package, sort_keys=False)
    return package


def frictionless_validate(root: Path) -> tuple[int, dict]:
    done = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", "datapackage.json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, json.loads(done.stdout)


def row_errors(report: dict) -> list[tuple[str, int, str, str]]:
    return [
        (task["name"], error.get("rowNumber"), error.get("fieldName"), error["type"])
        for task in report["tasks"]
        for error in task["errors"]
    ]


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> tuple[Publication, Path]:
    return stage_tiny(tmp_path_factory.mktemp("package"))


def test_the_built_package_passes_frictionless_validate(staged):
    _pub, root = staged
    code, report = frictionless_validate(root)
    assert row_errors(report) == []
    assert report["valid"] is True
    assert code == 0


def test_the_package_declares_data_package_v2_and_the_publication_metadata(staged):
    pub, root = staged
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    assert package["$schema"] == PROFILE
    assert package["name"] == "tiny-survey"
    assert package["title"] == "小型测试调查"
    assert package["translations"]["en"]["title"] == "Tiny test survey"
    assert package["languages"] == ["zh-Hans", "en"]
    assert package["version"] == "0.1.0"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"


def test_created_comes_from_source_date_epoch_else_the_publication_date(staged, monkeypatch):
    pub, root = staged
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_datapackage(pub, root)["created"] == "2026-01-15T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_datapackage(pub, root)["created"] == "2023-11-14T22:13:20Z"


def test_there_is_one_resource_per_staged_csv_in_a_stable_order(staged):
    pub, root = staged
    package = build_datapackage(pub, root)
    paths = [resource["path"] for resource in package["resources"]]
    assert paths == [
        "datasets/public-use/people.csv",
        "datasets/public-use/firms.csv",
        "datasets/indicators.csv",
        *[f"datasets/indicators/{indicator.id}.csv" for indicator in pub.indicators],
        "datasets/published_figures.csv",
        "datasets/reconciliation.csv",
        "datasets/disclosure.csv",
    ]
    # The input microdata under datasets/microdata is not released (the tiny fixture releases public-use files).
    staged_files = [p.relative_to(root).as_posix() for p in (root / "datasets").rglob("*.csv")]
    assert sorted(paths) == sorted(name for name in staged_files if not name.startswith("datasets/microdata/"))
    assert len({resource["name"] for resource in package["resources"]}) == len(paths)


def test_every_resource_carries_the_size_and_sha256_of_its_file(staged):
    pub, root = staged
    for resource in build_datapackage(pub, root)["resources"]:
        data = (root / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert (resource["format"], resource["mediatype"], resource["encoding"]) == ("csv", "text/csv", "utf-8")


def test_microdata_fields_carry_codebook_categories_and_labelled_missing_values(staged):
    pub, root = staged
    resources = {resource["name"]: resource for resource in build_datapackage(pub, root)["resources"]}
    schema = resources["microdata-people"]["schema"]
    fields = {field["name"]: field for field in schema["fields"]}
    satisfaction = fields["p_satisfaction"]
    assert satisfaction["categories"][0] == {"value": 1, "label": "非常满意"}
    assert satisfaction["categoriesOrdered"] is True
    assert satisfaction["constraints"]["enum"] == [1, 2, 3, 4, 5]
    assert fields["p_channels_2"]["constraints"]["enum"] == [0, 1]
    assert fields["p_channels_2"]["title"] == "通过哪些渠道办事：网站"
    assert [entry["value"] for entry in schema["missingValues"]] == ["", "-9"]
    assert schema["primaryKey"] == ["respondent_id"]
    indicator_schema = resources["indicators"]["schema"]
    assert [entry["value"] for entry in indicator_schema["missingValues"]] == [""]
    assert indicator_schema["primaryKey"] == ["indicator", "breakdown", "group", "category"]
    assert all(field.get("title") and field.get("description") for field in indicator_schema["fields"])


def _rewrite_cell(path: Path, column: str, data_row: int, value: str) -> int:
    """Sets one cell; returns the row number as frictionless and a spreadsheet count it (header = 1)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[data_row][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return data_row + 1


def test_a_package_with_a_bad_row_fails_validation_naming_the_row(tmp_path):
    pub, root = stage_tiny(tmp_path)
    row = _rewrite_cell(root / "datasets" / "indicators.csv", "count", 3, "三")
    write_package(pub, root)  # fresh hashes, so the only problem left is the cell itself
    code, report = frictionless_validate(root)
    assert code == 1
    assert ("indicators", row, "count", "type-error") in row_errors(report)


def test_a_microdata_code_outside_the_codebook_fails_validation_naming_the_row(tmp_path):
    pub, root = stage_tiny(tmp_path)
    row = _rewrite_cell(root / "datasets" / "public-use" / "people.csv", "p_used", 5, "7")
    write_package(pub, root)
    code, report = frictionless_validate(root)
    assert code == 1
    assert row_errors(report) == [("microdata-people", row, "p_used", "constraint-error")]


def test_a_file_changed_after_packaging_fails_its_hash(tmp_path):
    _pub, root = stage_tiny(tmp_path)
    with (root / "datasets" / "disclosure.csv").open("a", encoding="utf-8") as handle:
        handle.write("extra.csv,,1,1,0,2,ok,\n")
    code, report = frictionless_validate(root)
    assert code == 1
    assert {kind for _name, _row, _field, kind in row_errors(report)} >= {"hash-count"}
