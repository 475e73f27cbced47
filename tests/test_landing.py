"""Landing SIRENE and INPI files: every format, bad input named clearly, bad rows quarantined, and nothing already
loaded lost or half-replaced."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingestion import landing
from ingestion.land import land_source
from ingestion.landing import GateError, LandingError, land_file
from ingestion.sample_data.__main__ import generate
from ingestion.settings import load_settings
from ingestion.sources import INPI_RATIOS, SIRENE_ETABLISSEMENTS, SIRENE_UNITES_LEGALES

UL_STEM = "StockUniteLegale_utf8"


@pytest.fixture(scope="module")
def zones(tmp_path_factory) -> dict[str, Path]:
    """The same small registry in each published format."""
    root = tmp_path_factory.mktemp("zones")
    return {fmt: (generate(root / fmt, scale=0.00002, seed=3, sirene_format=fmt), root / fmt)[1]
            for fmt in ("csv", "zip", "parquet")}


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def _land(con, path, spec=SIRENE_UNITES_LEGALES, **kwargs):
    return land_file(con, path, spec, temp_dir=path.parent / "tmp", log=lambda _: None, **kwargs)


def _csv_lines(zones) -> list[str]:
    return (zones["csv"] / "sirene" / f"{UL_STEM}.csv").read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_zip_csv_and_parquet_land_the_same_typed_rows(zones, tmp_path):
    tables = {}
    for fmt, zone in zones.items():
        c = duckdb.connect(str(tmp_path / f"{fmt}.duckdb"))
        for spec, stem in ((SIRENE_UNITES_LEGALES, UL_STEM), (SIRENE_ETABLISSEMENTS, "StockEtablissement_utf8")):
            result = _land(c, zone / "sirene" / f"{stem}.{fmt}", spec)
            assert result.rows_quarantined == 0 and result.file_format == fmt
        tables[fmt] = c.execute("select * from raw.sirene_unites_legales order by siren").fetchall()
        types = dict(c.execute("select column_name, data_type from information_schema.columns "
                               "where table_name = 'sirene_etablissements'").fetchall())
        assert types["dateDernierTraitementEtablissement"] == "TIMESTAMP"
        assert types["etablissementSiege"] == "BOOLEAN" and types["dateCreationEtablissement"] == "DATE"
        c.close()
    assert len(tables["csv"]) == 580
    assert tables["csv"] == tables["zip"] == tables["parquet"]


def test_missing_required_column_names_the_file_and_the_column(zones, tmp_path, con):
    lines = _csv_lines(zones)
    header = lines[0].split(",")
    drop = header.index("etatAdministratifUniteLegale")
    # the generated rows have no quoted commas, so splitting on "," is exact here
    cut = [",".join(v for i, v in enumerate(line.split(",")) if i != drop) for line in lines]
    path = _write(tmp_path / f"{UL_STEM}.csv", cut)
    with pytest.raises(LandingError) as err:
        _land(con, path)
    assert str(path) in str(err.value) and "etatAdministratifUniteLegale" in str(err.value)


def test_a_stock_without_the_naf_2025_column_still_lands(zones, tmp_path, con):
    lines = _csv_lines(zones)
    cut = [line.rsplit(",", 1)[0] for line in lines]  # the NAF 2025 column is the last one
    result = _land(con, _write(tmp_path / f"{UL_STEM}.csv", cut))
    assert result.missing_optional_columns == ["activitePrincipaleNAF25UniteLegale"]
    assert con.execute("select count(activitePrincipaleNAF25UniteLegale) from raw.sirene_unites_legales").fetchone() == (0,)


def test_unknown_columns_are_kept_aside(zones, tmp_path, con):
    lines = _csv_lines(zones)
    extended = [lines[0] + ",nouvelleVariableInsee"] + [line + ",X" for line in lines[1:]]
    result = _land(con, _write(tmp_path / f"{UL_STEM}.csv", extended))
    assert result.extra_columns == ["nouvelleVariableInsee"]
    assert "nouvelleVariableInsee" not in [r[0] for r in con.execute("describe raw.sirene_unites_legales").fetchall()]
    assert con.execute("select count(*), min(nouvelleVariableInsee) from raw.sirene_unites_legales__extra_columns"
                       ).fetchone() == (580, "X")


def test_malformed_lines_go_to_quarantine_with_file_line_and_reason(zones, tmp_path, con):
    lines = _csv_lines(zones)
    fields = lines[5].split(",")
    fields[3] = "31/02/2020"  # dateCreationUniteLegale: not a date
    lines[5] = ",".join(fields)
    lines[9] = lines[9] + ",unexpected,extra"  # too many columns
    path = _write(tmp_path / f"{UL_STEM}.csv", lines)
    result = _land(con, path)
    assert result.rows_loaded == 578 and result.rows_quarantined == 2
    rows = con.execute("select source_file, source_line, reason, raw_line from quarantine.sirene_unites_legales "
                       "order by source_line").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(path.name, 6), (path.name, 10)]
    assert "dateCreationUniteLegale" in rows[0][2] and "31/02/2020" in rows[0][3]
    assert "too many columns" in rows[1][2].lower()


def test_parquet_values_of_the_wrong_type_are_quarantined(zones, tmp_path, con):
    source = zones["parquet"] / "sirene" / f"{UL_STEM}.parquet"
    bad = tmp_path / f"{UL_STEM}.parquet"
    duckdb.sql(f"""copy (select * replace (case when siren = (select min(siren) from '{source}') then 'hier'
                                           else dateCreationUniteLegale::varchar end as dateCreationUniteLegale)
                         from '{source}') to '{bad}' (format parquet)""")
    result = _land(con, bad)
    assert (result.rows_loaded, result.rows_quarantined) == (579, 1)
    reason = con.execute("select reason from quarantine.sirene_unites_legales").fetchone()[0]
    assert "dateCreationUniteLegale" in reason and "hier" in reason


def test_truncated_zip_fails_clearly_and_keeps_the_previous_load(zones, tmp_path, con):
    good = zones["zip"] / "sirene" / f"{UL_STEM}.zip"
    _land(con, good)
    truncated = tmp_path / f"{UL_STEM}.zip"
    data = good.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(LandingError) as err:
        _land(con, truncated)
    assert str(truncated) in str(err.value) and "damaged or truncated" in str(err.value)
    assert con.execute("select count(*) from raw.sirene_unites_legales").fetchone() == (580,)
    assert con.execute("select count(*) from raw._load_log").fetchone() == (1,)


def test_zip_with_a_corrupt_member_is_rejected(zones, tmp_path, con):
    good = zones["zip"] / "sirene" / f"{UL_STEM}.zip"
    corrupt = tmp_path / f"{UL_STEM}.zip"
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip a byte inside the deflated stream
    corrupt.write_bytes(bytes(data))
    with pytest.raises(LandingError, match="damaged or truncated"):
        _land(con, corrupt)


def test_reload_below_98_percent_fails_its_gate_and_keeps_the_old_table(zones, tmp_path, con):
    _land(con, zones["csv"] / "sirene" / f"{UL_STEM}.csv")
    before = con.execute("select * from raw.sirene_unites_legales order by siren").fetchall()
    lines = _csv_lines(zones)
    short = _write(tmp_path / f"{UL_STEM}.csv", lines[: int(len(lines) * 0.9)])
    with pytest.raises(GateError, match="below 98%"):
        _land(con, short)
    assert con.execute("select * from raw.sirene_unites_legales order by siren").fetchall() == before
    assert con.execute("select count(*) from information_schema.tables where table_name like '%__loading'"
                       ).fetchone() == (0,)
    assert _land(con, short, force=True).rows_loaded == len(lines[: int(len(lines) * 0.9)]) - 1


def test_national_minimum_gate_catches_a_partial_stock(zones, con):
    with pytest.raises(GateError, match="national minimum"):
        _land(con, zones["csv"] / "sirene" / f"{UL_STEM}.csv", enforce_national_minimum=True)
    assert con.execute("select count(*) from information_schema.tables where table_name = 'sirene_unites_legales'"
                       ).fetchone() == (0,)


def test_a_load_interrupted_mid_way_leaves_the_previous_data(zones, con, monkeypatch):
    path = zones["csv"] / "sirene" / f"{UL_STEM}.csv"
    _land(con, path)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed during the swap")

    monkeypatch.setattr(landing, "_swap_in", crash)
    with pytest.raises(KeyboardInterrupt):
        _land(con, path, force=True)
    monkeypatch.undo()
    assert con.execute("select count(*) from raw.sirene_unites_legales").fetchone() == (580,)
    # the next load clears the debris and completes
    assert _land(con, path, force=True).rows_loaded == 580
    assert con.execute("select count(*) from information_schema.tables where table_name like '%__loading'"
                       ).fetchone() == (0,)


def test_an_unchanged_file_is_not_landed_twice(zones, con):
    path = zones["zip"] / "sirene" / f"{UL_STEM}.zip"
    first = _land(con, path)
    second = _land(con, path)
    assert not first.unchanged and second.unchanged and second.rows_loaded == 580
    assert con.execute("select count(*) from raw._load_log").fetchone() == (1,)


def test_inpi_headers_match_case_insensitively_through_the_bom(zones, tmp_path, con):
    text = (zones["csv"] / "inpi" / "ratios_inpi_bce.csv").read_text(encoding="utf-8-sig")
    header, rest = text.split("\n", 1)
    path = tmp_path / "ratios_inpi_bce.csv"
    path.write_text("\ufeff" + header.upper() + "\n" + rest, encoding="utf-8")
    result = land_file(con, path, INPI_RATIOS, temp_dir=tmp_path, log=lambda _: None)
    assert result.rows_quarantined == 0 and result.rows_loaded > 0
    row = con.execute("select siren, date_cloture_exercice, chiffre_d_affaires from raw.inpi_ratios "
                      "where chiffre_d_affaires is not null limit 1").fetchone()
    assert len(row[0]) == 9 and row[1].year >= 2020 and row[2] > 0


def test_an_absent_optional_source_is_created_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADS_LANDING_DIR", str(tmp_path / "empty_landing"))
    monkeypatch.setenv("LEADS_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    assert land_source("inpi_ratios", load_settings(), log=lambda _: None) is None
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert c.execute("select count(*) from raw.inpi_ratios").fetchone() == (0,)


def test_unsupported_or_missing_files_fail_with_the_path(tmp_path, con):
    with pytest.raises(LandingError, match="unsupported format"):
        _land(con, tmp_path / "StockUniteLegale_utf8.xlsx")
    with pytest.raises(LandingError, match="file not found"):
        _land(con, tmp_path / "StockUniteLegale_utf8.csv")


def test_a_parquet_source_is_a_view_and_two_warehouses_keep_their_own_copies(zones, tmp_path):
    parquet = zones["parquet"] / "sirene" / f"{UL_STEM}.parquet"
    first, second = (duckdb.connect(str(tmp_path / name)) for name in ("a.duckdb", "b.duckdb"))
    _land(first, parquet)
    _land(second, parquet)
    assert first.execute("select table_type from information_schema.tables where table_schema = 'raw' and table_name = "
                         "'sirene_unites_legales'").fetchone() == ("VIEW",)
    # the second warehouse reloads from CSV (a table now) and drops its copy, not the first one's
    _land(second, zones["csv"] / "sirene" / f"{UL_STEM}.csv")
    assert not list((tmp_path / "b.duckdb.raw_files").glob("*.parquet"))
    assert first.execute("select count(*) from raw.sirene_unites_legales").fetchone() == (580,)


def test_the_warehouse_owns_its_parquet_copy_a_user_editing_the_landing_file_changes_nothing(zones, tmp_path, con):
    """Overwriting the landing file in place, or truncating it, leaves the live table as landed; the next landing's
    gate compares the new file with that table, and a good file brings it back."""
    import shutil

    good = tmp_path / "landing" / f"{UL_STEM}.parquet"
    good.parent.mkdir()
    shutil.copy(zones["parquet"] / "sirene" / f"{UL_STEM}.parquet", good)
    _land(con, good)
    assert con.execute("select count(*) from raw.sirene_unites_legales").fetchone() == (580,)
    stored = list((tmp_path / "w.duckdb.raw_files").glob("*.parquet"))
    assert len(stored) == 1 and stored[0].stat().st_ino != good.stat().st_ino and not stored[0].stat().st_mode & 0o222
    # the user overwrites the file in place with half of it: the live table does not move
    con.execute(f"copy (select * from read_parquet('{good}') limit 290) to '{tmp_path / 'half.parquet'}' "
                f"(format parquet)")
    with good.open("r+b") as fh:
        fh.write((tmp_path / "half.parquet").read_bytes())
        fh.truncate()
    assert con.execute("select count(*) from raw.sirene_unites_legales").fetchone() == (580,)
    with pytest.raises(GateError, match="290 rows is below 98% of the 580 rows"):
        _land(con, good)
    good.write_bytes(b"")  # truncated
    assert con.execute("select count(*) from raw.sirene_unites_legales").fetchone() == (580,)


def test_a_byte_that_is_not_utf8_near_the_top_of_a_stock_is_named_with_its_line_not_a_bare_decode_error(zones,
                                                                                                        tmp_path,
                                                                                                        con):
    lines = _csv_lines(zones)
    # a Windows-1252 "é" on the third line, well inside the first 8 KB
    path = tmp_path / f"{UL_STEM}.csv"
    path.write_bytes(("\n".join(lines[:2]) + "\n").encode() + lines[2].replace("A", "\xe9", 1).encode("cp1252")
                     + ("\n" + "\n".join(lines[3:]) + "\n").encode())
    result = _land(con, path)
    assert result.rows_quarantined == 1
    [(line, reason)] = con.execute("select source_line, reason from quarantine.sirene_unites_legales").fetchall()
    assert line == 3 and "unicode" in reason.lower(), reason
    # in the header itself: refused, saying encoding and naming the file
    header = tmp_path / "header" / f"{UL_STEM}.csv"
    header.parent.mkdir()
    header.write_bytes(lines[0].replace("siren", "sir\xe9n", 1).encode("cp1252") + b"\n" + lines[1].encode() + b"\n")
    with pytest.raises(LandingError, match=r"StockUniteLegale_utf8\.csv: line 1 .*\(encoding\)"):
        _land(con, header)
