{#
  Seeds on Spark: dbt-spark's session connection puts the values of a seed into its insert statements with
  bare quotes, so a value with an apostrophe ("Can't Lose Them") breaks the statement and an empty cell
  becomes the text 'None'. This override (dbt dispatches load_csv_rows to the root project first) writes
  each value as an escaped literal: null for an empty cell, cast to the seed's declared column type.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {% set column_override = model['config'].get('column_types', {}) %}
  {% set statements = [] %}
  {% for chunk in agate_table.rows | batch(get_batch_size()) %}
    {% set sql %}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for col_name in agate_table.column_names -%}
          {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
          cast({{ seed_literal(row[loop.index0]) }} as {{ type }})
          {%- if not loop.last %}, {% endif -%}
        {%- endfor -%})
        {%- if not loop.last %},{% endif %}
      {% endfor %}
    {% endset %}
    {% do adapter.add_query(sql, abridge_sql_log=True) %}
    {% if loop.first %}{% do statements.append(sql) %}{% endif %}
  {% endfor %}
  {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro seed_literal(value) -%}
  {%- if value is none -%}null
  {%- elif value is sameas true -%}true
  {%- elif value is sameas false -%}false
  {%- elif value is number -%}{{ value }}
  {%- else -%}{{ sql_string(value) }}
  {%- endif -%}
{%- endmacro %}
