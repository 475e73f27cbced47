"""Write a landing zone of generated source files: `python -m ingestion.sample_data --scale 0.001`.

--scale is the share of the national registry (1.0 = 29 M legal units, 42 M establishments). The same seed and scale
give the same files. Generation runs in a scratch DuckDB database beside the output, which is removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import sys
import time
from pathlib import Path

import duckdb

from ingestion.sample_data.crm import NATIONAL_CRM_COMPANIES, generate_crm_tables, write_crm
from ingestion.sample_data.intent import NATIONAL_WEB_EVENTS, generate_intent_tables, write_intent
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


class NotASampleZone(RuntimeError):
    """The landing folder holds files the generator did not write: it leaves them alone."""


def refuse_to_overwrite(out_dir: Path) -> None:
    """The generator replaces the files of a zone it wrote (it leaves `_truth/` there); a folder holding anything
    else is someone's real exports, which it must never delete or mix with sample data."""
    if not out_dir.is_dir() or (out_dir / "_truth").is_dir():
        return
    theirs = [p for p in out_dir.rglob("*") if p.is_file() and ".generator" not in p.parts]
    if theirs:
        raise NotASampleZone(
            f"{out_dir} holds files the sample generator did not write ({len(theirs)}, e.g. "
            f"{theirs[0].relative_to(out_dir)}): your own exports? They are left as they are. To process them, run "
            f"`make materialize summary` (not `make run`, which generates sample data); to try the sample, set "
            f"LEADS_LANDING_DIR to an empty folder.")


def generate(out_dir: Path, *, scale: float = 0.001, seed: int = 42, sirene_format: str = "zip",
             as_of: dt.date | None = None, memory_limit: str = "4GB", log: Log = logger.info) -> dict[str, int]:
    """Generate the landing zone in `out_dir`; returns the row counts written. Events are dated back from `as_of`
    (default LEADS_AS_OF, else today), so the scoring window always holds recent behaviour."""
    as_of = as_of or load_settings().as_of
    refuse_to_overwrite(out_dir)
    n_units = max(50, round(NATIONAL_UNITES_LEGALES * scale))
    n_etab = max(n_units, round(NATIONAL_ETABLISSEMENTS * scale))
    n_crm = max(150, round(NATIONAL_CRM_COMPANIES * scale))
    n_web = max(5000, round(NATIONAL_WEB_EVENTS * scale))
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
                (f"{n_crm:,} CRM companies with their people and deals",
                 lambda: generate_crm_tables(con, n_crm, seed, as_of)),
                (f"intent feeds ({n_web:,} web events)", lambda: generate_intent_tables(con, n_web, seed, as_of)),
                (f"SIRENE files ({sirene_format})", lambda: write_sirene(con, out_dir / "sirene", sirene_format, log)),
                ("INPI file", lambda: write_inpi(con, out_dir / "inpi", log)),
                ("CRM exports", lambda: write_crm(con, out_dir, log)),
                ("intent files", lambda: write_intent(con, out_dir, log)),
            ]
            for label, step in steps:
                t = time.monotonic()
                log(f"generating {label}…")
                step()
                log(f"generated {label} in {time.monotonic() - t:.1f} s")
            counts = {
                "unites_legales": n_units,
                "etablissements": n_etab,
                **{name: con.execute(f"select count(*) from {table}").fetchone()[0] for name, table in (
                    ("inpi_ratios", "gen_inpi"), ("crm_companies", "gen_crm_companies"),
                    ("crm_people", "gen_crm_people"), ("crm_deals", "gen_crm_deals"),
                    ("web_events", "gen_web_events"), ("email_events", "gen_email_events"),
                    ("signals", "gen_signals"), ("bodacc", "gen_bodacc"))},
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
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="default: LEADS_AS_OF or today")
    args = parser.parse_args(argv)
    settings = load_settings()
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.log_dir / "sample_data.log"
    # every line to the log file; the terminal gets one per part generated
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", filename=log_path, filemode="w")
    print(f"Generating the sample landing zone (scale {args.scale}); full log: {log_path}", flush=True)

    def log(message: str) -> None:
        logging.info(message)
        if message.startswith(("generated", "landing zone written")):
            print(f"  {message.split(': {')[0]}", flush=True)

    generate(args.out or settings.landing_dir, scale=args.scale, seed=args.seed, sirene_format=args.sirene_format,
             as_of=args.as_of, memory_limit=settings.duckdb_memory_limit, log=log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
