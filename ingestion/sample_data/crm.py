"""Generate CRM exports consistent with the generated registry: HubSpot (English labels, French labels in
Windows-1252 with `;`, internal names) and Salesforce Data Export files.

Each CRM company is drawn from the registry and carries its identity in one of the ways real CRMs do: a SIRET, a
SIREN typed with spaces, only a VAT number, only a (sometimes misspelt) name and postal code, a second record that
shares a domain, or no registry counterpart at all. The truth is written to `_truth/crm_companies.csv` so matching
can be measured.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from ingestion.sample_data.files import transcode, write_csv_table
from ingestion.sample_data.registry import FIRST_NAMES_F, FIRST_NAMES_M, SURNAMES, _sql_list
from ingestion.warehouse import Log

NATIONAL_CRM_COMPANIES = 200_000

DECISION_TITLES = ["Directeur général", "Directrice générale", "CEO", "Gérant", "Gérante", "Président",
                   "Présidente", "PDG", "DAF", "Directeur administratif et financier", "CFO", "CTO", "DSI",
                   "Directrice des systèmes d'information", "COO", "Head of Sales", "VP Marketing", "Fondateur",
                   "Co-fondatrice", "Directeur commercial", "Directrice marketing", "Head of Data"]
OTHER_TITLES = ["Chargée d’affaires", "Chargé de communication", "Développeur", "Assistante de direction",
                "Comptable", "Sales Development Representative", "Chef de projet", "Responsable des œuvres sociales",
                "Acheteur", "Office manager", "Consultant", "Data analyst", "Stagiaire", "Technicien support",
                "Chargée de recrutement", "Business developer", "Ingénieur d'études", "Juriste"]
LIFECYCLE = ["subscriber", "lead", "lead", "lead", "lead", "marketingqualifiedlead", "salesqualifiedlead",
             "opportunity", "customer"]
HS_LEAD_STATUS = ["NEW", "NEW", "OPEN", "IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED", "UNQUALIFIED"]
SF_LEAD_STATUS = ["Open - Not Contacted", "Open - Not Contacted", "Working - Contacted", "Working - Contacted",
                  "Closed - Not Converted", "Unqualified", "Non qualifié", "Closed - Converted"]
HS_DEAL_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
                  "contractsent", "closedwon", "closedlost"]
SF_DEAL_STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review",
                  "Closed Won", "Closed Lost"]
FOREIGN_NAMES = ["Globex Corporation", "Initech GmbH", "Umbrella Holdings Ltd", "Acme Iberia SL",
                 "Stark Benelux BV", "Wayne Nordic AB", "Hooli Inc.", "Vandelay Industries LLC"]


# The ideal customer profile the generator plants (the rules' seeds score it, in their own way): these NAF divisions
# (publishing, IT, finance, legal, consulting, advertising, …) and 20 employees or more.
ICP_DIVISIONS = "('58', '59', '60', '61', '62', '63', '64', '65', '66', '69', '70', '71', '72', '73', '74', '75')"
ICP_BANDS = "('12', '21', '22', '31', '32', '41', '42', '51', '52', '53')"


# the sales reps who own the HubSpot contacts ("Contact owner"): one per company, some contacts left unassigned
SALES_OWNERS = ["Camille Laurent", "Julien Moreau", "Sophie Garnier", "Thomas Lefèvre", "Léa Fontaine"]


def _pick(values: list[str], expr: str) -> str:
    return f"{_sql_list(values)}[1 + ({expr} % {len(values)})::int]"


def generate_crm_tables(con: duckdb.DuckDBPyConnection, n_companies: int, seed: int, as_of: dt.date) -> None:
    con.execute(f"set variable as_of = date '{as_of.isoformat()}'")
    n_registry = round(n_companies * 0.87)
    # Companies with employees, and the ideal customers, are likelier to be in a B2B CRM; ceased ones stay (sales keep
    # old records).
    con.execute(
        f"""create or replace table gen_crm_companies as
        with picked as (
            select u.*, s.siret as siege_siret, s.codePostalEtablissement as siege_postal_code,
                   s.libelleCommuneEtablissement as siege_city
            from gen_unites_legales u
            join gen_etablissements s on s.siret = u.siren || u.nicSiegeUniteLegale
            where u._kind = 'company'
            order by hash(u._i, 'crm', $seed) / 18446744073709551616.0
                     * case when u.trancheEffectifsUniteLegale in ('NN', '00') then 4 else 1 end
                     -- the team prospects its ideal customers: 10 times likelier in the CRM
                     * case when substr(u.activitePrincipaleUniteLegale, 1, 2) in {ICP_DIVISIONS}
                                 and u.trancheEffectifsUniteLegale in {ICP_BANDS} then 0.1 else 1 end
            limit {n_registry}
        ),
        registry_side as (
            select row_number() over (order by siren) as k, siren as true_siren, siege_siret as true_siret,
                   denominationUniteLegale as registry_name, categorieJuridiqueUniteLegale as cj,
                   siege_postal_code as postal_code, siege_city as city, trancheEffectifsUniteLegale as band,
                   hash(siren, 'variant', $seed) % 100 as v
            from picked
        )
        select k, true_siren, true_siret, registry_name, cj, postal_code, city, band,
               case when v < 30 then 'siret' when v < 33 then 'siret_invalid' when v < 47 then 'siren'
                    when v < 57 then 'vat' else 'name' end as variant
        from registry_side
        union all
        select {n_registry} + i + 1, null, null, null, null,
               lpad((1000 + hash(i, 'fpc', $seed) % 94000)::varchar, 5, '0'), null, null, 'not_in_registry'
        from range({n_companies - n_registry}) t(i)""",
        {"seed": seed},
    )
    title_case = "array_to_string([upper(w[1]) || w[2:] for w in string_split(lower({x}), ' ')], ' ')"
    con.execute(
        f"""create or replace table gen_crm_companies as
        with named as (
            select *,
                   case when variant = 'not_in_registry' then {_pick(FOREIGN_NAMES, "hash(k, 'fn', $seed)")}
                        else {title_case.format(x='registry_name')} end as clean_name,
                   hash(k, 'crm_source', $seed) % 10 < 7 as is_hubspot
            from gen_crm_companies
        ),
        spelled as (
            select *,
                   case when variant = 'name' and hash(k, 'typo', $seed) % 2 = 0 and length(clean_name) > 6 then
                        -- one letter dropped, as a person typing fast would
                        clean_name[1:3 + (hash(k, 'typo_at', $seed) % (length(clean_name) - 5))::int]
                        || clean_name[5 + (hash(k, 'typo_at', $seed) % (length(clean_name) - 5))::int:]
                   else clean_name end as typed_name
            from named
        )
        select *,
               typed_name || case when variant <> 'not_in_registry' and hash(k, 'lf', $seed) % 2 = 0 then
                   case cj when 5710 then ' SAS' when 5720 then ' SASU' when 5499 then ' SARL' when 5498 then ' EURL'
                           when 5599 then ' SA' else '' end else '' end as crm_name,
               -- homonyms get distinct domains, as two companies never share one
               lower(regexp_replace(strip_accents(clean_name), '[^A-Za-z0-9]+', '', 'g'))
                   || case when row_number() over (partition by clean_name order by k) > 1 then '-' || k::varchar
                           else '' end
                   || case when hash(k, 'tld', $seed) % 4 = 0 then '.com' else '.fr' end as domain,
               case when is_hubspot then (9000000000 + k)::varchar
                    else '001Qx' || lpad(k::varchar, 13, '0') end as crm_company_id,
               case when is_hubspot then 'hubspot' else 'salesforce' end as crm_source,
               case variant
                   when 'siret' then case hash(k, 'fmt', $seed) % 3
                       when 0 then true_siret
                       when 1 then true_siren[1:3] || ' ' || true_siren[4:6] || ' ' || true_siren[7:9] || ' '
                                   || true_siret[10:14]
                       else true_siret[1:9] || ' ' || true_siret[10:14] end
                   when 'siret_invalid' then true_siret[1:13] || ((true_siret[14]::int + 1) % 10)::varchar
               end as siret_value,
               case when variant = 'siren' then case hash(k, 'fmt', $seed) % 3
                   when 0 then true_siren
                   when 1 then true_siren[1:3] || ' ' || true_siren[4:6] || ' ' || true_siren[7:9]
                   else true_siren[1:3] || '.' || true_siren[4:6] || '.' || true_siren[7:9] end
               end as siren_value,
               case when variant = 'vat' then
                   'FR' || lpad(((12 + 3 * (true_siren::bigint % 97)) % 97)::varchar, 2, '0') || true_siren
               end as vat_value,
               case when hash(k, 'emp', $seed) % 3 > 0 then
                   case band when '01' then 2 when '02' then 4 when '03' then 8 when '11' then 15 when '12' then 35
                             when '21' then 75 when '22' then 150 when '31' then 230 when '32' then 400
                             when '41' then 750 when '42' then 1500 when '51' then 3000 else 1 end
               end as employees,
               case when hash(k, 'rev', $seed) % 3 = 0 then round(50000 + hash(k, 'revv', $seed) % 20000000, 2) end
                   as annual_revenue,
               getvariable('as_of') - (30 + hash(k, 'created', $seed) % 900)::int as created_date
        from spelled""",
        {"seed": seed},
    )
    # A second record of 1 in 10 SIRET-identified companies, in the other CRM, with only the name and the domain:
    # the domain tier resolves it from its twin.
    con.execute(
        f"""insert into gen_crm_companies by name
        select k + 10000000 as k, true_siren, true_siret, registry_name, cj, null as postal_code, null as city, band,
               'domain' as variant, clean_name, not is_hubspot as is_hubspot, typed_name, crm_name, domain,
               case when is_hubspot then '001Qx' || lpad((k + 10000000)::varchar, 13, '0')
                    else (9000000000 + k + 10000000)::varchar end as crm_company_id,
               case when is_hubspot then 'salesforce' else 'hubspot' end as crm_source,
               null as siret_value, null as siren_value, null as vat_value, null as employees,
               null as annual_revenue, created_date
        from gen_crm_companies where variant = 'siret' and hash(k, 'twin', $seed) % 10 = 0""",
        {"seed": seed},
    )
    _people(con, seed)
    _buying_episodes(con, seed)
    _deals(con, seed)


def _people(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    first = FIRST_NAMES_F + FIRST_NAMES_M
    con.execute(
        f"""create or replace table gen_crm_people as
        with expanded as (
            select c.*, j, hash(c.k, j, 'person', $seed) as h
            from gen_crm_companies c, range(1 + (hash(c.k, 'n_people', $seed) % 9)::int) r(j)
        ),
        named as (
            select *,
                   {_pick(first, "hash(h, 'first')")} as first_upper,
                   {_pick(SURNAMES, "hash(h, 'last')")} as last_upper,
                   hash(h, 'role') % 100 < 30 as is_decision_maker
            from expanded
        )
        select row_number() over (order by k, j) as p,
               k, crm_source, crm_company_id, crm_name, domain, postal_code, siret_value, variant, true_siren,
               upper(first_upper[1]) || lower(first_upper[2:]) as first_name,
               upper(last_upper[1]) || lower(last_upper[2:]) as last_name,
               case when hash(h, 'freemail') % 100 < 8
                    then lower(strip_accents(first_upper)) || '.' || lower(regexp_replace(strip_accents(last_upper), '[^A-Z]', '', 'g'))
                         || (hash(h, 'num') % 100)::varchar || '@' || ['gmail.com', 'orange.fr', 'free.fr'][1 + (hash(h, 'fm') % 3)::int]
                    else lower(strip_accents(first_upper)) || '.' || lower(regexp_replace(strip_accents(last_upper), '[^A-Z]', '', 'g'))
                         || case when j > 0 and hash(h, 'dup') % 5 = 0 then j::varchar else '' end || '@' || domain
               end as email,
               case when is_decision_maker then {_pick(DECISION_TITLES, "hash(h, 'title')")}
                    else {_pick(OTHER_TITLES, "hash(h, 'title')")} end as job_title,
               is_decision_maker,
               {_pick(LIFECYCLE, "hash(h, 'stage')")} as lifecycle_stage,
               {_pick(HS_LEAD_STATUS, "hash(h, 'status')")} as hs_lead_status,
               {_pick(SF_LEAD_STATUS, "hash(h, 'sfstatus')")} as sf_lead_status,
               hash(h, 'optout') % 100 < 4 as email_opt_out,
               -- Salesforce people of 1 company in 4 are leads (no account yet); the rest are contacts
               crm_source = 'salesforce' and hash(k, 'as_lead', $seed) % 4 = 0 as is_sf_lead,
               getvariable('as_of') - (hash(h, 'pcreated') % 700)::int as created_date
        from named""",
        {"seed": seed},
    )


def _buying_episodes(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """The truth the backtest has to find. Some accounts go through a buying episode in the past year: one of their
    people (a decision maker when there is one) reads the product page, then the pricing page three times in three
    days, then asks for a demo or downloads a guide; an opportunity opens 3 to 30 days later.
    A company that fits the ideal customer profile on both counts (ICP_DIVISIONS, 20 employees or more) buys after a
    trigger: half of them go through an episode, two to five months after a funding round or a hiring surge, and
    every such episode leads to a deal. Elsewhere an episode (1 account in 10) leads to a deal 3 times in 10 and a
    signal changes nothing: the funding rounds and hiring of companies that do not fit (intent.py's background
    signals) are followed by nothing. The rules give a signal the same intent points at every company and add them
    to the fit; they cannot express that a signal matters only where the company fits, and the predictive model can
    (prediction/; tests/test_model_on_sample.py).
    Ceased companies have no episode (nor, in BODACC, do buyers get liquidated). Deals also open without any episode
    (a baseline of 1 % of accounts), and deals are won more often when the company fits."""
    con.execute(
        f"""create or replace table gen_buying_episodes as
        with companies as (
            select c.k, c.true_siren,
                   coalesce(substr(u.activitePrincipaleUniteLegale, 1, 2) in {ICP_DIVISIONS}, false)::int
                   + coalesce(c.band in {ICP_BANDS}, false)::int as fit_level
            from gen_crm_companies c
            left join gen_unites_legales u on u.siren = c.true_siren
            where c.variant <> 'domain' and coalesce(u.etatAdministratifUniteLegale, 'A') = 'A'
        ),
        episodes as (
            select k, true_siren, fit_level,
                   getvariable('as_of') - (20 + hash(k, 'ep_day', $seed) % 360)::int as episode_on,
                   fit_level = 2 as after_signal
            from companies
            where hash(k, 'episode', $seed) % 100 < [10, 10, 50][fit_level + 1]
        ),
        people as (
            select k, arg_min(p, (not is_decision_maker, p)) as p, arg_min(email, (not is_decision_maker, p)) as email
            from gen_crm_people group by k
        )
        select e.*, pe.p, pe.email,
               e.after_signal or hash(e.k, 'ep_deal', $seed) % 100 < 30 as leads_to_deal,  -- always after a signal
               hash(e.k, 'ep_won', $seed) % 100 < [35, 50, 65][e.fit_level + 1] as deal_is_won
        from episodes e join people pe using (k)""",
        {"seed": seed},
    )


def _deals(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Deals after buying episodes (their person as the contact), and a baseline of deals without one. Closed deals
    were won or lost before as-of; the others are open at a stage before closing."""
    con.execute(
        f"""create or replace table gen_crm_deals as
        with planted as (
            select e.k, e.p as person, e.deal_is_won,
                   e.episode_on + (3 + hash(e.k, 'ep_open', $seed) % 28)::int as created_date
            from gen_buying_episodes e where e.leads_to_deal
        ),
        baseline as (
            select c.k, (select min(p.p) from gen_crm_people p where p.k = c.k) as person,
                   hash(c.k, 'won', $seed) % 100 < 30 as deal_is_won,
                   getvariable('as_of') - (30 + hash(c.k, 'dcreated', $seed) % 330)::int as created_date
            from gen_crm_companies c
            where c.variant <> 'domain' and hash(c.k, 'has_deal', $seed) % 100 < 1
              and not exists (select 1 from gen_buying_episodes e where e.k = c.k)
        ),
        deals as (
            select *, created_date + (20 + hash(k, 'cycle', $seed) % 70)::int as close_date
            from (select * from planted union all select * from baseline)
            where created_date <= getvariable('as_of') and person is not null
        )
        select row_number() over (order by d.k) as d, d.k, c.crm_source, c.crm_company_id, c.crm_name,
               d.person as first_person,
               case when d.close_date > getvariable('as_of') then (hash(d.k, 'deal_stage', $seed) % 5)::int
                    when d.deal_is_won then 5 else 6 end as stage_index,
               round(2000 + hash(d.k, 'amount', $seed) % 80000, 2) as amount,
               d.close_date, d.created_date
        from deals d join gen_crm_companies c using (k)""",
        {"seed": seed},
    )


