"""National-scale benchmark of the registry half: generate 29 M legal units and 42 M establishments, then time landing
+ the dbt models from parquet and from zipped CSV, beside the floor (DuckDB alone reading the same files once).

    uv run python -m bench.registry [--scale 1.0] [--work bench/data] [--skip-generate]

Each phase runs in its own process so its peak RSS is its own. Results go to bench/results/registry-<date>.json.
Never run in CI: it needs about 40 GB of disk and half an hour.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# where results go: bench/results/, or LEADS_BENCH_RESULTS (the suite's smoke runs write to a temporary folder)
RESULTS = Path(os.environ.get("LEADS_BENCH_RESULTS") or REPO / "bench" / "results")
# DuckDB's cap in the national benchmarks that run dbt (LEADS_DUCKDB_MEMORY_LIMIT, unless set): the pipeline's default,
# 4GB, ran the national full rebuild out of memory (qualified_leads and the training set side by side, 2026-12-06);
# 12GB on the 24 GB machine passes, and is what a national deployment sets
NATIONAL_MEMORY_LIMIT = "12GB"


def national_memory_limit() -> str:
    """The DuckDB cap the benchmark's dbt and Python steps get: LEADS_DUCKDB_MEMORY_LIMIT, else the national one."""
    os.environ.setdefault("LEADS_DUCKDB_MEMORY_LIMIT", NATIONAL_MEMORY_LIMIT)
    return os.environ["LEADS_DUCKDB_MEMORY_LIMIT"]


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _phase(name: str, *args: str, env: dict | None = None) -> dict:
    """Run `python -m bench.registry <name> ...` in a fresh process; it prints one JSON line."""
    cmd = [sys.executable, "-m", "bench.registry", name, *args]
    out = subprocess.run(cmd, cwd=REPO, env={**os.environ, **(env or {})}, check=True, capture_output=True,
                         text=True)
    sys.stderr.write(out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- phases (each in its own process) -------------------------------------------------------------------------

def phase_generate(work: Path, scale: float) -> dict:
    from ingestion.sample_data.__main__ import generate
    from ingestion.sample_data.files import write_csv_table, zip_file
    import duckdb

    parquet_zone, zip_zone = work / "landing_parquet", work / "landing_zip"
    started = time.monotonic()
    counts = generate(parquet_zone, scale=scale, sirene_format="parquet", log=lambda m: print(m, file=sys.stderr))
    generated = time.monotonic() - started
    # The zipped-CSV zone holds the same rows: converted from the parquet files, as INSEE's CSV would read.
    (zip_zone / "sirene").mkdir(parents=True, exist_ok=True)
    (zip_zone / "inpi").mkdir(parents=True, exist_ok=True)
    shutil.copy2(parquet_zone / "inpi" / "ratios_inpi_bce.csv", zip_zone / "inpi" / "ratios_inpi_bce.csv")
    con = duckdb.connect(config={"memory_limit": "4GB", "temp_directory": str(work / "tmp")})
    for stem in ("StockUniteLegale_utf8", "StockEtablissement_utf8"):
        csv_path = zip_zone / "sirene" / f"{stem}.csv"
        write_csv_table(con, f"select * from read_parquet('{parquet_zone / 'sirene' / stem}.parquet')", csv_path,
                        timestamp_format="%Y-%m-%dT%H:%M:%S.000")
        zip_file(csv_path, csv_path.with_suffix(".zip"), lambda m: print(m, file=sys.stderr))
        csv_path.unlink()
    sizes = {str(p.relative_to(work)): p.stat().st_size for p in work.glob("landing_*/*/*") if p.is_file()}
    return {"counts": counts, "generate_s": round(generated, 1), "total_s": round(time.monotonic() - started, 1),
            "file_sizes": sizes, "peak_rss_mb": round(_peak_rss_mb())}


def phase_floor(zone: Path, work: Path) -> dict:
    """DuckDB alone reading every column of the input files once (the zip is unpacked first, as landing does)."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": "4GB", "temp_directory": str(work / "tmp")})
    timings = {}
    started = time.monotonic()
    for stem in ("StockUniteLegale_utf8", "StockEtablissement_utf8"):
        t = time.monotonic()
        parquet = zone / "sirene" / f"{stem}.parquet"
        if parquet.exists():
            con.execute(f"select max(columns(*)) from read_parquet('{parquet}')").fetchall()
        else:
            target = work / "tmp" / f"{stem}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(zone / "sirene" / f"{stem}.zip") as archive, target.open("wb") as out:
                with archive.open(archive.infolist()[0]) as src:
                    shutil.copyfileobj(src, out, 16 << 20)
            con.execute(f"select max(columns(*)) from read_csv('{target}', all_varchar = true)").fetchall()
            target.unlink()
        timings[stem] = round(time.monotonic() - t, 1)
    inpi = zone / "inpi" / "ratios_inpi_bce.csv"
    t = time.monotonic()
    con.execute(f"select max(columns(*)) from read_csv('{inpi}', delim = ';', all_varchar = true)").fetchall()
    timings["ratios_inpi_bce"] = round(time.monotonic() - t, 1)
    return {"floor_s": round(time.monotonic() - started, 1), "files_s": timings, "peak_rss_mb": round(_peak_rss_mb())}


def phase_pipeline(zone: Path, work: Path) -> dict:
    """Landing of the three sources into a new warehouse, then `dbt build` of the models (with their tests)."""
    os.environ["LEADS_LANDING_DIR"] = str(zone)
    os.environ["LEADS_DUCKDB_PATH"] = str(work / f"warehouse_{zone.name}.duckdb")
    for leftover in work.glob(f"warehouse_{zone.name}.duckdb*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    from ingestion.land import land_registry

    steps, rows = {}, {}
    started = time.monotonic()
    for name, result in land_registry(log=lambda m: print(m, file=sys.stderr)).items():
        steps[f"land_{name}"] = round(result.duration_s, 1) if result else 0.0
        rows[name] = result.rows_loaded if result else 0
    landing_s = time.monotonic() - started
    landing_rss = _peak_rss_mb()
    t = time.monotonic()
    dbt = subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--select", "+int_companies", "--indirect-selection", "cautious", "--quiet",
                          "--target-path", str(work / "dbt_target_registry")], cwd=REPO / "dbt_project",
                         capture_output=True, text=True)
    if dbt.returncode:
        raise SystemExit(f"dbt build failed:\n{dbt.stdout[-3000:]}\n{dbt.stderr[-3000:]}")
    steps["dbt_build"] = round(time.monotonic() - t, 1)
    total = time.monotonic() - started
    total_rows = sum(rows.values())
    return {"steps_s": steps, "landing_s": round(landing_s, 1), "total_s": round(total, 1), "rows": rows,
            "landing_rows_per_s": round(total_rows / landing_s), "end_to_end_rows_per_s": round(total_rows / total),
            "peak_rss_landing_mb": round(landing_rss), "peak_rss_mb": round(_peak_rss_mb())}


# ---- driver ------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", nargs="?", default="all", choices=["all", "generate", "floor", "pipeline"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "data")
    parser.add_argument("--zone", type=Path, default=None)
    parser.add_argument("--skip-generate", action="store_true")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    if args.phase == "generate":
        print(json.dumps(phase_generate(work, args.scale)))
        return 0
    if args.phase == "floor":
        print(json.dumps(phase_floor(args.zone, work)))
        return 0
    if args.phase == "pipeline":
        print(json.dumps(phase_pipeline(args.zone, work)))
        return 0

    report = {"date": dt.datetime.now().isoformat(timespec="seconds"), "scale": args.scale,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}}
    if not args.skip_generate:
        print("generating the national landing zone…", file=sys.stderr)
        report["generate"] = _phase("generate", "--scale", str(args.scale), "--work", str(work))
        (work / "generate.json").write_text(json.dumps(report["generate"]))
    elif (work / "generate.json").exists():  # the zone generated by an earlier run
        report["generate"] = json.loads((work / "generate.json").read_text())
    for label in ("parquet", "zip"):
        zone = work / f"landing_{label}"
        print(f"floor and pipeline from {label}…", file=sys.stderr)
        report[f"floor_{label}"] = _phase("floor", "--zone", str(zone), "--work", str(work))
        report[f"pipeline_{label}"] = _phase("pipeline", "--zone", str(zone), "--work", str(work))
        report[f"pipeline_{label}"]["ratio_to_floor"] = round(
            report[f"pipeline_{label}"]["total_s"] / max(report[f"floor_{label}"]["floor_s"], 0.1), 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"registry-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
