"""The lake Spark reads (ingestion/lake.py): each landed table as Parquet behind a link swapped in one rename, the
older version deleted, a table no longer landed gone from the lake; and the other way, the tables dbt built on Spark
readable from DuckDB as views. DuckDB only: no Spark needed (Spark's folder layout is written here by DuckDB)."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from ingestion.lake import attach_spark_tables, export_landed_tables


def test_an_export_swaps_each_table_whole_and_forgets_what_is_no_longer_landed(tmp_path):
    lake = tmp_path / "lake"
    with duckdb.connect() as con:
        con.execute("create schema raw; create schema matching; create schema predictions")
        con.execute("create table raw.signals as select 'L''Oréal' as name, 1 as n")
        con.execute("create table raw.bodacc as select 'x' as id")
        con.execute("create table matching.crm_company_candidates as select 'c1' as company_key")
        # the model trains on DuckDB: Spark reads its records and today's predictions from the lake
        con.execute("create table predictions.model_evaluation as select 'opportunity-1' as model_id")
        # a SIRENE stock published as Parquet lands as a view over its stored copy: Spark needs its rows all the same
        con.execute("create view raw.sirene_unites_legales as select '552100554' as siren union all select '3'")
        assert export_landed_tables(con, lake, log=lambda _: None) == {
            "raw.signals": 1, "raw.bodacc": 1, "raw.sirene_unites_legales": 2, "matching.crm_company_candidates": 1,
            "predictions.model_evaluation": 1}
        first = (lake / "raw" / "signals").resolve()

        con.execute("insert into raw.signals values ('Société Générale', 2)")
        con.execute("drop table raw.bodacc")
        assert export_landed_tables(con, lake, log=lambda _: None)["raw.signals"] == 2
        link = lake / "raw" / "signals"
        assert link.is_symlink() and link.resolve() != first and not first.exists(), "swapped, the old one deleted"
        assert con.execute(f"select name from read_parquet('{link}/*.parquet') order by n").fetchall() == [
            ("L'Oréal",), ("Société Générale",)]
        assert not (lake / "raw" / "bodacc").exists(), "a table no longer landed leaves the lake"
        assert [p.name for p in (lake / "raw").iterdir() if p.name.startswith(".") and "link" in p.name] == []

        # an empty folder where the link should be (Spark's hook declared the table before its first export) is
        # replaced; a folder holding Parquet files is refused before anything is written
        (lake / "raw" / "signals").unlink()
        (lake / "raw" / "signals").mkdir()
        assert export_landed_tables(con, lake, log=lambda _: None)["raw.signals"] == 2
        assert (lake / "raw" / "signals").is_symlink()
        (lake / "raw" / "signals").unlink()
        (lake / "raw" / "signals").mkdir()
        (lake / "raw" / "signals" / "part-0.parquet").write_bytes(b"PAR1")
        with pytest.raises(RuntimeError, match="is a folder of Parquet files, not the link"):
            export_landed_tables(con, lake, log=lambda _: None)


def test_the_tables_spark_built_are_read_from_duckdb_under_their_dbt_names(tmp_path):
    lake, db = tmp_path / "lake", tmp_path / "warehouse.duckdb"
    marts, intermediate = lake / "warehouse" / "marts.db", lake / "warehouse" / "intermediate.db"
    with duckdb.connect() as spark_like:  # Spark's layout: a folder per table, partitions as key=value folders
        (marts / "qualified_leads").mkdir(parents=True)
        spark_like.execute(f"copy (select 'lead-1' as lead_id, 'sql' as status) to "
                           f"'{marts / 'qualified_leads' / 'part-00000-x.snappy.parquet'}' (format parquet)")
        (marts / "qualified_leads" / "_SUCCESS").write_text("")
        intermediate.mkdir(parents=True)
        spark_like.execute(f"copy (select 'lead-1' as lead_id, 'mql' as status, date '2026-11-26' as changed_on) "
                           f"to '{intermediate / 'int_leads__status_changes'}' "
                           "(format parquet, partition_by (changed_on))")
        (intermediate / "int_empty_partitioned").mkdir()  # Spark writes no file for an empty partitioned table
    with duckdb.connect(str(db)) as con:
        # the warehouse was built on DuckDB before: its dbt tables give way to Spark's
        con.execute("create schema marts; create table marts.qualified_leads as select 'old' as lead_id")
        con.execute("create schema raw; create table raw.signals as select 1 as n")
        attached = attach_spark_tables(con, lake, log=lambda _: None)
        assert set(attached) == {"marts.qualified_leads", "intermediate.int_leads__status_changes"}
        assert con.execute("select lead_id, status from marts.qualified_leads").fetchall() == [("lead-1", "sql")]
        assert con.execute("select status, changed_on from intermediate.int_leads__status_changes").fetchall() == [
            ("mql", dt.date(2026, 11, 26))]
        assert con.execute("select n from raw.signals").fetchall() == [(1,)], "landed tables are left alone"
        # a table Spark no longer has loses its view
        shutil.rmtree(marts / "qualified_leads")
        assert set(attach_spark_tables(con, lake, log=lambda _: None)) == {"intermediate.int_leads__status_changes"}
        assert con.execute("select count(*) from information_schema.tables where table_schema = 'marts'"
                           ).fetchone() == (0,)
