"""The chart cache: a rebuild redraws only the charts whose inputs changed, and never changes a byte.

(Cold and warm builds are compared byte for byte in tests/test_reproducible_build.py.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from surveypress import cache
from surveypress.charts import declare, stage
from surveypress.charts import model as chart_model
from surveypress.content import load_publication
from surveypress.microdata import load
from surveypress.stats import protect, tabulate

ROOT = Path(__file__).resolve().parent.parent


def charts_of(project: Path, out: Path) -> dict[str, chart_model.ChartOutput]:
    pub = load_publication(project / "publication")
    table = protect.protect(pub, tabulate.tabulate(pub, load.load_microdata(pub), engine="pandas"))
    return stage.render_charts(pub, table, out)


def test_changing_one_indicators_label_redraws_exactly_its_charts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "publication", project / "publication")
    shutil.copytree(ROOT / "datasets" / "microdata", project / "datasets" / "microdata")
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))

    cold = charts_of(project, tmp_path / "cold")
    assert all(output.drawn for output in cold.values())
    unchanged = charts_of(project, tmp_path / "unchanged")
    assert not any(output.drawn for output in unchanged.values())
    for output in cold.values():
        for kind, path in output.files.items():
            assert path.read_bytes() == unchanged[output.id].files[kind].read_bytes(), (output.id, kind)

    codebook = project / "publication" / "codebook.yml"
    text = codebook.read_text(encoding="utf-8")
    old = "{code: 4, zh: 不太了解, en: Know little}"
    start = text.index(old, text.index("- id: r_awareness"))  # e_awareness has the same label
    new = "{code: 4, zh: 不太了解数字政府, en: Know little}"
    codebook.write_text(text[:start] + new + text[start + len(old) :], encoding="utf-8")
    relabelled = charts_of(project, tmp_path / "relabelled")

    specs = declare.load_chart_specs(load_publication(project / "publication"))
    showing = {spec.id for spec in specs if any(series.indicator == "r_awareness" for series in spec.series)}
    assert showing and len(showing) < len(specs)
    assert {output.id for output in relabelled.values() if output.drawn} == showing


def test_a_cache_entry_missing_one_of_its_files_counts_as_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    store = cache.Cache(tmp_path / "ignored", "charts")
    key = cache.digest("spec", 1)
    store.put(key, {"svg": b"<svg/>", "png": b"png"})
    cache.commit()
    assert store.get(key, ("svg", "png")) == {"svg": b"<svg/>", "png": b"png"}
    next(tmp_path.rglob(f"{key}.png")).unlink()
    assert store.get(key, ("svg", "png")) is None
