"""Generate the intent feeds for the generated CRM: web events, SendGrid email events, business signals and BODACC
announcements, with planted behaviour so that every lead status of the data contract occurs.

Profiles of people: hot (a burst of pricing-page views in a few days, often a demo request), warm (product pages,
webinars, downloads), cold (a few old visits, some older than the retention window). Anonymous visitors make up the
rest of the web traffic; a visitor identified later keeps its `visitor_id`, so its earlier events can be attributed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from ingestion.sample_data.crm import DECISION_TITLES, _pick
from ingestion.sample_data.files import write_csv_table
from ingestion.sample_data.registry import _sql_list
from ingestion.warehouse import Log

NATIONAL_WEB_EVENTS = 50_000_000
SITE = "https://www.example-saas.fr"
PAGES = [("/", "Accueil"), ("/blog/scoring-de-leads", "Le scoring de leads expliqué"),
         ("/blog/donnees-sirene", "Exploiter les données SIRENE"), ("/produit", "Produit"),
         ("/fonctionnalites", "Fonctionnalités"), ("/tarifs", "Tarifs"), ("/clients", "Nos clients"),
         ("/a-propos", "À propos"), ("/carrieres", "Carrières"), ("/blog/rgpd-b2b", "RGPD et prospection B2B")]


def generate_intent_tables(con: duckdb.DuckDBPyConnection, n_web_events: int, seed: int, as_of: dt.date) -> None:
    con.execute(f"set variable as_of_ts = timestamp '{as_of.isoformat()} 18:00:00'")
    paths = _sql_list([p for p, _ in PAGES])
    titles = _sql_list([t for _, t in PAGES])
    # Planted journeys of CRM people. e = 0 is an anonymous visit, e = 1 the form that identifies the visitor.
    con.execute(
        f"""create or replace table gen_web_planted as
        with people as (
            select p, email, domain, hash(p, 'profile', $seed) % 100 as prof from gen_crm_people
        ),
        journeys as (
            select *, case when prof < 8 then 'hot' when prof < 28 then 'warm' else 'cold' end as profile,
                   -- a hot journey spans about six days and ends before as-of
                   case when prof < 8 then getvariable('as_of_ts') - to_days((7 + hash(p, 'hb', $seed) % 14)::int)
                        when prof < 28 then getvariable('as_of_ts') - to_days((10 + hash(p, 'wb', $seed) % 80)::int)
                        else getvariable('as_of_ts') - to_days((hash(p, 'cb', $seed) % 430)::int) end as base
            from people
        ),
        events as (
            select j.*, e from journeys j,
                 range(case profile when 'hot' then 7 when 'warm' then 5 else (hash(p, 'nc', $seed) % 3)::int end) r(e)
        )
        select 'evt_p' || p || '_' || e as event_id,
               case
                   when profile = 'hot' and e between 2 and 4 then base + to_hours(20 * (e - 2) + (hash(p, e, 'h', $seed) % 6)::int)
                   when profile = 'cold' then base - to_days(40 * e)
                   else base + to_hours(e * 30 - 30)
               end as occurred_at,
               'v-' || p as visitor_id,
               case when e >= 1 or profile = 'cold' then email end as email,
               case when hash(p, e, 'rip', $seed) % 2 = 0 then domain end as company_domain,
               case
                   when e = 1 then 'form_submit'
                   when profile = 'hot' and e = 5 and hash(p, 'demo', $seed) % 2 = 0 then 'demo_request'
                   when profile = 'hot' and e = 6 then 'content_download'
                   when profile = 'warm' and e = 3 then
                        case when hash(p, 'wk', $seed) % 2 = 0 then 'webinar_registration' else 'content_download' end
                   else 'page_view'
               end as event_type,
               case
                   when profile = 'hot' and e between 2 and 4 then '/tarifs'
                   when profile = 'hot' and e = 5 then '/demo'
                   when profile = 'warm' and e = 2 then '/produit'
                   when profile = 'warm' and e = 4 and hash(p, 'wp', $seed) % 2 = 0 then '/tarifs'
                   when e = 1 then '/ressources/livre-blanc-scoring'
                   when e in (3, 6) then '/ressources/guide-intent-data'
                   else {paths}[1 + (hash(p, e, 'pg', $seed) % {len(PAGES)})::int]
               end as page_path,
               case when e in (1, 3, 6) then 'guide-intent-data' end as content_id,
               ['google', 'linkedin', 'newsletter', null, null][1 + (hash(p, e, 'src', $seed) % 5)::int] as utm_source,
               case when hash(p, e, 'cmp', $seed) % 3 = 0 then 'automne-2026' end as utm_campaign
        from events""",
        {"seed": seed},
    )
    # Buying episodes of the past year (gen_buying_episodes): product page, a form, three pricing views in three
    # days, then a demo request or a guide, all identified. Opportunities follow some of them (the backtest's truth).
    con.execute(
        """insert into gen_web_planted by name
        with steps(e, days_before, hour, event_type, page_path) as (values
            (0, 8, 9, 'page_view', '/produit'), (1, 7, 10, 'form_submit', '/ressources/livre-blanc-scoring'),
            (2, 4, 11, 'page_view', '/tarifs'), (3, 3, 15, 'page_view', '/tarifs'), (4, 2, 10, 'page_view', '/tarifs'),
            (5, 1, 14, 'demo_request', '/demo'))
        select 'evt_x' || b.k || '_' || s.e as event_id,
               b.episode_on::timestamp - to_days(s.days_before) + to_hours(s.hour) as occurred_at,
               'v-' || b.p as visitor_id, b.email, null::varchar as company_domain,
               case when s.e = 5 and hash(b.k, 'ep_demo', $seed) % 2 = 1 then 'content_download' else s.event_type end
                   as event_type,
               case when s.e = 5 and hash(b.k, 'ep_demo', $seed) % 2 = 1 then '/ressources/guide-intent-data'
                    else s.page_path end as page_path,
               case when s.e in (1, 5) then 'guide-intent-data' end as content_id,
               'linkedin' as utm_source, null::varchar as utm_campaign
        from gen_buying_episodes b, steps s""",
        {"seed": seed},
    )
    planted = con.execute("select count(*) from gen_web_planted").fetchone()[0]
    n_background = max(0, n_web_events - planted)
    n_anonymous = max(50, n_background // 6)
    n_companies = con.execute("select count(*) from gen_crm_companies").fetchone()[0]
    con.execute(
        f"""create or replace table gen_web_events as
        with background as (
            select 'evt_b' || i as event_id,
                   getvariable('as_of_ts') - to_seconds((hash(i, 'bt', $seed) % (400 * 86400))::bigint) as occurred_at,
                   'a-' || (hash(i, 'visitor', $seed) % {n_anonymous}) as visitor_id,
                   null::varchar as email,
                   case when hash(i, 'brip', $seed) % 10 < 4 then 1 + (hash(i, 'bco', $seed) % {n_companies})
                   end as company_k,
                   'page_view' as event_type,
                   {paths}[1 + (hash(i, 'bpg', $seed) % {len(PAGES)})::int] as page_path,
                   null::varchar as content_id,
                   ['google', 'linkedin', null][1 + (hash(i, 'bsrc', $seed) % 3)::int] as utm_source,
                   null::varchar as utm_campaign
            from range({n_background}) t(i)
        ),
        background_with_domain as (  -- reverse-IP resolves some anonymous visits to a company's domain
            select b.* exclude (company_k) replace (c.domain as company_domain)
            from (select *, null::varchar as company_domain from background) b
            left join (select row_number() over (order by k) as company_k, domain from gen_crm_companies) c
                   using (company_k)
        ),
        all_events as (
            select * from gen_web_planted
            union all by name
            select * from background_with_domain
        )
        select e.*, '{SITE}' || page_path as page_url,
               coalesce(list_extract({titles}, list_position({paths}, page_path)),
                        case when page_path = '/demo' then 'Demander une démo' else 'Ressources' end) as page_title
        from all_events e
        union all  -- the collector sometimes sends an event twice: same event_id, counted once
        select e.*, '{SITE}' || page_path, 'Tarifs' from gen_web_planted e
        where page_path = '/tarifs' and hash(event_id, 'dup', $seed) % 50 = 0""",
        {"seed": seed},
    )
    _email_events(con, seed, as_of)
    _signals(con, seed, as_of)
    _bodacc(con, seed, as_of)


def _email_events(con: duckdb.DuckDBPyConnection, seed: int, as_of: dt.date) -> None:
    as_of_unix = int(dt.datetime.combine(as_of, dt.time(18)).replace(tzinfo=dt.timezone.utc).timestamp())
    con.execute(
        f"""create or replace table gen_email_events as
        with sends as (
            select p, email, hash(p, 'profile', $seed) % 100 as prof, c,
                   {as_of_unix} - (c * 28 + 3) * 86400 + (hash(p, c, 'sendt', $seed) % 3600)::bigint as sent_at
            from gen_crm_people, range(6) r(c)
            where not email_opt_out
        ),
        outcomes as (
            select *, hash(p, c, 'outcome', $seed) % 1000 as o from sends
        ),
        events as (
            select *, 'delivered' as event, sent_at + 5 as ts from outcomes where o >= 20
            union all select *, 'bounce', sent_at + 5 from outcomes where o < 20
            union all select *, 'open', sent_at + 3600 from outcomes where o >= 20 and o % 10 < 4
            union all select *, 'click', sent_at + 4000 from outcomes
                where o >= 20 and (o % 10 < 1 or (prof < 28 and o % 10 < 3))
            union all select *, 'unsubscribe', sent_at + 5000 from outcomes where o between 20 and 29
            union all select *, 'spamreport', sent_at + 5000 from outcomes where o = 30
        )
        select email, ts as timestamp, event, 'sg_' || md5(p::varchar || '-' || c || '-' || event) as sg_event_id,
               case when event = 'open' then hash(p, c, 'mpp', $seed) % 100 < 35 end as sg_machine_open,
               case when event = 'click' then
                    case when prof < 8 then '{SITE}/tarifs' else '{SITE}/blog/scoring-de-leads' end end as url,
               ['newsletter', 'webinar', 'produit'][1 + (c % 3)::int] as category
        from events""",
        {"seed": seed},
    )


def _signals(con: duckdb.DuckDBPyConnection, seed: int, as_of: dt.date) -> None:
    con.execute(
        f"""create or replace table gen_signals as
        with company_signals as (  -- each 200 days of the past 600 alike: the backtest's past dates see what today sees
            select k, slot, true_siren, crm_name, domain,
                   case when slot = 0 then hash(k, 'sig', $seed) else hash(k, slot, 'sig', $seed) end % 100 as s
            from gen_crm_companies, range(3) r(slot) where variant <> 'domain'
        ),
        typed as (
            select *, case when s < 4 then 'funding' when s < 12 then 'hiring' when s < 14 then 'expansion'
                           when s < 17 then 'leadership_change' end as signal_type
            from company_signals
        ),
        registry_only as (  -- signals about companies not in the CRM feed the net-new target list
            select siren, denominationUniteLegale as name,
                   ['funding', 'hiring', 'hiring', 'expansion'][1 + (hash(_i, 'rst', $seed) % 4)::int] as signal_type,
                   _i
            from gen_unites_legales
            where _kind = 'company' and etatAdministratifUniteLegale = 'A'
              and hash(_i, 'rsig', $seed) % 1000 < 3
        )
        select 'sig_c' || k || case when slot > 0 then '_' || slot else '' end as signal_id, signal_type,
               date '{as_of.isoformat()}' - (200 * slot + hash(k, slot, 'sigd', $seed) % 200)::int as occurred_at,
               case when hash(k, slot, 'sigsiren', $seed) % 10 < 7 then true_siren end as siren,
               crm_name as company_name, domain as company_domain, null::varchar as person_email,
               null::varchar as new_job_title,
               case when signal_type = 'funding' then (500000 + hash(k, slot, 'amt', $seed) % 20000000)::bigint end
                   as amount_eur,
               case when signal_type = 'hiring' then (3 + hash(k, slot, 'roles', $seed) % 40)::int end
                   as headcount_open_roles,
               ['maddyness', 'welcome-to-the-jungle', 'les-echos', 'linkedin'][
                   1 + (hash(k, slot, 'ss', $seed) % 4)::int] as source,
               'https://news.example.org/articles/' || k || case when slot > 0 then '-' || slot else '' end
                   as source_url
        from typed where signal_type is not null
        union all
        -- the funding round or hiring surge two to five months before each buying episode of a fitting company
        select 'sig_x' || k, case when hash(k, 'ep_sig', $seed) % 2 = 0 then 'funding' else 'hiring' end,
               episode_on - (60 + hash(k, 'ep_sigd', $seed) % 91)::int, true_siren, null, null, null, null,
               case when hash(k, 'ep_sig', $seed) % 2 = 0 then (1000000 + hash(k, 'ep_amt', $seed) % 20000000)::bigint end,
               case when hash(k, 'ep_sig', $seed) % 2 = 1 then (12 + hash(k, 'ep_roles', $seed) % 30)::int end,
               'les-echos', 'https://news.example.org/episodes/' || k
        from gen_buying_episodes where after_signal and true_siren is not null
        union all
        select 'sig_j' || p || case when slot > 0 then '_' || slot else '' end, 'job_change',
               date '{as_of.isoformat()}' - (150 * slot + hash(p, slot, 'jcd', $seed) % 150)::int,
               null, crm_name, domain, email, {_pick(DECISION_TITLES, "hash(p, slot, 'jct', $seed)")}, null, null,
               'linkedin', 'https://www.linkedin.com/in/' || p || case when slot > 0 then '?' || slot else '' end
        from gen_crm_people, range(4) r(slot)  -- each 150 days of the past 600 alike
        where case when slot = 0 then hash(p, 'jc', $seed) else hash(p, slot, 'jc', $seed) end % 100 < 3
        union all
        select 'sig_r' || _i, signal_type, date '{as_of.isoformat()}' - (hash(_i, 'rsd', $seed) % 120)::int,
               siren, name, null, null, null,
               case when signal_type = 'funding' then (1000000 + hash(_i, 'ramt', $seed) % 30000000)::bigint end,
               case when signal_type = 'hiring' then (5 + hash(_i, 'rroles', $seed) % 30)::int end,
               'welcome-to-the-jungle', 'https://news.example.org/registry/' || _i
        from registry_only""",
        {"seed": seed},
    )


def _bodacc(con: duckdb.DuckDBPyConnection, seed: int, as_of: dt.date) -> None:
    con.execute(
        f"""create or replace table gen_bodacc as
        with picked as (
            select c.k, c.true_siren as siren, u.denominationUniteLegale as name, c.postal_code, c.city,
                   hash(c.k, 'bodacc', $seed) % 100 as b,
                   exists (select 1 from gen_buying_episodes e where e.k = c.k) as buys
            from gen_crm_companies c join gen_unites_legales u on u.siren = c.true_siren
            where c.variant <> 'domain'
        ),
        typed as (  -- accounts that go through a buying episode are not the ones in liquidation
            select *, case when b < 3 and not buys then 'collective' when b < 4 and not buys then 'radiation'
                           when b < 8 then 'modification' when b < 10 then 'creation' end as familleavis
            from picked
        )
        select 'A2026' || lpad(k::varchar, 9, '0') as id,
               (date '{as_of.isoformat()}' - (hash(k, 'bdate', $seed) % 330)::int)::varchar as dateparution,
               familleavis,
               case familleavis when 'collective' then 'Procédures collectives' when 'radiation' then 'Radiations'
                    when 'modification' then 'Modifications diverses' else 'Créations' end as familleavis_lib,
               'annonce' as typeavis,
               [siren[1:3] || ' ' || siren[4:6] || ' ' || siren[7:9], siren] as registre,
               name as commercant, postal_code as cp, city as ville,
               case when familleavis = 'collective' then json_object(
                   'type', 'initial', 'famille', 'Jugement d''ouverture',
                   'nature', case when b % 2 = 0 then 'Jugement d''ouverture d''une procédure de redressement judiciaire'
                                  else 'Jugement d''ouverture de liquidation judiciaire' end,
                   'date', (date '{as_of.isoformat()}' - (hash(k, 'jdate', $seed) % 330)::int)::varchar)::varchar
               end as jugement,
               case when familleavis = 'creation' then json_object(
                   'categorieCreation', 'Création d''un établissement secondaire',
                   'dateCommencementActivite', (date '{as_of.isoformat()}' - 20)::varchar)::varchar end as acte,
               case when familleavis = 'modification' then json_object(
                   'descriptif', 'Modification du capital social. Nouveau capital : '
                                 || (100000 + hash(k, 'cap', $seed) % 900000)::varchar || ' €.')::varchar
               end as modificationsgenerales,
               case when familleavis = 'radiation' then json_object(
                   'radiationPM', 'Radiation du registre du commerce et des sociétés')::varchar end as radiationaurcs,
               null::varchar as depot,
               json_object('personne', json_object('typePersonne', 'pm', 'denomination', name,
                   'numeroImmatriculation', json_object('numeroIdentification',
                       siren[1:3] || ' ' || siren[4:6] || ' ' || siren[7:9], 'codeRCS', 'RCS',
                       'nomGreffeImmat', city)))::varchar as listepersonnes
        from typed where familleavis is not null""",
        {"seed": seed},
    )


def write_intent(con: duckdb.DuckDBPyConnection, out_dir: Path, log: Log) -> list[Path]:
    intent = out_dir / "intent"
    for sub in ("web_events", "email_events", "signals", "bodacc"):
        (intent / sub).mkdir(parents=True, exist_ok=True)
        for old in (intent / sub).iterdir():
            old.unlink()
    written = []
    columns = ("event_id, strftime(occurred_at, '%Y-%m-%dT%H:%M:%S') || '+00:00' as occurred_at, visitor_id, email, "
               "company_domain, event_type, page_url, page_title, content_id, utm_source, utm_campaign")
    months = [m for (m,) in con.execute(
        "select distinct strftime(occurred_at, '%Y-%m') as m from gen_web_events order by 1").fetchall()]
    for month in months:
        where = f"where strftime(occurred_at, '%Y-%m') = '{month}'"
        if month == months[-1]:  # the current month arrives as CSV, gzipped, like some collectors export it
            target = intent / "web_events" / f"web-{month}.csv.gz"
            con.execute(f"copy (select {columns} from gen_web_events {where} order by event_id) to '{target}' "
                        f"(header, compression gzip)")
        else:
            target = intent / "web_events" / f"web-{month}.jsonl.gz"
            con.execute(f"copy (select {columns} from gen_web_events {where} order by event_id) to '{target}' "
                        f"(format json, compression gzip)")
        written.append(target)
    target = intent / "email_events" / "sendgrid-events.jsonl.gz"
    con.execute(f"copy (select * from gen_email_events order by timestamp, sg_event_id) to '{target}' "
                f"(format json, compression gzip)")
    written.append(target)
    target = intent / "signals" / "signals.jsonl"
    con.execute(f"copy (select * from gen_signals where signal_type <> 'hiring' order by signal_id) to '{target}' "
                f"(format json)")
    written.append(target)
    written.append(write_csv_table(con, "select * from gen_signals where signal_type = 'hiring' order by signal_id",
                                   intent / "signals" / "hiring.csv"))
    target = intent / "bodacc" / "annonces-commerciales.json"
    con.execute(f"copy (select * from gen_bodacc order by id) to '{target}' (format json, array true)")
    written.append(target)
    for path in written:
        log(f"wrote {path} ({path.stat().st_size / 1e6:,.1f} MB)")
    return written
