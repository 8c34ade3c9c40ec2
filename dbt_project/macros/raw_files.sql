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
      {% set path = var(meta.file_var) %}
      {% set relation = api.Relation.create(schema=node.schema, identifier=node.identifier) %}
      {% if path.lower().endswith(('.db', '.sqlite', '.sqlite3')) %}
        {{ exceptions.raise_compiler_error("Input '" ~ path ~ "' (dbt var " ~ meta.file_var ~ "): a SQLite input "
            ~ "is read on DuckDB only; on Spark give CSV or Parquet files (docs/spark.md).") }}
      {% endif %}
      {#- A path ending in .parquet is read as Parquet (its own column types), as on DuckDB. -#}
      {% set format = 'parquet' if reader.get('parquet_by_ending') and path.lower().endswith('.parquet') else reader.format %}
      {% set options = [] %}
      {% set columns = [] %}
      {% if format == 'csv' %}
        {% for name, value in reader.get('options', {}).items() | sort %}
          {% do options.append(name ~ ' ' ~ sql_string(value)) %}
        {% endfor %}
        {#- Declared text columns plus the reader's record of a line of the wrong shape, so such a line is
            kept with its text instead of being padded or cut (enforceSchema false: the header must match). -#}
        {% if reader.get('corrupt_record_column') %}
          {% for column in node.columns %}{% do columns.append(column ~ ' string') %}{% endfor %}
          {% do columns.append(reader.corrupt_record_column ~ ' string') %}
          {% do options.append("columnNameOfCorruptRecord " ~ sql_string(reader.corrupt_record_column)) %}
          {% do options.append("mode 'PERMISSIVE'") %}
          {% do options.append("enforceSchema 'false'") %}
        {% endif %}
      {% endif %}
      {% do run_query('create schema if not exists ' ~ node.schema) %}
      {% do run_query('drop table if exists ' ~ relation) %}
      {% do run_query('create table ' ~ relation
          ~ (' (' ~ columns | join(', ') ~ ')' if columns else '') ~ ' using ' ~ format
          ~ (' options (' ~ options | join(', ') ~ ')' if options else '')
          ~ ' location ' ~ sql_string(spark_file_location(path))) %}
    {% endif %}
  {% endfor %}
  {{ return('') }}
{% endmacro %}

{#- An input path as Spark's table location. Spark resolves a relative location against its warehouse,
    not the working directory, so a relative path is made absolute against the working directory of the
    Spark driver, which is dbt's (as DuckDB resolves it). -#}
{% macro spark_file_location(path) %}
  {% if path.startswith('/') or ':' in path.split('/')[0] or not execute %}{{ return(path) }}{% endif %}
  {% set working_directory = run_query("select reflect('java.lang.System', 'getProperty', 'user.dir')").rows[0][0] %}
  {{ return('file://' ~ working_directory ~ '/' ~ path) }}
{% endmacro %}
