"""Publishing for BI tools: the published DuckDB file opens in the DuckDB lines BI drivers bundle, a reader holding
it open never blocks a new publication nor sees a half-written one, and a failure leaves the last good one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from conftest import AS_OF
from publication.publish import PUBLISHED_MARTS, PublicationError, publish_marts
from ingestion.settings import load_settings


def _settings(db: Path, publish_dir: Path, monkeypatch):
    monkeypatch.setenv("LEADS_DUCKDB_PATH", str(db))
    monkeypatch.setenv("LEADS_PUBLISH_DIR", str(publish_dir))
    return load_settings()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_run_publishes_every_mart_as_duckdb_and_parquet(warehouse, read_warehouse):
    published = warehouse["published"]
    manifest = json.loads((published / "publication.json").read_text())
    assert manifest["as_of"] == AS_OF.isoformat()
    with duckdb.connect(str(published / "leads.duckdb"), read_only=True) as con:
        for mart in PUBLISHED_MARTS:
            expected = read_warehouse.execute(f"select count(*) from marts.{mart}").fetchone()[0]
            assert con.execute(f"select count(*) from {mart}").fetchone()[0] == expected == manifest["rows"][mart]
            parquet = published / "parquet" / f"{mart}.parquet"
            assert con.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0] == expected
        call_list = {s for (s,) in con.execute("select status from leads_to_contact").fetchall()}
        assert call_list == {"mql", "sql"}
        assert con.execute("""select count(*) from leads_to_contact
                              where lead_id in (select lead_id from qualified_leads where not contactable)""").fetchone()[0] == 0
    assert not list(published.rglob("*.tmp")), "no staged file is left behind"


def test_the_publication_opens_in_duckdb_1_4(warehouse, tmp_path):
    # BI tools bundle older DuckDB drivers: install the 1.4 line aside (from the package registry) and read with it.
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    target = tmp_path / "duckdb14"
    subprocess.run([uv, "pip", "install", "--quiet", "--target", str(target), "duckdb>=1.4,<1.5"], check=True)
    script = textwrap.dedent(f"""
        import duckdb
        con = duckdb.connect({str(warehouse['published'] / 'leads.duckdb')!r}, read_only=True)
        print(duckdb.__version__, con.execute("select count(*) from qualified_leads").fetchone()[0],
              con.execute("select count(*) from leads_to_contact").fetchone()[0])
    """)
    out = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(target)},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0].startswith("1.4.") and int(out[1]) > 500 and int(out[2]) > 0


def test_a_reader_holding_the_file_open_never_blocks_nor_sees_a_half_publication(warehouse_copy, tmp_path,
                                                                                 monkeypatch):
    settings = _settings(warehouse_copy, tmp_path / "published", monkeypatch)
    first = publish_marts(settings)
    full = first.rows["qualified_leads"]
    # A BI session opened on the first publication, querying in a loop in another process while we republish.
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(first.database)!r}, read_only=True)
        counts = set()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            counts.add(con.execute("select count(*) from qualified_leads").fetchone()[0])
        print(sorted(counts))
    """)], stdout=subprocess.PIPE, text=True)
    with duckdb.connect(str(warehouse_copy)) as con:  # the next day's marts: a third of the leads gone
        con.execute("delete from marts.qualified_leads where hash(lead_id) % 3 = 0")
    for _ in range(3):
        second = publish_marts(settings)
    seen = reader.communicate(timeout=60)[0]
    assert reader.returncode == 0 and seen.strip() == f"[{full}]", "the open session keeps its consistent version"
    with duckdb.connect(str(second.database), read_only=True) as con:
        assert con.execute("select count(*) from qualified_leads").fetchone()[0] == second.rows["qualified_leads"] < full


def test_a_failed_publication_leaves_the_last_good_one(warehouse_copy, tmp_path, monkeypatch):
    settings = _settings(warehouse_copy, tmp_path / "published", monkeypatch)
    good = publish_marts(settings)
    before = {p: _sha(p) for p in [good.database, good.manifest, *good.parquet_files.values()]}
    # a crash while staging (a BI view that does not compile) ...
    monkeypatch.setattr("publication.publish.BI_VIEWS", {"broken": "select no_such_column from qualified_leads"})
    with pytest.raises(duckdb.Error):
        publish_marts(settings)
    monkeypatch.undo()
    settings = _settings(warehouse_copy, tmp_path / "published", monkeypatch)
    # ... and marts that must not be published (empty after a bad load)
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("delete from marts.qualified_leads")
    with pytest.raises(PublicationError, match="empty"):
        publish_marts(settings)
    assert {p: _sha(p) for p in before} == before
    assert not list((tmp_path / "published").rglob("*.tmp"))


def test_before_the_first_backtest_the_other_marts_are_published_and_the_report_says_so(warehouse_copy, tmp_path,
                                                                                         monkeypatch):
    from publication.publish import BACKTEST_MARTS
    from publication.report import NO_BACKTEST, write_report
    from publication.wording import say

    with duckdb.connect(str(warehouse_copy)) as con:
        for mart in BACKTEST_MARTS:
            con.execute(f"drop table marts.{mart}")
    settings = _settings(warehouse_copy, tmp_path / "published", monkeypatch)
    publication = publish_marts(settings)
    assert set(publication.rows) == set(PUBLISHED_MARTS) - set(BACKTEST_MARTS)
    report = write_report(settings)
    assert set(report.charts) == {"funnel"} and report.headlines == [say(NO_BACKTEST, "fr")]
    assert report.headlines_en == [NO_BACKTEST]
    assert "Pas encore de backtest" in report.page.read_text()