def write_crm(con: duckdb.DuckDBPyConnection, out_dir: Path, log: Log) -> list[Path]:
    crm = out_dir / "crm"
    crm.mkdir(parents=True, exist_ok=True)
    for old in crm.glob("*.csv"):
        old.unlink()
    written = []

    # HubSpot companies: English UI labels, UTF-8, comma-separated, ISO dates.
    written.append(write_csv_table(con, """
        select crm_company_id as "Record ID", crm_name as "Company name", domain as "Company Domain Name",
               'https://www.' || domain as "Website URL", postal_code as "Postal Code", city as "City",
               employees as "Number of Employees", annual_revenue as "Annual Revenue",
               strftime(created_date, '%Y-%m-%d %H:%M') as "Create Date", siret_value as "SIRET",
               siren_value as "SIREN", vat_value as "TVA intracommunautaire",
               case when k % 7 = 0 then 'Télécommunications' end as "Industry"
        from gen_crm_companies where crm_source = 'hubspot' order by k""", crm / "companies.csv"))

    # HubSpot contacts: French UI labels, Windows-1252, semicolon-separated, dd/mm/yyyy dates, French decimals.
    utf8 = crm / "contacts.utf8.tmp"
    write_csv_table(con, """
        select (8000000000 + p)::varchar as "ID de fiche", first_name as "Prénom", last_name as "Nom",
               email as "Adresse e-mail", job_title as "Intitulé du poste", lifecycle_stage as "Phase du cycle de vie",
               hs_lead_status as "Statut du lead",
               case when email_opt_out then 'Oui' else 'Non' end as "Désabonné de tous les e-mails",
               crm_company_id as "ID de l'entreprise associée", crm_name as "Nom de l'entreprise",
               strftime(created_date, '%d/%m/%Y') as "Date de création",
               case when hash(k, 'owner') % 9 <> 0 then {owners} end as "Contact owner",
               case when p % 11 = 0 then replace(replace(printf('%,.2f', 1234.5 + p * 7), ',', ' '), '.', ',') end
                   as "Score HubSpot perso"
        from gen_crm_people where crm_source = 'hubspot' order by p""".format(owners=_pick(SALES_OWNERS, "hash(k, 'owner')")),
        utf8, delimiter=";")
    written.append(transcode(utf8, crm / "contacts.csv", "cp1252"))

    # HubSpot deals: internal property names, UTF-8 with BOM.
    written.append(write_csv_table(con, f"""
        select (7000000000 + d)::varchar as hs_object_id, 'Licence annuelle ' || amount::bigint || ' €' as dealname,
               {_sql_list(HS_DEAL_STAGES)}[(stage_index + 1)::int] as dealstage, amount, strftime(close_date, '%Y-%m-%d') as closedate,
               strftime(created_date, '%Y-%m-%d') as createdate, crm_company_id as associatedcompanyid,
               (8000000000 + first_person)::varchar as associatedcontactid,
               (stage_index = 5)::varchar as hs_is_closed_won, (stage_index >= 5)::varchar as hs_is_closed
        from gen_crm_deals where crm_source = 'hubspot' order by d""", crm / "deals.csv", bom=True))

    # Salesforce Data Export: API field names, UTF-8, ISO timestamps.
    written.append(write_csv_table(con, """
        select crm_company_id as Id, crm_name as Name, 'www.' || domain as Website, postal_code as BillingPostalCode,
               city as BillingCity, employees as NumberOfEmployees, annual_revenue as AnnualRevenue,
               strftime(created_date, '%Y-%m-%dT%H:%M:%S.000Z') as CreatedDate, siret_value as SIRET__c,
               siren_value as SIREN__c, vat_value as VAT_Number__c
        from gen_crm_companies where crm_source = 'salesforce' and not exists (
            select 1 from gen_crm_people p where p.k = gen_crm_companies.k and p.is_sf_lead)
        order by k""", crm / "Account.csv"))
    written.append(write_csv_table(con, """
        select '003Qx' || lpad(p::varchar, 13, '0') as Id, crm_company_id as AccountId, first_name as FirstName,
               last_name as LastName, job_title as Title, email as Email, email_opt_out as HasOptedOutOfEmail,
               strftime(created_date, '%Y-%m-%dT%H:%M:%S.000Z') as CreatedDate
        from gen_crm_people where crm_source = 'salesforce' and not is_sf_lead order by p""", crm / "Contact.csv"))
    written.append(write_csv_table(con, """
        select '00QQx' || lpad(p::varchar, 13, '0') as Id, first_name as FirstName, last_name as LastName,
               job_title as Title, email as Email, crm_name as Company, 'www.' || domain as Website,
               postal_code as PostalCode, sf_lead_status as Status, sf_lead_status = 'Closed - Converted' as IsConverted,
               email_opt_out as HasOptedOutOfEmail, strftime(created_date, '%Y-%m-%dT%H:%M:%S.000Z') as CreatedDate,
               siret_value as SIRET__c
        from gen_crm_people where is_sf_lead order by p""", crm / "Lead.csv"))
    written.append(write_csv_table(con, f"""
        select '006Qx' || lpad(d::varchar, 13, '0') as Id, crm_company_id as AccountId,
               crm_name || ' - ' || {_sql_list(SF_DEAL_STAGES)}[(stage_index + 1)::int] as Name,
               {_sql_list(SF_DEAL_STAGES)}[(stage_index + 1)::int] as StageName, amount as Amount,
               strftime(close_date, '%Y-%m-%d') as CloseDate, stage_index >= 5 as IsClosed, stage_index = 5 as IsWon,
               strftime(created_date, '%Y-%m-%dT%H:%M:%S.000Z') as CreatedDate
        from gen_crm_deals d where crm_source = 'salesforce' and not exists (
            select 1 from gen_crm_people p where p.k = d.k and p.is_sf_lead)
        order by d""", crm / "Opportunity.csv"))

    # a few people asked to be forgotten (GDPR article 17): the pipeline must remove them everywhere
    written.append(write_csv_table(con, """
        select email, strftime(getvariable('as_of') - (5 + p % 20)::int, '%Y-%m-%d') as requested_at
        from gen_crm_people where email is not null and p % 400 = 11 order by p""", crm / "erasure_requests.csv"))

    truth = out_dir / "_truth"
    truth.mkdir(exist_ok=True)
    # Salesforce leads carry their own company (no account yet): their truth is keyed by the lead id.
    write_csv_table(con, """
        select crm_source, crm_company_id, variant, true_siren, true_siret from gen_crm_companies c
        where not exists (select 1 from gen_crm_people p where p.k = c.k and p.is_sf_lead)
        union all
        select 'salesforce', '00QQx' || lpad(p.p::varchar, 13, '0'), c.variant, c.true_siren, c.true_siret
        from gen_crm_people p join gen_crm_companies c using (k) where p.is_sf_lead
        order by 1, 2""", truth / "crm_companies.csv")
    for path in written:
        log(f"wrote {path} ({path.stat().st_size / 1e6:,.1f} MB)")
    return written
