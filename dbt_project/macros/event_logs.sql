{#- Event logs kept incrementally (web and e-mail events): each run adds the rows of the files landed since the last
    run, one row per event id; the pre-hook removes rows older than the retention window and the rows of people who
    asked to be erased, the post-hook the rows of a file version no longer landed (a file landed again with new
    content, or gone from raw). A full refresh (`dbt build --full-refresh`) builds the same table from raw in one go
    (tested).

    The rows of the model are the new ones only (`append`): the first occurrence of each event id (by file name, then
    line) among the candidates, unless the log holds that id already. Candidates: the rows of new file versions, and —
    when a version is replaced — the landed rows of the ids the replaced version held (an id skipped in another file
    because the old version had it first comes back from that file). -#}

{% macro event_log_rows(staged, id_column, columns) -%}
{%- set columns = columns + ['source_file', 'file_sha256', 'source_line'] -%}
{%- set quoted = [] -%}{%- for column in columns %}{% do quoted.append(adapter.quote(column)) %}{% endfor -%}
{%- set new_files, replaced = none, [] -%}
{#- A unit test gives `this` as rows: it compares files with NOT EXISTS and has no version replaced. Otherwise the
    file versions are listed apart and compared here: two scans instead of a join of two 50 M-row relations. -#}
{%- if execute and is_incremental() and model.resource_type != 'unit_test' -%}
    {%- set landed = _file_versions(staged) -%}
    {%- set logged, retained = [], [] -%}
    {%- for row in run_query("select source_file, file_sha256, bool_or(occurred_at >= " ~ retention_start() ~ ")"
                             ~ " from " ~ this ~ " group by source_file, file_sha256").rows -%}
        {%- do logged.append([row[0], row[1]]) -%}
        {%- if row[2] %}{% do retained.append([row[0], row[1]]) %}{% endif -%}
    {%- endfor -%}
    {#- (rows past the retention window do not count: raw drops them as feeds land, the pre-hook drops them here) -#}
    {%- set replaced = retained | reject('in', landed) | list -%}
    {#- the new files by name, as constants: the scan of raw reads only their rows -#}
    {%- set new_files = landed | reject('in', logged) | list -%}
{%- endif %}
with staged as (
    select * from {{ staged }} as s
    {%- if is_incremental() %}
    {%- if new_files is none %}
    where not exists (
        select 1 from (select distinct source_file, file_sha256 from {{ this }}) as processed
        where processed.source_file = s.source_file and processed.file_sha256 = s.file_sha256)
    {%- elif new_files | length == 0 %}
    where 1 = 0
    {%- else %}
    where s.source_file in ({% for row in new_files %}'{{ row[0] | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor %})
      and s.file_sha256 in ({% for row in new_files %}'{{ row[1] }}'{{ ', ' if not loop.last }}{% endfor %})
    {%- endif %}
    {%- if replaced %}
       or s.{{ id_column }} in (select l.{{ id_column }} from {{ this }} as l where {{ _of_versions('l', replaced) }})
    {%- endif %}
    {%- endif %}
),

candidates as (
    select {{ quoted | join(', ') }}
    from staged
    where occurred_at >= {{ retention_start() }}
),

-- ids seen more than once (a collector's duplicates, rare): only their rows go through the window that picks the
-- first occurrence; a window over every row sorted all 50 M of them at national scale
repeated_ids as (
    select {{ id_column }} from candidates group by {{ id_column }} having count(*) > 1
),

first_occurrences as (
    select c.{{ quoted | join(', c.') }}
    from candidates as c
    left join repeated_ids as r on r.{{ id_column }} = c.{{ id_column }}
    where r.{{ id_column }} is null
    union all
    select {{ quoted | join(', ') }}
    from (
        select c.*, row_number() over (partition by c.{{ id_column }} order by c.source_file, c.source_line)
            as occurrence
        from candidates as c
        join repeated_ids as r on r.{{ id_column }} = c.{{ id_column }}
    ) as ranked
    where occurrence = 1
)

{%- if is_incremental() %},

-- ids of the new rows already in the log (a collector's duplicate in a later file): an equality join on the new
-- ids, then an anti join (a NOT EXISTS over a subquery of the log made DuckDB spill tens of GB at national scale)
known as (
    select l.{{ id_column }}
    from {{ this }} as l
    join (select {{ id_column }} from first_occurrences) as f on f.{{ id_column }} = l.{{ id_column }}
    {%- if replaced %}
    where not {{ _of_versions('l', replaced) }}  -- the post-hook deletes them
    {%- endif %}
)
{%- endif %}

select n.{{ quoted | join(', n.') }}
from first_occurrences as n
{%- if is_incremental() %}
left join known as k on k.{{ id_column }} = n.{{ id_column }}
where k.{{ id_column }} is null
{%- else %}
-- stored in time order (daily runs append in time order too): a scan of the scoring window skips the row groups
-- outside it by their min / max
order by n.occurred_at
{%- endif %}
{%- endmacro %}

{#- The rows (alias l) of people whose erasure is pending (stg_crm__erasure_requests.is_pending): for web events,
    every event of a visitor seen once with such an address, anonymous ones included. Requests the warehouse file
    was rewritten after have no rows left here: this pass deleted them in the run before the rewrite, and raw drops
    an erased person's events as feeds land. Each distinct stored address is hashed once (about 1 M at national
    scale), not each of the 50 M events, then the events are found by their plain address. -#}
{% macro erased_event_rows(kind) -%}
{%- set erased_emails -%}
(select email from (select distinct email from {{ this }} where email is not null) as stored
 where {{ email_sha256('email') }} in (select email_sha256 from {{ ref('stg_crm__erasure_requests') }} where is_pending))
{%- endset -%}
{%- if kind == 'web' -%}
(l.email in {{ erased_emails }}
 or l.visitor_id in (select visitor_id from {{ this }} where email in {{ erased_emails }}))
{%- else -%}
l.email in {{ erased_emails }}
{%- endif -%}
{%- endmacro %}

{#- The file versions (name, SHA-256) a relation holds rows of, as a list of [name, sha] pairs. -#}
{% macro _file_versions(relation) -%}
    {%- set rows = run_query("select distinct source_file, file_sha256 from " ~ relation).rows -%}
    {{ return(rows | map('list') | list) }}
{%- endmacro %}

{#- True for the rows (alias) of these file versions, named as constants. -#}
{% macro _of_versions(alias, versions) -%}
    ({% for file in versions %}({{ alias }}.source_file = '{{ file[0] | replace("'", "''") }}' and {{ alias }}.file_sha256 = '{{ file[1] }}'){{ ' or ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The pre-hook of an event log (kind: web or email): rows past the retention window and rows of people whose
    erasure is pending (none on most days: the pass then costs nothing). -#}
{% macro prune_event_log(kind) -%}
{%- if execute and is_incremental() -%}
{%- set erasures = run_query("select count(*) from " ~ ref('stg_crm__erasure_requests')
                             ~ " where is_pending").columns[0].values()[0] -%}
delete from {{ this }} as l
where l.occurred_at < {{ retention_start() }}
   {%- if erasures > 0 %}
   or {{ erased_event_rows(kind) }}
   {%- endif %}
{%- endif -%}
{%- endmacro %}

{#- The post-hook of an event log: the rows of file versions no longer landed (replaced by a new version, or removed),
    once the rows that replace them are in. -#}
{% macro drop_replaced_file_versions(staged) -%}
{%- if execute and is_incremental() -%}
{%- set gone = _file_versions(this) | reject('in', _file_versions(staged)) | list -%}
{%- if gone -%}
delete from {{ this }} as l where {{ _of_versions('l', gone) }}
{%- endif -%}
{%- endif -%}
{%- endmacro %}
