{#-
  dbt-duckdb's py_write_table (1.11.1, dbt/include/duckdb/macros/adapters.sql), with its `temporary`
  argument honoured where it can be. The adapter's version ignores it: an incremental Python model wrote
  its new rows to a persistent table of the build database, which the incremental materialization never
  dropped (it drops only the relations it did not ask to be temporary), so every incremental build of the
  landing left a copy of the events it landed behind (`raw_clickstream_events__dbt_tmp<time>`), and wrote
  them more slowly than to a temporary table (0.17 s against 0.05 s for a daily file of the 10M-event
  benchmark; docs/performance.md).
  A model that returns a DuckDB relation (the landing) is written on the cursor of dbt's statements, so the
  append that follows reads a temporary table, which goes with the connection. Any other result (pandas,
  Arrow: segmentation_fits) is written on a cursor of its own, which a temporary table would not outlive:
  that one stays persistent, and the post-hook drop_python_model_leftovers drops it after the append.
  Everything else is the adapter's: tables (temporary false) are written as before.
-#}
{% macro py_write_table(temporary, relation, compiled_code, partitioned_by=none, sorted_by=none) -%}
{{ compiled_code }}

def materialize(df, con):
    import duckdb
    try:
        import pyarrow
        pyarrow_available = True
    except ImportError:
        pyarrow_available = False
    finally:
        if pyarrow_available and isinstance(df, pyarrow.Table):
            # https://github.com/duckdb/duckdb/issues/6584
            import pyarrow.dataset
    # dbt-duckdb runs a relation's write on the statements' cursor, anything else on a cursor of its own.
    temporary = {{ 'True' if temporary else 'False' }} and isinstance(df, duckdb.DuckDBPyRelation)
    create = 'create temporary table ' if temporary else 'create table '
    tmp_name = '__dbt_python_model_df_' + '{{ relation.identifier }}'
    con.register(tmp_name, df)
    {% if partitioned_by or sorted_by %}
    con.execute(create + '{{ relation }} as select * from ' + tmp_name + ' limit 0')
    {% if partitioned_by %}
    con.execute('alter table {{ relation }} set partitioned by ({{ partitioned_by }})')
    {% endif %}
    {% if sorted_by %}
    con.execute('alter table {{ relation }} set sorted by ({{ sorted_by }})')
    {% endif %}
    con.execute('insert into {{ relation }} select * from ' + tmp_name)
    {% else %}
    con.execute(create + '{{ relation }} as select * from ' + tmp_name)
    {% endif %}
    con.unregister(tmp_name)
{% endmacro %}

{#-
  post-hook of an incremental Python model: drops its persistent staging tables (`<model>__dbt_tmp<time>`):
  the one this build wrote when it could not be temporary (see above; the append has run by now), and
  those the adapter's own writer left behind in a build database of an older version. Only tables of this
  model's name and schema; nothing on Spark. Nothing to drop renders nothing (dbt skips an empty hook).
-#}
{% macro drop_python_model_leftovers() -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set query -%}
        select table_name from duckdb_tables()
        where database_name = {{ sql_string(this.database) }} and schema_name = {{ sql_string(this.schema) }}
            and not temporary and starts_with(table_name, {{ sql_string(this.identifier ~ '__dbt_tmp') }})
        order by table_name
    {%- endset -%}
    {%- set drops = [] -%}
    {%- for name in run_query(query).columns[0].values() -%}
        {%- do drops.append('drop table ' ~ this.incorporate(path={'identifier': name})) -%}
    {%- endfor -%}
    {{ return(drops | join(';\n')) }}
{%- endmacro %}
