{#-
  Per-user totals of the clickstream, from the partial aggregates: sessions (a session that crosses midnight
  or two files has several partial rows: its cart and purchase counts are summed first), the funnel counts,
  revenue and price sums, the time mix, and the distinct counts (products, categories, brands, active days)
  over the per-day distinct items.
  Incremental by user: a build updates only the users that have partial rows (re)built since this table's
  last build (built_at), and adds to what it had instead of reading their history again:
  - sums: a user whose new session rows are all on days this table had not counted for them (a new day)
    gets the sums it had plus those of the new rows, and its session counts plus the sessions the new rows
    add or complete (a key it had counted is looked up, with its counted cart and purchase counts: a
    session's cart and purchase can fall on two days). A user with a new row on a day it had counted (a
    rebuilt day: late events, copies, a changed session key) has that day's old rows replaced, so its sums
    are taken from all its session rows again. Which days were counted is read off the items: a (user, day)
    was counted when it has an item row first seen by a build this table had already followed
    (first_built_at), since every day and user of the session rows has item rows and a day's items only grow.
  - distinct counts: the landing only appends, so a user's item rows only grow, and a build adds the values
    of the rows first seen since its last build that the user's older rows lack (an anti-join) instead of
    counting all of a user's rows again.
  After a full rebuild of the items (every row new) both are taken from all rows again.
  clickstream_customer_features adds the as-of time, recency and the rates.
-#}
{{ config(on_schema_change='append_new_columns', **clickstream_partial_config('user_id')) }}
{%- do clickstream_check_spark_partitions() %}

{%- set sessions_table = ref('int_clickstream_session_days') %}
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
{#- The session rows' figures that add up, as kept here too (the price sums and counts, so that the averages
    can be updated). -#}
{%- set summed_columns = [
    'event_count', 'view_count', 'cart_count', 'remove_count', 'purchase_count', 'purchase_revenue',
    'viewed_price_sum', 'viewed_prices', 'bought_prices',
    'night_events', 'morning_events', 'afternoon_events', 'evening_events', 'weekend_events',
] %}
{%- set summed_figures = (['first_event_at', 'last_event_at'] + summed_columns) | join(', ') %}
{%- set incremental = is_incremental() %}
{%- set additive = false %}
{%- if execute and is_incremental() %}
    {#- Built before it kept the price sums: every user is summed again (the columns are added). -#}
    {%- set kept = adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
    {%- set incremental = 'bought_prices' in kept %}
{%- endif %}
{#- The partial rows built since this table's last build. On Spark the partial tables are partitioned by
    event_date, and a filter on built_at (a subquery) prunes none of them: the days of those rows are looked up
    once, so that each read of changed_users (Spark reads a CTE again at every use) lists only those days'
    partitions (docs/performance.md, "The Spark user totals"). -#}
{%- set new_partial_rows = 'built_at > ' ~ watermark %}
{%- if execute and incremental and target.type == 'spark' %}
    {%- set new_days_query -%}
        select cast(event_date as string) from {{ sessions_table }} where {{ new_partial_rows }}
        union
        select cast(event_date as string) from {{ items_table }} where {{ new_partial_rows }}
        order by 1
    {%- endset %}
    {%- set new_days = run_query(new_days_query).columns[0].values() | list %}
    {%- set new_partial_rows = clickstream_day_filter(new_days, 'event_date') ~ ' and ' ~ new_partial_rows %}
{%- endif %}
{#- Spark sums the changed users again from all their rows instead of adding to them: it reads a CTE again
    at every use (DuckDB materialises one read several times), and the added-to form, which reads the new
    rows, the counted ones and this table several times each, took 67.5 s of a 124 s one-more-day build
    at 10M events against 23.6 s for every user of a cold build (docs/performance.md, "One more day on Spark"). -#}
{%- if execute and incremental and target.type != 'spark' %}
    {#- Added to only when this table counted item rows before: not after a full rebuild of the items. -#}
    {%- set counted_query -%}
        select count(*) from {{ items_table }} where first_built_at <= {{ watermark }}
    {%- endset %}
    {%- set additive = run_query(counted_query).columns[0].values()[0] > 0 %}
{%- endif %}

with

{% if incremental -%}
changed_users as (

    select user_id from {{ sessions_table }}
    where {{ new_partial_rows }}
    union
    select user_id from {{ items_table }}
    where {{ new_partial_rows }}

),

{% endif -%}
{% if additive -%}
new_session_rows as (

    select * from {{ sessions_table }}
    where built_at > {{ watermark }}

),

-- The users whose new session rows are all on days this table had not counted for them: their totals are
-- added to. A (user, day) was counted when it has an item row first seen by a build this table followed.
added_users as (

    select user_id from new_session_rows
    except
    select new_days.user_id
    from (select distinct user_id, event_date from new_session_rows) as new_days
    inner join {{ items_table }} as counted
        on new_days.user_id = counted.user_id
            and new_days.event_date = counted.event_date
    where counted.first_built_at <= {{ watermark }}

),

-- The other changed users: a day of theirs was rebuilt, and its old rows are gone. Summed from all their
-- rows.
resummed_users as (

    select user_id from changed_users
    except
    select user_id from added_users

),

added_session_keys as (

    select distinct
        user_id,
        session_key
    from new_session_rows
    where user_id in (select user_id from added_users)

),

-- The sessions of the new rows, with what this table had counted of the same session (one that ran into
-- the new day, or came back in it): its cart and purchase counts decide whether it had a cart or was
-- abandoned.
added_sessions as (

    select
        new_sessions.cart_count,
        new_sessions.purchase_count,
        new_sessions.user_id,
        counted_sessions.session_key is not null as was_counted,
        coalesce(counted_sessions.cart_count, 0) as counted_cart_count,
        coalesce(counted_sessions.purchase_count, 0) as counted_purchase_count

    from (
        select
            user_id,
            session_key,
            sum(cart_count) as cart_count,
            sum(purchase_count) as purchase_count
        from new_session_rows
        where user_id in (select user_id from added_users)
        group by user_id, session_key
    ) as new_sessions
    left join (
        select
            counted.user_id,
            counted.session_key,
            sum(counted.cart_count) as cart_count,
            sum(counted.purchase_count) as purchase_count
        from {{ sessions_table }} as counted
        inner join added_session_keys
            on counted.user_id = added_session_keys.user_id
                and counted.session_key = added_session_keys.session_key
        where counted.built_at <= {{ watermark }}
        group by counted.user_id, counted.session_key
    ) as counted_sessions
        on new_sessions.user_id = counted_sessions.user_id
            and new_sessions.session_key = counted_sessions.session_key

),

{% endif -%}
session_days as (

    select * from {{ sessions_table }}
    {% if additive -%}
    where user_id in (select user_id from resummed_users)
    {%- elif incremental -%}
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
-- does not count them). An anti-join of the new (user, value) pairs with the counted rows: cheaper than a set
-- difference that hashes all of the users' counted rows. Written as ANTI JOIN with plain equalities, not as
-- NOT EXISTS: DuckDB turns a correlated NOT EXISTS into a join on IS NOT DISTINCT FROM, which hashes slower
-- (the query took 10% less at 50M events; docs/performance.md). A null value matches nothing either way.
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
    anti join counted_items
        on counted_items.user_id = new_values.user_id
            and {{ value | replace('{t}', 'counted_items') }} = new_values.item_value
    group by new_values.user_id

),

{% endfor -%}
{%- else -%}
items as (

    select * from {{ items_table }}
    {% if incremental -%}
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

    {% if additive -%}
    union all

    -- What the added-to users had, plus what their new rows add: a new session, or a counted one that now
    -- has a cart, or whose abandoned cart now has its purchase.
    select
        added.user_id,
        coalesce(counted.session_count, 0) + added.session_count as session_count,
        coalesce(counted.sessions_with_cart, 0) + added.sessions_with_cart as sessions_with_cart,
        coalesce(counted.abandoned_cart_sessions, 0) + added.abandoned_cart_sessions as abandoned_cart_sessions

    from (
        select
            user_id,
            count(*) filter (where not was_counted) as session_count,
            count(*) filter (where cart_count + counted_cart_count > 0)
            - count(*) filter (where counted_cart_count > 0) as sessions_with_cart,
            count(*) filter (where cart_count + counted_cart_count > 0 and purchase_count + counted_purchase_count = 0)
            - count(*) filter (where counted_cart_count > 0 and counted_purchase_count = 0)
                as abandoned_cart_sessions
        from added_sessions
        group by user_id
    ) as added
    left join {{ this }} as counted
        on added.user_id = counted.user_id
    {%- endif %}

),

-- The rows summed per user: all session rows of the users summed again; for the users added to, their new
-- rows and what this table had for them (its totals are sums of the same figures, the extremes too).
summed_rows as (

    select user_id, built_at, {{ summed_figures }} from session_days

    {% if additive -%}
    union all

    select user_id, built_at, {{ summed_figures }} from new_session_rows
    where user_id in (select user_id from added_users)

    union all

    select user_id, partials_built_at as built_at, {{ summed_figures }} from {{ this }}
    where user_id in (select user_id from added_users)
    {%- endif %}

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
        cast(coalesce(sum(purchase_revenue), 0) as decimal(38, 2)) as purchase_revenue,
        -- Divided as doubles: decimal division rounds differently on DuckDB and Spark.
        cast(sum(viewed_price_sum) as double) / nullif(sum(viewed_prices), 0) as avg_price_viewed,
        cast(sum(purchase_revenue) as double) / nullif(sum(bought_prices), 0) as avg_price_bought,
        -- Kept so that a later build can add to the averages.
        cast(sum(viewed_price_sum) as decimal(38, 2)) as viewed_price_sum,
        cast(sum(viewed_prices) as bigint) as viewed_prices,
        cast(sum(bought_prices) as bigint) as bought_prices,
        cast(sum(night_events) as bigint) as night_events,
        cast(sum(morning_events) as bigint) as morning_events,
        cast(sum(afternoon_events) as bigint) as afternoon_events,
        cast(sum(evening_events) as bigint) as evening_events,
        cast(sum(weekend_events) as bigint) as weekend_events

    from summed_rows
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
        {{ count_distinct(value | replace('{t}.', '')) }} as {{ column }},
        {% endfor -%}
        max(built_at) as items_built_at

    from items
    group by user_id

)
{%- endif %},

changed_rows as (

    select
        {{ star_except(['partials_built_at'], 'per_user_sessions') }},
        greatest(per_user_sessions.partials_built_at, per_user_breadth.items_built_at) as partials_built_at,
        {{ star_except(['user_id', 'items_built_at'], 'per_user_breadth') }}

    from per_user_sessions
    inner join per_user_breadth
        on per_user_sessions.user_id = per_user_breadth.user_id

)

{{ clickstream_per_user_rows('changed_rows', 'changed_users') }}
