"""The lake Spark reads (ingestion/lake.py): each landed table as Parquet behind a link swapped in one rename, the
older version deleted, a table no longer landed gone from the lake. DuckDB only: no Spark needed."""

from __future__ import annotations

import duckdb
import pytest

from ingestion.lake import export_landed_tables


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

        # a folder where the link should be is refused before anything is written
        (lake / "raw" / "signals").unlink()
        (lake / "raw" / "signals").mkdir()
        with pytest.raises(RuntimeError, match="is a folder, not the link"):
            export_landed_tables(con, lake, log=lambda _: None)
