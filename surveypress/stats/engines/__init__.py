"""Counting engines for the tabulate stage: `pandas_engine` (in memory) and `duckdb_engine` (SQL, streams Parquet).

Each takes a population's microdata and the tabulate stage's tasks and gives integer counts and bases only.
"""
