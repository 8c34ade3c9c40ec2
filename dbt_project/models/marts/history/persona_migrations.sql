{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
{#-
  Who moved where between consecutive runs of each segmentation: one row per (previous run, run, persona
  before, persona after), with '(new)' for entities absent from the previous run and '(gone)' for those
  absent from the later one. Derived from persona_membership_history, so a full refresh recomputes every
  pair; an incremental build adds only the pairs that end in runs not yet here.
-#}

with

history as (

    select * from {{ ref('persona_membership_history') }}

),

runs as (

    select distinct
        segmentation_name,
        run_id,
        run_started_at
    from history

),

pairs as (

    select
        segmentation_name,
        lag(run_id) over (partition by segmentation_name order by run_started_at, run_id) as previous_run_id,
        run_id
    from runs

),

new_pairs as (

    select * from pairs
    where previous_run_id is not null
    {% if is_incremental() -%}
        and run_id not in (select run_id from {{ this }})
    {%- endif %}

),

before as (

    select
        new_pairs.previous_run_id,
        new_pairs.run_id,
        {{ star_except(['run_id'], 'history') }}
    from new_pairs
    inner join history
        on history.segmentation_name = new_pairs.segmentation_name
            and history.run_id = new_pairs.previous_run_id

),

after as (

    select
        new_pairs.previous_run_id,
        history.*
    from new_pairs
    inner join history
        on history.segmentation_name = new_pairs.segmentation_name
            and history.run_id = new_pairs.run_id

),

moves as (

    select
        coalesce(before.segmentation_name, after.segmentation_name) as segmentation_name,
        coalesce(before.previous_run_id, after.previous_run_id) as previous_run_id,
        coalesce(before.run_id, after.run_id) as run_id,
        coalesce(before.persona_id, '(new)') as from_persona_id,
        coalesce(before.persona_name, '(new)') as from_persona_name,
        coalesce(after.persona_id, '(gone)') as to_persona_id,
        coalesce(after.persona_name, '(gone)') as to_persona_name
    from before
    full outer join after
        on before.segmentation_name = after.segmentation_name
            and before.run_id = after.run_id
            and before.entity_key = after.entity_key

),

counted as (

    select
        segmentation_name,
        previous_run_id,
        run_id,
        from_persona_id,
        from_persona_name,
        to_persona_id,
        to_persona_name,
        count(*) as entity_count
    from moves
    group by all

),

run_times as (

    select distinct
        run_id,
        run_started_at,
        model_version,
        as_of_date,
        segmentation_name
    from history

)

select
    counted.segmentation_name,
    counted.previous_run_id,
    previous_run.run_started_at as previous_run_started_at,
    previous_run.as_of_date as previous_as_of_date,
    previous_run.model_version as previous_model_version,
    counted.run_id,
    this_run.run_started_at,
    this_run.as_of_date,
    this_run.model_version,
    counted.from_persona_id,
    counted.from_persona_name,
    counted.to_persona_id,
    counted.to_persona_name,
    counted.from_persona_id = counted.to_persona_id as is_same_persona,
    cast(counted.entity_count as bigint) as entity_count,
    counted.entity_count / sum(counted.entity_count) over (
        partition by counted.segmentation_name, counted.run_id, counted.from_persona_id
    ) as share_of_from_persona,
    counted.entity_count / sum(counted.entity_count) over (
        partition by counted.segmentation_name, counted.run_id
    ) as share_of_entities
from counted
inner join run_times as previous_run
    on previous_run.run_id = counted.previous_run_id
        and previous_run.segmentation_name = counted.segmentation_name
inner join run_times as this_run
    on this_run.run_id = counted.run_id
        and this_run.segmentation_name = counted.segmentation_name
