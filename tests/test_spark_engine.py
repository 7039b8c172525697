"""The Spark engine counts what the DuckDB engine counts: every table of the tiny fixture and the default publication
is identical to the last digit (so the published bytes are too). Spark runs locally (`local[2]`, Java 17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from surveypress.content import load_publication
from surveypress.microdata import load
from surveypress.stats import tabulate

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("pyspark", reason="the Spark engine needs pyspark (installed with the test extras)")
pytestmark = [
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17 (scripts/install.sh)"),
    # Every module that starts Spark runs in one worker, which starts one JVM (about 15 s) for all of them.
    pytest.mark.xdist_group("spark"),
]


@pytest.fixture(scope="module")
def spark():
    from surveypress.stats.engines import spark_engine

    session = spark_engine.session()
    yield session
    session.stop()


@pytest.mark.parametrize("content", ["tests/fixtures/tiny/publication", "publication"], ids=["tiny", "default"])
def test_the_spark_engine_gives_the_duckdb_engines_tables(spark, content: str) -> None:
    pub = load_publication(ROOT / content)
    microdata = load.load_microdata(pub)
    by_spark = tabulate.tabulate(pub, microdata, engine="spark")
    pd.testing.assert_frame_equal(by_spark, tabulate.tabulate(pub, microdata, engine="duckdb"))
    assert by_spark.to_csv() == tabulate.tabulate(pub, microdata, engine="pandas").to_csv()
