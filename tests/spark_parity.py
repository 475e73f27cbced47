"""Comparing the relations dbt built on DuckDB with those it built on Spark from the same landed files: every model's
rows, as multisets, each value normalised to what both engines can say alike (numbers to 6 decimals, times to the
second, dates as ISO text). Columns declared as run metadata in the dbt YAML (`meta: {run_metadata: true}`: when a
row was computed, a fingerprint of an engine's own text) are left out, and only those.

Run as a program, in its own process: Spark's embedded metastore (Derby) stays locked by the process that opened it
until that process ends, and dbt on Spark must open it next.

    python tests/spark_parity.py <warehouse.duckdb> <lake> <manifest.json> [--sql QUERY ...]   # JSON on stdout"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections import Counter
from pathlib import Path


def models_to_compare(manifest_path: Path) -> dict[str, set[str]]:
    """{schema.table: run-metadata columns} of every model of the project (ephemeral ones have no relation)."""
    manifest = json.loads(manifest_path.read_text())
    models = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"].get("materialized") == "ephemeral":
            continue
        skipped = {name for name, column in node.get("columns", {}).items()
                   if (column.get("meta") or {}).get("run_metadata")
                   or (column.get("config", {}).get("meta") or {}).get("run_metadata")}
        models[f"{node['schema']}.{node['alias']}"] = skipped
    return models


def normalised(value):
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, decimal.Decimal):
        return round(float(value), 6)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return normalised(value.item())
    if isinstance(value, (list, tuple)):
        return tuple(normalised(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, normalised(v)) for k, v in value.items()))
    return str(value)


def duckdb_rows(con, relation: str, columns: list[str]) -> Counter:
    quoted = ", ".join(f'"{c}"' for c in columns)
    return Counter(tuple(normalised(v) for v in row) for row in con.execute(f"select {quoted} from {relation}").fetchall())


def spark_rows(spark, relation: str, columns: list[str]) -> Counter:
    frame = spark.table(relation).select(*[f"`{c}`" for c in columns])
    return Counter(tuple(normalised(v) for v in row) for row in frame.collect())


def compare(con, spark, models: dict[str, set[str]]) -> dict[str, str]:
    """{relation: what differs} for the relations whose rows differ (an empty dict: parity)."""
    differences = {}
    for relation, skipped in sorted(models.items()):
        schema, table = relation.split(".")
        columns = [c for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position", [schema, table]).fetchall()]
        if not columns:
            differences[relation] = "missing on DuckDB"
            continue
        spark_columns = {f.name for f in spark.table(relation).schema.fields} if spark.catalog.tableExists(relation) \
            else None
        if spark_columns is None:
            differences[relation] = "missing on Spark"
            continue
        kept = [c for c in columns if c not in skipped]
        if set(kept) - spark_columns:
            differences[relation] = f"columns missing on Spark: {sorted(set(kept) - spark_columns)}"
            continue
        left, right = duckdb_rows(con, relation, kept), spark_rows(spark, relation, kept)
        if left != right:
            only_duckdb, only_spark = left - right, right - left
            # which columns the differing rows differ in, for the message
            culprits = Counter()
            for a in list(only_duckdb)[:200]:
                best = min(only_spark, key=lambda b: sum(x != y for x, y in zip(a, b)), default=None)
                if best is not None:
                    culprits.update(c for c, x, y in zip(kept, a, best) if x != y)
            sample = next(iter(only_duckdb), None), next(iter(only_spark), None)
            differences[relation] = (f"{sum(only_duckdb.values())} rows only on DuckDB, {sum(only_spark.values())} only "
                                     f"on Spark (of {sum(left.values())}); columns differing: "
                                     f"{dict(culprits.most_common(6))}; e.g. {sample}")
    return differences


def spark_session(lake: Path):
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.enableHiveSupport().master("local[2]")
               .config("spark.sql.warehouse.dir", str(lake / "warehouse"))
               .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                       f"jdbc:derby:;databaseName={lake / 'metastore_db'};create=true")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    import duckdb

    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("lake", type=Path)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--sql", nargs="*", default=[], help="queries run on Spark, their rows in the output")
    args = parser.parse_args(argv)
    models = models_to_compare(args.manifest)
    spark = spark_session(args.lake)
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        result = {"models": len(models), "differences": compare(con, spark, models),
                  "sql": [[[normalised(v) for v in row] for row in spark.sql(q).collect()] for q in args.sql]}
    spark.stop()
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
