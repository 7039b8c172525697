"""A survey without a printed report has no figures to reconcile and may have no charts: charts.yml and
published_figures.csv are optional, and the site and a valid data package still build."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from surveypress import build

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"
FRICTIONLESS = Path(sys.executable).parent / "frictionless"


def test_a_publication_without_charts_or_printed_figures_builds_a_valid_package(tmp_path):
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    content = project / "publication"
    (content / "charts.yml").unlink()
    (content / "published_figures.csv").unlink()
    (content / "templates" / "index.md.j2").write_text(
        "# 小型测试调查\n\n用过网上办事的居民占 {{ pct('p_used', 1) }}（n={{ base('p_used') }}）。\n", encoding="utf-8"
    )
    build.build(content, out_dir=project, stream=io.StringIO())
    assert (project / "docs/index.md").is_file()
    assert not (project / "datasets/reconciliation.csv").exists()
    assert not (project / "datasets/published_figures.csv").exists()
    kinds = {resource["kind"] for resource in json.loads((project / "datapackage.json").read_text())["resources"]}
    assert "reconciliation" not in kinds and "indicators" in kinds
    done = subprocess.run(
        [str(FRICTIONLESS), "validate", "datapackage.json"], cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:]
