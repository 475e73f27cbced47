"""Throughput of the CRM pull and push against the local HubSpot and Salesforce stand-ins (tests/crm_api_fakes.py).

    uv run python -m bench.crm_api [--records 20000]

For each CRM: a full pull, an incremental pull after 1 % of the records changed, a push of every record's scores,
and a rerun of the push (nothing changed). Twice: under HubSpot's default limit for private apps (100 calls per
10 seconds, which then sets the pace), and with the client's limit lifted (what the client itself costs).
Reports records per second, calls per 1 000 records and the peak memory; results go to
bench/results/crm-api-<date>.json. The stand-ins answer in microseconds: a real portal adds its latency per call,
which the calls per 1 000 records let you estimate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from pytest_httpserver import HTTPServer

from bench.registry import REPO, RESULTS

sys.path.insert(0, str(REPO / "tests"))
from crm_api_fakes import FakeHubSpot, FakeSalesforce  # noqa: E402

from crm_sync.hubspot import HubSpotApi, pull_hubspot  # noqa: E402
from crm_sync.push import push_scores  # noqa: E402
from crm_sync.salesforce import SalesforceApi, pull_salesforce  # noqa: E402

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.timezone.utc)
TODAY = dt.date(2026, 11, 26)


def _fill(hubspot: FakeHubSpot, salesforce: FakeSalesforce, n: int) -> None:
    companies = max(1, n // 5)
    for i in range(companies):
        hubspot.add("companies", str(10_000_000 + i), {"name": f"Société {i}", "domain": f"s{i}.fr"},
                    T0 - dt.timedelta(minutes=i))
        salesforce.add("Account", f"001{i:015d}", {"Name": f"Société {i}", "Website": f"s{i}.fr"},
                       T0 - dt.timedelta(minutes=i))
    for i in range(n):
        hubspot.add("contacts", str(i + 1), {"firstname": f"Prénom {i}", "lastname": "Nom", "email": f"p{i}@s.fr",
                                             "jobtitle": "Directeur commercial", "lifecyclestage": "lead"},
                    T0 - dt.timedelta(minutes=i))
        hubspot.associate("contacts", str(i + 1), "companies", str(10_000_000 + i % companies), primary=True)
        salesforce.add("Lead", f"00Q{i:015d}", {"FirstName": f"Prénom {i}", "LastName": "Nom", "Email": f"l{i}@s.fr",
                                                "Company": "Dupont SA", "Status": "Open", "IsConverted": False},
                       T0 - dt.timedelta(minutes=i))
    for i in range(max(1, n // 20)):
        hubspot.add("deals", str(20_000_000 + i), {"dealname": f"Deal {i}", "dealstage": "appointmentscheduled"},
                    T0 - dt.timedelta(minutes=i))
        hubspot.associate("deals", str(20_000_000 + i), "companies", str(10_000_000 + i % companies), primary=True)
        salesforce.add("Opportunity", f"006{i:015d}", {"Name": f"Opp {i}", "StageName": "Prospecting",
                                                       "AccountId": f"001{i % companies:015d}"},
                       T0 - dt.timedelta(minutes=i))


def _change(hubspot: FakeHubSpot, salesforce: FakeSalesforce, n: int) -> None:
    for i in range(0, n, 100):  # 1 %
        hubspot.add("contacts", str(i + 1), {"firstname": f"Prénom {i}", "email": f"p{i}@s.fr",
                                             "lifecyclestage": "marketingqualifiedlead"}, T0 + dt.timedelta(days=1))
        salesforce.records["Lead"][f"00Q{i:015d}"].update(Status="Working", SystemModstamp=T0 + dt.timedelta(days=1))


def _scores(path: Path, n: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema raw")
    con.execute(f"""create table marts.qualified_leads as
        select crm || ':' || case when crm = 'hubspot' then (i + 1)::varchar else '00Q' || lpad(i::varchar, 15, '0')
               end as lead_id, crm as crm_source, case when crm = 'hubspot' then 'contact' else 'lead' end as person_type,
               'p' || i || '@s.fr' as email, (i % 100)::double as lead_score, 60.0 as fit_score,
               (i % 70)::double as engagement_score, 0.0 as intent_score,
               case when i % 100 >= 60 then 'mql' else 'lead' end as status, null::varchar as sql_source,
               true as bant_budget, false as bant_authority, i % 3 = 0 as bant_need, false as bant_timing,
               '552100554' as siren, 'Score du lead ' || (i % 100) || ' : seuil MQL 60' as status_reason
        from range({n}) as t(i), (values ('hubspot'), ('salesforce')) as c(crm)""")
    con.execute("create table raw.crm_erasure_requests (email_sha256 varchar, requested_at date, "
                "source_file varchar, erased_from_disk_at timestamp)")
    return con


def _rate(records: int, seconds: float) -> float:
    return round(records / seconds) if seconds else 0.0


def run(n: int, calls_per_10s: int, work: Path) -> dict:
    server = HTTPServer()
    server.start()
    try:
        hubspot = FakeHubSpot().install(server)
        salesforce = FakeSalesforce().install(server)
        _fill(hubspot, salesforce, n)
        base = server.url_for("").rstrip("/")
        hs = HubSpotApi(hubspot.token, base, calls_per_10s=calls_per_10s, backoff_factor=0)
        sf = SalesforceApi(client_id=salesforce.client_id, client_secret=salesforce.client_secret, login_url=base,
                           calls_per_second=calls_per_10s / 4, backoff_factor=0)
        report: dict = {}
        for phase, day in (("full_pull", TODAY), ("incremental_pull", TODAY + dt.timedelta(days=1))):
            if phase == "incremental_pull":
                _change(hubspot, salesforce, n)
            for crm, pull, api in (("hubspot", pull_hubspot, hs), ("salesforce", pull_salesforce, sf)):
                crm_dir = work / crm
                started = time.monotonic()
                result = pull(api, crm_dir, day, log=lambda line: None)
                seconds = time.monotonic() - started
                report[f"{crm}_{phase}"] = {
                    "records": result.records, "calls": result.calls, "seconds": round(seconds, 2),
                    "records_per_s": _rate(result.records, seconds),
                    "calls_per_1000_records": round(1000 * result.calls / max(1, result.records), 1)}
        con = _scores(work / "scores.duckdb", n)
        for phase in ("push", "push_rerun"):
            started = time.monotonic()
            result = push_scores(con, "on", hubspot_api=hs, salesforce_api_factory=lambda: sf,
                                 dry_run_file=work / "dry.csv", log=lambda line: None)
            seconds = time.monotonic() - started
            pushed = sum(result.pushed.values())
            report[phase] = {"changed": result.changed, "pushed": result.pushed, "calls": result.calls,
                             "seconds": round(seconds, 2), "records_per_s": _rate(pushed, seconds),
                             "calls_per_1000_records": {k: round(1000 * c / max(1, result.pushed.get(k, 0)), 1)
                                                        for k, c in result.calls.items()}}
        con.close()
        return report
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000, help="contacts (HubSpot) and leads (Salesforce)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the stand-ins' access log
    report = {"machine": f"{platform.machine()}, {platform.python_version()}", "records": args.records,
              "date": dt.date.today().isoformat()}
    for label, limit in (("default_limits", 100), ("limits_lifted", 1_000_000)):
        with tempfile.TemporaryDirectory() as work:
            print(f"{label}: {args.records:,} records per CRM…", file=sys.stderr, flush=True)
            report[label] = run(args.records, limit, Path(work))
            for phase, figures in report[label].items():
                print(f"  {phase}: {json.dumps(figures)}", file=sys.stderr, flush=True)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"crm-api-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
