{#- Event logs kept incrementally (web and e-mail events): each run adds the rows of the files landed since the last
    run, one row per event id, and the pre-hook removes what has to go — rows of a file landed again with new content
    (or gone from raw), rows older than the retention window, and the rows of people who asked to be erased. A full
    refresh (`dbt build --full-refresh`) builds the same table from raw in one go (tested).

    The rows of the model are the new ones only (`append`): new files' rows whose event id is not in the log yet,
    the first occurrence of each id kept (by file name, then line). -#}

{% macro event_log_rows(staged, id_column, columns) -%}
{%- set columns = columns + ['source_file', 'file_sha256', 'source_line'] -%}
{#- A file landed again with new content (or gone from raw) loses its rows in the pre-hook; an event id it held may
    also be in another file, already processed: then every landed row is a candidate, not only new files' rows. -#}
{%- set files_gone = false -%}
{%- set new_files = none -%}
{#- (asked before the pre-hook prunes; a unit test gives `this` as rows and has no files gone). The file versions are
    listed apart and compared here: two scans instead of a join of two 50 M-row relations. -#}
{%- if execute and is_incremental() and model.resource_type != 'unit_test' -%}
    {%- set landed = _file_versions(staged) -%}
    {%- set logged, retained = [], [] -%}
    {%- for row in run_query("select source_file, file_sha256, max(occurred_at) >= " ~ retention_start()
                             ~ " from " ~ this ~ " group by source_file, file_sha256").rows -%}
        {%- do logged.append([row[0], row[1]]) -%}
        {%- if row[2] %}{% do retained.append([row[0], row[1]]) %}{% endif -%}
    {%- endfor -%}
    {%- set files_gone = retained | reject('in', landed) | list | length > 0 -%}
    {#- the new files by name, as constants: the scan of raw reads only their rows -#}
    {%- set new_files = landed | reject('in', logged) | list -%}
{%- endif %}
with staged as (
    select * from {{ staged }} as s
    {%- if is_incremental() and not files_gone %}
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
    {%- endif %}
),

first_occurrences as (
    select *
    from (
        select *, row_number() over (partition by {{ id_column }} order by source_file, source_line) as occurrence
        from staged
        where occurred_at >= {{ retention_start() }}
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
)
{%- endif %}

select {% for column in columns %}n.{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %}
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

{#- The rows (alias l) of people erased on request: for web events, every event of a visitor seen once with an erased
    address, anonymous ones included. -#}
{% macro erased_event_rows(kind) -%}
{%- set erased = "(select email from " ~ ref('stg_crm__erasure_requests') ~ ")" -%}
{%- if kind == 'web' -%}
(lower(l.email) in {{ erased }}
 or l.visitor_id in (select visitor_id from {{ this }} where lower(email) in {{ erased }}))
{%- else -%}
l.email in {{ erased }}
{%- endif -%}
{%- endmacro %}

{#- The file versions (name, SHA-256) a relation holds rows of, as a list of [name, sha] pairs. -#}
{% macro _file_versions(relation) -%}
    {%- set rows = run_query("select distinct source_file, file_sha256 from " ~ relation).rows -%}
    {{ return(rows | map('list') | list) }}
{%- endmacro %}

{#- The pre-hook of an event log (kind: web or email): rows past the retention window, rows of a file version no
    longer landed (replaced by a new version, or removed; named as constants), and rows of people erased on request. -#}
{% macro prune_event_log(staged, kind) -%}
{%- if execute and load_relation(this) is not none and not flags.FULL_REFRESH -%}
{%- set gone = _file_versions(this) | reject('in', _file_versions(staged)) | list -%}
{%- set erasures = run_query("select count(*) from " ~ ref('stg_crm__erasure_requests')).columns[0].values()[0] -%}
delete from {{ this }} as l
where l.occurred_at < {{ retention_start() }}
   {%- for file in gone %}
   or (l.source_file = '{{ file[0] | replace("'", "''") }}' and l.file_sha256 = '{{ file[1] }}')
   {%- endfor %}
   {%- if erasures > 0 %}
   or {{ erased_event_rows(kind) }}
   {%- endif %}
{%- endif -%}
{%- endmacro %}
