-- One row per CRM company: its SIREN (and SIRET when known), how it was found (match_method) and how sure
-- (match_confidence). Deterministic tiers first; then the best Splink candidate at or above the threshold
-- (var fuzzy_match_threshold), preferring an active unit over a ceased one that is about as likely; else
-- unmatched, for review.
with companies as (
    select company_key from {{ ref('int_crm__companies') }}
),

exact_matches as (
    select * from {{ ref('int_crm__company_matches_exact') }}
),

accepted as (
    select *, max(match_weight) over (partition by company_key) as best_weight
    from {{ source('matching', 'crm_company_candidates') }}
    where match_probability >= {{ var('fuzzy_match_threshold') }}
      and company_key not in (select company_key from exact_matches)
),

preferred as (
    -- the likeliest candidate, unless an active unit is nearly as likely (var prefer_active_within_weight, in bits
    -- of evidence): a CRM company is more often the live unit than a ceased homonym
    select
        *,
        row_number() over (
            partition by company_key
            order by case when registry_is_active
                               and match_weight >= best_weight - {{ var('prefer_active_within_weight') }}
                          then 0 else 1 end,
                     match_weight desc, siret
        ) as preference
    from accepted
),

fuzzy as (
    -- a homonym just as likely (another SIREN, same activity, within var ambiguity_margin_weight) makes the match a
    -- coin toss: it goes to review instead
    select p.company_key, p.siren, p.siret, p.match_probability
    from preferred as p
    where p.preference = 1
      and not exists (
          select 1 from accepted as other
          where other.company_key = p.company_key
            and other.siren <> p.siren
            and other.registry_is_active = p.registry_is_active
            and other.match_weight >= p.match_weight - {{ var('ambiguity_margin_weight') }}
      )
),

best_candidate as (
    select company_key, max(match_probability) as best_probability
    from {{ source('matching', 'crm_company_candidates') }}
    group by company_key
)

select
    c.company_key,
    coalesce(e.siren, f.siren) as siren,
    coalesce(e.siret, f.siret) as siret,
    coalesce(e.match_method, case when f.siren is not null then 'fuzzy' end, 'unmatched') as match_method,
    round(coalesce(e.match_confidence, f.match_probability, b.best_probability, 0), 4) as match_confidence,
    -- when the matches were computed: int_crm__people is rebuilt when they are
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as computed_at
from companies as c
left join exact_matches as e on e.company_key = c.company_key
left join fuzzy as f on f.company_key = c.company_key
left join best_candidate as b on b.company_key = c.company_key
