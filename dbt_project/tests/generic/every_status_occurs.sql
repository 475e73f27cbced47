{#- Warns when one of the four statuses is missing: on generated data every status must occur; on real data a
    missing status usually means a rule or a threshold is off. -#}
{% test every_status_occurs(model) %}
select s.status
from (select 'lead' as status union all select 'mql' union all select 'sql' union all select 'disqualified') as s
where s.status not in (select status from {{ model }})
{% endtest %}
