{#
  on-run-start: on Spark, each input file a source reads (dbt var meta.file_var) becomes an external table of
  the source's schema, read with the options of meta.spark_read (every column as text, as DuckDB's
  read_csv(all_varchar=true) reads it there). Re-made on every run, so the table follows the var. On DuckDB
  the sources read their files through meta.external_location and this does nothing.
#}
{% macro register_raw_files() %}
  {{ return(adapter.dispatch('register_raw_files', 'smartcart')()) }}
{% endmacro %}

{% macro default__register_raw_files() %}
  {{ return('') }}
{% endmacro %}

{% macro spark__register_raw_files() %}
  {% if not execute %}{{ return('') }}{% endif %}
  {% for node in graph.sources.values() %}
    {% set meta = source_meta(node) %}
    {% set reader = meta.get('spark_read') %}
    {% if reader and meta.get('file_var') %}
      {% set relation = api.Relation.create(schema=node.schema, identifier=node.identifier) %}
      {% set options = [] %}
      {% for name, value in reader.get('options', {}).items() | sort %}
        {% do options.append(name ~ ' ' ~ sql_string(value)) %}
      {% endfor %}
      {% do run_query('create schema if not exists ' ~ node.schema) %}
      {% do run_query('drop table if exists ' ~ relation) %}
      {% do run_query('create table ' ~ relation ~ ' using ' ~ reader.format
          ~ (' options (' ~ options | join(', ') ~ ')' if options else '')
          ~ ' location ' ~ sql_string(spark_file_location(var(meta.file_var)))) %}
    {% endif %}
  {% endfor %}
  {{ return('') }}
{% endmacro %}

{#- An input path as Spark's table location. Spark resolves a relative location against its warehouse,
    not the working directory, so a relative path is made absolute against the working directory of the
    Spark driver, which is dbt's (as DuckDB resolves it). -#}
{% macro spark_file_location(path) %}
  {% if path.startswith('/') or ':' in path.split('/')[0] %}{{ return(path) }}{% endif %}
  {% set working_directory = run_query("select reflect('java.lang.System', 'getProperty', 'user.dir')").rows[0][0] %}
  {{ return('file://' ~ working_directory ~ '/' ~ path) }}
{% endmacro %}
