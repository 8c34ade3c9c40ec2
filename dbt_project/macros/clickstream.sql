{#-
  The clickstream's incremental build (docs/clickstream.md, "How a new day is built").

  Landing (raw_clickstream_events) appends each new file once. The partial aggregates
  (int_clickstream_session_days, int_clickstream_user_day_items) are kept per event day: a build recomputes
  only the days whose landed events changed since the partials were built, from every landed event of those
  days, so duplicates across files (an exact copy has the same time, hence the same day) and sessions stay
  exact. User features are then derived from the partials.
-#}

{#- When this build started, as a timestamp: the built_at of the partial rows it (re)builds. -#}
{% macro clickstream_build_time() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- The reasons a landed event is quarantined, as a list expression over the landing's columns. A line the
    CSV reader rejected carries its own reason (landing_error); its typed fields are all null, so no other
    reason applies to it. -#}
{% macro clickstream_quarantine_reason_list() -%}
    case
        when landing_error is not null then {{ split_text('landing_error', ',') }}
        else {% call non_null_array() %}
            case when event_at is null then 'unparseable_event_time' end,
            case when event_type is null or event_type not in ('view', 'cart', 'remove_from_cart', 'purchase')
                    then 'unknown_event_type'
            end,
            case when user_id_raw is not null then 'unparseable_user_id'
                when user_id is null then 'missing_user_id'
            end,
            case when product_id_raw is not null then 'unparseable_product_id' end,
            case when category_id_raw is not null then 'unparseable_category_id' end,
            case when price_raw is not null then 'unparseable_price' end,
            case when price < 0 then 'negative_price' end
        {% endcall %}
    end
{%- endmacro %}

{#- True for a landed event that passes every rule (the complement of a non-empty reason list), written
    as plain predicates so that DuckDB filters while it scans. Never null: an event is usable or quarantined,
    never neither (a null here would drop it from both). -#}
{% macro clickstream_event_is_usable() -%}
    (
        landing_error is null
        and event_at is not null
        and coalesce(event_type in ('view', 'cart', 'remove_from_cart', 'purchase'), false)
        and user_id is not null
        and user_id_raw is null
        and product_id_raw is null
        and category_id_raw is null
        and price_raw is null
        and coalesce(price, 0) >= 0
    )
{%- endmacro %}

{#- The exact complement of clickstream_event_is_usable (never null either). -#}
{% macro clickstream_event_is_quarantined() -%}
    (
        landing_error is not null
        or event_at is null
        or coalesce(event_type not in ('view', 'cart', 'remove_from_cart', 'purchase'), true)
        or user_id is null
        or user_id_raw is not null
        or product_id_raw is not null
        or category_id_raw is not null
        or price_raw is not null
        or coalesce(price < 0, false)
    )
{%- endmacro %}

{#- The event days an incremental partial model must (re)build: every day whose count of landed events
    differs from the count the model last built it from (its day_landed_events column). None means all days
    (first build, --full-refresh, or a table built before it had day_landed_events or one of the model's
    other recorded columns). Extra days can be added by the caller (inferred sessions). -#}
{% macro clickstream_days_to_update(recorded_columns=[]) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- for column in ['day_landed_events'] + recorded_columns if column not in columns -%}
        {#- Built by a version that did not record it: every day again (the model adds the column). -#}
        {{ return(none) }}
    {%- endfor -%}
    {%- set query -%}
        with landed as (
            {{ clickstream_landed_days(none) }}
        ),
        built as (
            select event_date, max(day_landed_events) as day_landed_events
            from {{ this }}
            group by 1
        )
        select cast(landed.event_date as string)
        from landed
        left join built on landed.event_date = built.event_date
        where built.day_landed_events is distinct from landed.day_landed_events
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#- Landed events per event day (of the given days; all days when none): what a partial model records as
    day_landed_events and what the next build compares it with. Counted once per build from the landing
    (int_clickstream_landed_days). -#}
{% macro clickstream_landed_days(days) -%}
    select
        event_date,
        day_landed_events
    from {{ ref('int_clickstream_landed_days') }}
    where {{ clickstream_day_filter(days, 'event_date') }}
{%- endmacro %}

{#- A predicate on event_at that keeps the given days (all when days is none). The range lets DuckDB skip
    the landing's row groups outside it (landed files are in time order); the list keeps exactly the days. -#}
{% macro clickstream_day_filter(days, column='event_at') -%}
    {%- if days is none -%}
        true
    {%- elif days | length == 0 -%}
        false
    {%- else -%}
        {{ column }} >= cast('{{ days | min }}' as timestamp)
        and {{ column }} < cast('{{ days | max }}' as timestamp) + interval 1 day
        and cast({{ column }} as date) in ({% for day in days %}cast('{{ day }}' as date){{ ", " if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of raw_clickstream_events: land the CSV lines the typed reader rejected in this connection
    (DuckDB's reject_errors and reject_scans), one row per line, with the line as written, the reason
    (unparseable_<column>, or malformed_line for a line of the wrong shape) and the value that did not type
    in its *_raw column. Lines already landed (same file and line) are skipped, so running it twice adds
    nothing. -#}
{% macro land_clickstream_rejects() -%}
    {#- On Spark the landing model lands such lines itself (_corrupt_record). -#}
    {%- if not execute or target.type == 'spark' -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set found = run_query(
        "select count(*) from duckdb_tables() where temporary and table_name in ('reject_errors', 'reject_scans')"
    ).columns[0].values()[0] -%}
    {%- if found == 2 -%}
        {%- set insert -%}
            insert into {{ this }} by name
            with rejected as (
                select
                    scans.file_path as source_file,
                    errors.line as source_row,
                    any_value(errors.csv_line) as rejected_line,
                    string_agg(
                        distinct case when errors.error_type = 'CAST' then 'unparseable_' || errors.column_name
                            else 'malformed_line' end,
                        ',' order by case when errors.error_type = 'CAST' then 'unparseable_' || errors.column_name
                            else 'malformed_line' end
                    ) as landing_error,
                    map_from_entries(list(
                        struct_pack(
                            k := errors.column_name,
                            v := regexp_extract(errors.error_message, 'Could not convert string "(.*)" to', 1)
                        )
                    ) filter (where errors.error_type = 'CAST')) as bad_values
                from reject_errors as errors
                inner join reject_scans as scans
                    on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
                group by all
            )
            select
                rejected.source_file,
                rejected.source_row,
                sizes.source_file_bytes,
                '{{ invocation_id }}' as load_id,
                rejected.landing_error,
                rejected.rejected_line,
                rejected.bad_values['event_time'] as event_time_raw,
                rejected.bad_values['product_id'] as product_id_raw,
                rejected.bad_values['category_id'] as category_id_raw,
                rejected.bad_values['price'] as price_raw,
                rejected.bad_values['user_id'] as user_id_raw
            from rejected
            -- The size of the file when the landing read it (a temporary table the landing model writes).
            left join clickstream_landing_file_sizes as sizes
                on rejected.source_file = sizes.source_file
            where not exists (
                select 1 from {{ this }} as landed
                where landed.source_file = rejected.source_file
                    and landed.source_row = rejected.source_row
                    and landed.landing_error is not null
            )
        {%- endset -%}
        {%- do run_query(insert) -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- Spark's landing: the files already landed (their names as the landing keeps them), so the model reads only
    the others; and a stop when a landed file the source still lists has another size than when it was landed
    (its new lines would never be landed), with the message of the DuckDB landing (ml/dbt_models/landing.py,
    check_landed_files_unchanged). Neither reads an event of the source: the landed names and sizes come from
    the landing's own two columns, and the files and their sizes from a listing of the source's location
    through Spark's binaryFile source, which reads no file's content unless its content column is selected.
    (Selecting the distinct _metadata of the source read every line of every file: 4.8 s at 10M events.)
    Files landed before sizes were recorded are not compared. -#}
{% macro landed_clickstream_files(location) -%}
    {%- set query -%}
        select landed.source_file, landed.source_file_bytes, files.file_bytes, files.file
        from (
            select source_file, max(source_file_bytes) as source_file_bytes from {{ this }} group by source_file
        ) as landed
        left join (
            select regexp_replace(path, '^file:', '') as file, length as file_bytes
            from binaryFile.`{{ location | replace('`', '``') }}`
        ) as files
            -- The landing keeps Spark's _metadata.file_path, a URI ('%20' for a space); the listing gives the
            -- plain path. A '+' of a URI is itself, which url_decode alone would read as a space.
            on url_decode(replace(landed.source_file, '+', '%2B')) = files.file
        order by landed.source_file
    {%- endset -%}
    {%- set landed = run_query(query).rows -%}
    {%- set changed = [] -%}
    {%- for row in landed if row[1] is not none and row[2] is not none and row[1] != row[2] -%}
        {%- do changed.append(row) -%}
    {%- endfor -%}
    {%- if changed | length > 0 -%}
        {%- set listed = [] -%}
        {%- for row in changed[:3] -%}
            {%- do listed.append("'" ~ row[3] ~ "' had " ~ "{:,}".format(row[1] | int) ~ " bytes when it was landed and has "
                ~ "{:,}".format(row[2] | int) ~ " now") -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "Events file(s) changed after they were landed: " ~ listed | join('; ')
            ~ (" (and " ~ (changed | length - 3) ~ " more)" if changed | length > 3 else "")
            ~ ". A landed file is not read again, so its new lines would be lost: deliver new events in a new "
            ~ "file, or land every file again with `smartcart run --full-refresh` (or `dbt build --full-refresh "
            ~ "--select raw_clickstream_events+`)."
        ) }}
    {%- endif -%}
    {{- return(landed | map(attribute=0) | list) -}}
{%- endmacro %}

{#- How a clickstream partial aggregate is kept: incremental on both engines, by its key (event_date, or
    user_id for the per-user models). A build writes the rows of the keys it (re)builds:
    - DuckDB deletes the rows of those keys and inserts the new ones (delete+insert);
    - Spark's Parquet tables take no delete, so dbt-spark's insert_overwrite replaces whole partitions: the
      day, or for the per-user models a bucket of users (user_bucket), whose users the build did not change
      the model writes again as they were (clickstream_per_user_rows). Both keep the same
      rows (tests/spark/test_spark_clickstream_incremental.py). -#}
{% macro clickstream_partial_config(key) -%}
    {%- if target.type == 'spark' -%}
        {{- return({
            'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite', 'file_format': 'parquet',
            'partition_by': ['event_date' if key == 'event_date' else 'user_bucket'],
        }) -}}
    {%- endif -%}
    {{- return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert', 'unique_key': key}) -}}
{%- endmacro %}

{#- Stops an incremental build on Spark of a partial table built before the partials were incremental there
    (2026-11-24: a table not partitioned), which dbt-spark's insert_overwrite cannot write: once
    rebuilt with --full-refresh, the table is partitioned and later builds are incremental. -#}
{% macro clickstream_check_spark_partitions() -%}
    {%- if execute and target.type == 'spark' and is_incremental() -%}
        {%- set described = run_query('describe table extended ' ~ this).columns[0].values() -%}
        {%- if '# Partition Information' not in described -%}
            {{ exceptions.raise_compiler_error(
                "The Spark table " ~ this ~ " was built by a version that rebuilt the clickstream partials in full "
                ~ "on every build, so it is not partitioned and cannot be updated by day or user: rebuild the four "
                ~ "partial tables once with `dbt run --target spark --full-refresh --select "
                ~ "int_clickstream_inferred_sessions int_clickstream_session_days int_clickstream_user_day_items "
                ~ "int_clickstream_user_totals` (the landing and the history are kept), then build as usual."
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Spark's partition of a per-user partial model: one of 16 buckets of users. A day's new events touch
    users of most buckets, so finer buckets would not rewrite much less; a cluster with millions of users per
    bucket still rewrites only per-user rows, never events. -#}
{% macro clickstream_user_bucket() -%}
    pmod(user_id, 16)
{%- endmacro %}

{#- The rows of a per-user partial model: on DuckDB the changed users' rows (delete+insert replaces those
    users); on Spark the same rows with their user_bucket, and, on an incremental build, every other user of
    the buckets they fall in, as this table had them (insert_overwrite replaces whole buckets). `rows` is the
    CTE of the changed users' rows, `changed_users` a CTE of their user_id (every one of them has rows; both
    models define it on every incremental build on Spark, since a table there is partitioned only when this
    version built it, with every column their incremental form needs: clickstream_check_spark_partitions).
    The kept rows are found from changed_users, not from `rows`: Spark would compute `rows` again for each
    use, which made the one-more-day user totals 28 s where a cold build's took 25 s (10M events). -#}
{% macro clickstream_per_user_rows(rows, changed_users) -%}
    {%- if target.type != 'spark' %}
    select * from {{ rows }}
    {%- else %}
    select
        *,
        {{ clickstream_user_bucket() }} as user_bucket
    from {{ rows }}
    {%- if is_incremental() %}

    union all

    select kept.*
    from {{ this }} as kept
    left anti join {{ changed_users }} as changed
        on kept.user_id = changed.user_id
    where kept.user_bucket in (select distinct {{ clickstream_user_bucket() }} from {{ changed_users }})
    {%- endif %}
    {%- endif %}
{%- endmacro %}
