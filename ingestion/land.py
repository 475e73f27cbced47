"""Entry points that land each registry source from the landing zone: `python -m ingestion.land [source ...]`."""

from __future__ import annotations

import argparse
import logging
import sys

import duckdb

from ingestion.landing import LandingError, LandingResult, ensure_table, find_source_file, land_file
from ingestion.settings import Settings, load_settings
from ingestion.sources import SOURCES
from ingestion.warehouse import Log, connect, logger


def land_source(name: str, settings: Settings | None = None, con: duckdb.DuckDBPyConnection | None = None, *,
                force: bool = False, enforce_national_minimum: bool = False,
                log: Log = logger.info) -> LandingResult | None:
    """Land one source by name. When its file is absent from the landing zone (an optional source) return None and
    leave the table as it is, creating it empty if it never existed."""
    settings = settings or load_settings()
    folder, stem, spec = SOURCES[name]
    if con is None:
        with connect(settings) as own:
            return land_source(name, settings, own, force=force, enforce_national_minimum=enforce_national_minimum,
                               log=log)
    path = find_source_file(settings.landing_dir / folder, stem)
    if path is None:
        created = ensure_table(con, spec)
        log(f"no {stem}.{{zip,csv,parquet}} in {settings.landing_dir / folder}: raw.{spec.table} "
            + ("created empty" if created else "left as it is"))
        return None
    log(f"landing {path} into raw.{spec.table}")
    return land_file(con, path, spec, temp_dir=settings.temp_dir, force=force,
                     enforce_national_minimum=enforce_national_minimum, log=log)


def land_registry(settings: Settings | None = None, *, force: bool = False,
                  log: Log = logger.info) -> dict[str, LandingResult | None]:
    """Every registry source of the landing zone, then the API Sirene days saved in sirene/updates/ (empty
    `raw.sirene_updates_*` tables when none is): all the tables the SIRENE staging models read. The benchmarks land
    with this, so that they follow when the pipeline gains a source."""
    from ingestion.sirene_api import land_daily_updates

    settings = settings or load_settings()
    with connect(settings) as con:
        results = {name: land_source(name, settings, con, force=force, log=log) for name in SOURCES}
        land_daily_updates(con, settings.landing_dir / "sirene" / "updates", log=log)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sources", nargs="*", choices=[*SOURCES, []], help="default: all")
    parser.add_argument("--force", action="store_true", help="reload unchanged files and skip the 98%% gate")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        if args.sources:
            for name in args.sources:
                land_source(name, force=args.force)
        else:
            land_registry(force=args.force)
    except LandingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
