"""Write a landing zone of generated source files: `python -m ingestion.sample_data --scale 0.001`.

--scale is the share of the national registry (1.0 = 29 M legal units, 42 M establishments). The same seed and scale
give the same files. Generation runs in a scratch DuckDB database beside the output, which is removed at the end.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from pathlib import Path

import duckdb

from ingestion.sample_data.registry import (
    NATIONAL_ETABLISSEMENTS,
    NATIONAL_UNITES_LEGALES,
    generate_etablissements,
    generate_inpi,
    generate_unites_legales,
    load_reference,
    write_inpi,
    write_sirene,
)
from ingestion.settings import REPO_ROOT, load_settings
from ingestion.warehouse import Log, logger

REFERENCE_DIR = REPO_ROOT / "dbt_project" / "seeds" / "reference"


def generate(out_dir: Path, *, scale: float = 0.001, seed: int = 42, sirene_format: str = "zip",
             memory_limit: str = "4GB", log: Log = logger.info) -> dict[str, int]:
    """Generate the landing zone in `out_dir`; returns the row counts written."""
    n_units = max(50, round(NATIONAL_UNITES_LEGALES * scale))
    n_etab = max(n_units, round(NATIONAL_ETABLISSEMENTS * scale))
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = out_dir / ".generator"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    started = time.monotonic()
    try:
        con = duckdb.connect(str(scratch / "gen.duckdb"), config={
            "memory_limit": memory_limit, "temp_directory": str(scratch / "tmp"), "preserve_insertion_order": False,
        })
        with con:
            steps = [
                ("reference tables", lambda: load_reference(con, REFERENCE_DIR)),
                (f"{n_units:,} legal units", lambda: generate_unites_legales(con, n_units, seed)),
                (f"{n_etab:,} establishments", lambda: generate_etablissements(con, n_units, n_etab, seed)),
                ("INPI ratios", lambda: generate_inpi(con, seed)),
                (f"SIRENE files ({sirene_format})", lambda: write_sirene(con, out_dir / "sirene", sirene_format, log)),
                ("INPI file", lambda: write_inpi(con, out_dir / "inpi", log)),
            ]
            for label, step in steps:
                t = time.monotonic()
                log(f"generating {label}…")
                step()
                log(f"generated {label} in {time.monotonic() - t:.1f} s")
            counts = {
                "unites_legales": n_units,
                "etablissements": n_etab,
                "inpi_ratios": con.execute("select count(*) from gen_inpi").fetchone()[0],
            }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log(f"landing zone written to {out_dir} in {time.monotonic() - started:.1f} s: {counts}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.001, help="share of the national registry (default 0.001)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sirene-format", choices=["zip", "csv", "parquet"], default="zip")
    parser.add_argument("--out", type=Path, default=None, help="default: LEADS_LANDING_DIR")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = load_settings()
    generate(args.out or settings.landing_dir, scale=args.scale, seed=args.seed, sirene_format=args.sirene_format,
             memory_limit=settings.duckdb_memory_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
