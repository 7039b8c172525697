"""The default publication's data package, built from its real tables, passes `frictionless validate`."""

from __future__ import annotations

import json

import pytest
from test_package import CONTENT_DIR, frictionless_validate, row_errors, stage

from surveypress.content import load_publication
from surveypress.publish.package import PROFILE

PROJECT = CONTENT_DIR.parent


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    pub = load_publication(CONTENT_DIR)
    missing = [str(population.microdata) for population in pub.codebook.populations.values()]
    assert all(population.microdata.is_file() for population in pub.codebook.populations.values()), missing
    return pub, stage(pub, tmp_path_factory.mktemp("package-default"))


def test_the_default_data_package_passes_frictionless_validate(default):
    _pub, root = default
    code, report = frictionless_validate(root)
    assert row_errors(report) == []
    assert code == 0


def test_the_default_package_describes_every_indicator_and_both_questionnaires(default):
    pub, root = default
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    assert package["$schema"] == PROFILE
    names = [resource["name"] for resource in package["resources"]]
    assert names[:2] == ["microdata-residents", "microdata-enterprises"]
    assert [f"indicator-{indicator.id}" for indicator in pub.indicators] == [
        name for name in names if name.startswith("indicator-")
    ]
    assert names[-3:] == ["published-figures", "reconciliation", "disclosure"]
    assert package["sources"][0]["index"] == "014437756/2022-01483"
    assert package["sources"][0]["date"] == "2022-10-11"


def test_the_chinese_description_has_no_spaces_left_by_yaml_line_folding(default):
    _pub, root = default
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    assert "。 " not in package["description"] and "， " not in package["description"]
    assert package["description"].startswith("国家统计局靖江调查队")


def test_the_committed_datapackage_json_passes_frictionless_validate():
    assert (PROJECT / "datapackage.json").is_file(), "the committed datapackage.json is missing"
    code, report = frictionless_validate(PROJECT)
    assert row_errors(report) == []
    assert code == 0
