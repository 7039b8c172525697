"""Spark counting engine: the DuckDB engine's counting SQL, run by Spark SQL on a local or remote Spark.

Takes: one population's microdata (a validated DataFrame, or a Parquet path) and the tabulate tasks.
Gives: integer bases and counts per task, breakdown, group and category (`tasks.Counts`), equal to the other
engines' (tests/test_spark_engine.py), so the tables are byte-identical.

The rules are not restated: duckdb_engine's `_Combinations` writes one query with a grouping set per indicator over
the raw cells and universe flags, which Spark SQL runs as it is (with double-quoted identifiers, ANSI mode), and the
same Python decides bases and categories on the few thousand combinations that come back. A Parquet path is checked
against the codebook by the DuckDB engine first (the same messages as load.py), on this machine; Spark then counts.

Where it runs: `SURVEYPRESS_SPARK_MASTER` (default `local[2]`), e.g. `spark://host:7077` for a standalone cluster,
or `SPARK_REMOTE=sc://host:15002` for a Spark Connect server (then the master setting is not used). Needs Java 17.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from surveypress.content import Codebook
from surveypress.stats.engines import duckdb_engine
from surveypress.stats.tasks import Counts, Task

MASTER_ENV = "SURVEYPRESS_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"


def session() -> Any:
    """The Spark session (created once per process; reused by every population)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("surveypress")
    if not os.environ.get("SPARK_REMOTE"):
        builder = (
            builder.master(os.environ.get(MASTER_ENV) or DEFAULT_MASTER)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
        )
    spark = builder.config("spark.sql.ansi.enabled", "true").getOrCreate()
    # duckdb_engine's SQL quotes identifiers with double quotes, as standard SQL does.
    spark.conf.set("spark.sql.ansi.doubleQuotedIdentifiers", "true")
    return spark


class _Runner:
    """What _Combinations.count needs from a connection: execute(sql).fetchall() giving tuples."""

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self.rows: list[tuple] = []

    def execute(self, sql: str) -> _Runner:
        self.rows = [tuple(row) for row in self.spark.sql(sql).collect()]
        return self

    def fetchall(self) -> list[tuple]:
        return self.rows


def _spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    """A validated frame as a Spark DataFrame: ids as text, answers as nullable integers."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    schema = StructType(
        [StructField(column, StringType() if index == 0 else LongType(), True) for index, column in enumerate(frame)]
    )
    rows = [
        tuple(None if pd.isna(value) else (str(value) if index == 0 else int(value)) for index, value in enumerate(row))
        for row in frame.itertuples(index=False, name=None)
    ]
    return spark.createDataFrame(rows, schema)


def count(
    codebook: Codebook, population: str, source: object, tasks: list[Task], name: str | None = None
) -> dict[str, Counts]:
    """Bases and counts for every task of one population, counted by Spark."""
    spark = session()
    if isinstance(source, pd.DataFrame):
        frame = _spark_frame(spark, source)
    else:
        path = Path(source)  # type: ignore[arg-type]
        duckdb_engine.check_parquet(codebook, population, path, name=name or str(path))
        if any(question.numeric is not None for question in codebook.questions_of(population)):
            # Numeric answers are counted in their bands, which numeric.banded computes on a frame.
            from surveypress.microdata.numeric import banded

            frame = _spark_frame(spark, banded(codebook, {population: pd.read_parquet(path)})[population])
        else:
            frame = spark.read.parquet(str(path))
    view = f"microdata_{population}"
    frame.createOrReplaceTempView(view)
    combinations = duckdb_engine._Combinations(codebook, population, tasks, checking=False)
    # Spark keeps the grouping sets: the long form's SQL is DuckDB's.
    combinations.count(_Runner(spark), f'"{view}"', long=False)  # type: ignore[arg-type]
    return {
        task.indicator.id: duckdb_engine._tally(
            codebook, task, combinations.flags, combinations.rows[combinations.of_task[task.indicator.id]]
        )
        for task in tasks
    }
