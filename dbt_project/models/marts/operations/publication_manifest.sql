-- The tables the published warehouse holds (macro published_tables: the shared tables plus each
-- registry entry's published_tables) with their row counts. Referencing every one of them makes dbt run
-- the publication only after all of them, and their tests, have passed.

{% for table in published_tables() -%}
select '{{ table }}' as table_name, cast(count(*) as bigint) as row_count from {{ ref(table) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
