{#-
  Per-user totals of the clickstream, from the partial aggregates: sessions (a session that crosses midnight
  or two files has several partial rows: its cart and purchase counts are summed first), the funnel counts,
  revenue and price sums, the time mix, and the distinct counts (products, categories, brands, active days)
  over the per-day distinct items.
  Incremental by user: a build updates only the users that have partial rows (re)built since this table's
  last build (built_at). Their sums are recomputed from all their session rows (a session's cart and purchase
  can fall on two days). Their distinct counts are added to: the landing only appends, so a user's item rows
  only grow, and a build adds the values of the rows first seen since its last build (first_built_at) that
  the user's older rows lack (an anti-join) instead of counting all of a user's rows again.
  After a full rebuild of the items (every row new) they are counted from all rows again.
  clickstream_customer_features adds the as-of time, recency and the rates.
-#}
{{ config(
    materialized=clickstream_partial_materialization(), incremental_strategy='delete+insert', unique_key='user_id'
) }}

{%- set items_table = ref('int_clickstream_user_day_items') %}
{#- The item columns the distinct counts read. -#}
{%- set item_columns = 'user_id, event_date, product_id, category_id, brand' %}
{#- The newest partial row this table has counted: rows built later are new to it. -#}
{%- set watermark = "(select coalesce(max(partials_built_at), timestamp '1970-01-01') from " ~ this ~ ")" %}
{#- Distinct counts, each as an expression over a relation of item rows ({t}). -#}
{%- set breadth = {
    'active_days': '{t}.event_date',
    'distinct_products': '{t}.product_id',
    'distinct_categories': '{t}.category_id',
    'distinct_brands': "coalesce({t}.brand, 'unknown')",
} %}
{%- set additive = false %}
{%- if execute and is_incremental() %}
    {#- Added to only when this table counted item rows before: not after a full rebuild of the items. -#}
    {%- set counted_query -%}
        select count(*) from {{ items_table }} where first_built_at <= {{ watermark }}
    {%- endset %}
    {%- set additive = run_query(counted_query).columns[0].values()[0] > 0 %}
{%- endif %}

with

{% if is_incremental() -%}
changed_users as (

    select user_id from {{ ref('int_clickstream_session_days') }}
    where built_at > {{ watermark }}
    union
    select user_id from {{ items_table }}
    where built_at > {{ watermark }}

),

{% endif -%}
session_days as (

    select * from {{ ref('int_clickstream_session_days') }}
    {% if is_incremental() -%}
    where user_id in (select user_id from changed_users)
    {%- endif %}

),

{% if additive -%}
-- The item rows this table has not counted yet, and the counted rows of their users.
-- Only the columns the counts read: DuckDB materialises these CTEs (several consumers).
new_items as (

    select {{ item_columns }}
    from {{ items_table }}
    where first_built_at > {{ watermark }}

),

counted_items as (

    select {{ item_columns }}
    from {{ items_table }}
    where first_built_at <= {{ watermark }} and user_id in (select user_id from new_items)

),

{% for column, value in breadth.items() -%}
-- Values of the new rows that the user's counted rows lack (null values are not counted, as count(distinct)
-- does not count them). An anti-join probing the counted rows with the new (user, value) pairs: cheaper than a
-- set difference that hashes all of the users' counted rows.
{{ column }}_added as (

    select
        new_values.user_id,
        count(new_values.item_value) as added
    from (
        select distinct
            user_id,
            {{ value | replace('{t}', 'new_items') }} as item_value
        from new_items
    ) as new_values
    where not exists (
        select 1 from counted_items
        where counted_items.user_id = new_values.user_id
            and {{ value | replace('{t}', 'counted_items') }} = new_values.item_value
    )
    group by new_values.user_id

),

{% endfor -%}
{%- else -%}
items as (

    select * from {{ items_table }}
    {% if is_incremental() -%}
    where user_id in (select user_id from changed_users)
    {%- endif %}

),

{% endif -%}

-- A session that crosses midnight (or whose events came in two files) has several rows: its cart and
-- purchase counts are summed before the session is counted as with a cart or abandoned. Only these two
-- columns are grouped by session; the other figures are sums per user, straight from the rows (a grouping
-- by the session's text key of every figure cost twice the rest of this model).
per_session as (

    select
        user_id,
        session_key,
        sum(cart_count) as cart_count,
        sum(purchase_count) as purchase_count

    from session_days
    group by user_id, session_key

),

per_user_session_counts as (

    select
        user_id,
        count(*) as session_count,
        count(*) filter (where cart_count > 0) as sessions_with_cart,
        count(*) filter (where cart_count > 0 and purchase_count = 0) as abandoned_cart_sessions

    from per_session
    group by user_id

),

per_user_sums as (

    select
        user_id,
        max(last_event_at) as last_event_at,
        min(first_event_at) as first_event_at,
        max(built_at) as partials_built_at,
        cast(sum(event_count) as bigint) as event_count,
        cast(sum(view_count) as bigint) as view_count,
        cast(sum(cart_count) as bigint) as cart_count,
        cast(sum(remove_count) as bigint) as remove_count,
        cast(sum(purchase_count) as bigint) as purchase_count,
        coalesce(sum(purchase_revenue), 0) as purchase_revenue,
        -- Divided as doubles: decimal division rounds differently on DuckDB and Spark.
        cast(sum(viewed_price_sum) as double) / nullif(sum(viewed_prices), 0) as avg_price_viewed,
        cast(sum(purchase_revenue) as double) / nullif(sum(bought_prices), 0) as avg_price_bought,
        cast(sum(night_events) as bigint) as night_events,
        cast(sum(morning_events) as bigint) as morning_events,
        cast(sum(afternoon_events) as bigint) as afternoon_events,
        cast(sum(evening_events) as bigint) as evening_events,
        cast(sum(weekend_events) as bigint) as weekend_events

    from session_days
    group by user_id

),

per_user_sessions as (

    select
        per_user_sums.user_id,
        per_user_sums.last_event_at,
        per_user_sums.first_event_at,
        per_user_sums.partials_built_at,
        per_user_sums.event_count,
        per_user_session_counts.session_count,
        per_user_session_counts.sessions_with_cart,
        per_user_session_counts.abandoned_cart_sessions,
        {{ star_except(
            ['user_id', 'last_event_at', 'first_event_at', 'partials_built_at', 'event_count'], 'per_user_sums'
        ) }}

    from per_user_sums
    inner join per_user_session_counts
        on per_user_sums.user_id = per_user_session_counts.user_id

),

{% if additive -%}
-- The counts this table had, plus the values added since.
per_user_breadth as (

    select
        changed_users.user_id,
        {% for column in breadth -%}
        coalesce(counted.{{ column }}, 0) + coalesce({{ column }}_added.added, 0) as {{ column }},
        {% endfor -%}
        items_built.items_built_at

    from changed_users
    left join {{ this }} as counted
        on changed_users.user_id = counted.user_id
    left join (
        select user_id, max(built_at) as items_built_at from {{ items_table }}
        where built_at > {{ watermark }}
        group by user_id
    ) as items_built
        on changed_users.user_id = items_built.user_id
    {% for column in breadth -%}
    left join {{ column }}_added
        on changed_users.user_id = {{ column }}_added.user_id
    {% endfor %}

)
{%- else -%}
-- Distinct counts do not add up across days: counted over the distinct items of every day.
per_user_breadth as (

    select
        user_id,
        {% for column, value in breadth.items() -%}
        count(distinct {{ value | replace('{t}.', '') }}) as {{ column }},
        {% endfor -%}
        max(built_at) as items_built_at

    from items
    group by user_id

)
{%- endif %}

select
    {{ star_except(['partials_built_at'], 'per_user_sessions') }},
    greatest(per_user_sessions.partials_built_at, per_user_breadth.items_built_at) as partials_built_at,
    {{ star_except(['user_id', 'items_built_at'], 'per_user_breadth') }}

from per_user_sessions
inner join per_user_breadth
    on per_user_sessions.user_id = per_user_breadth.user_id
