-- For every pair of consecutive runs, persona_migrations accounts for every entity of both runs: the moves
-- out of a persona (not '(new)') add up to the earlier run's entities, the moves into one (not '(gone)') to
-- the later run's. Returns the pairs where it does not.

with

run_sizes as (

    select segmentation_name, run_id, count(*) as entities
    from {{ ref('persona_membership_history') }}
    group by segmentation_name, run_id

),

pair_sums as (

    select
        segmentation_name,
        previous_run_id,
        run_id,
        sum(entity_count) filter (where from_persona_id <> '(new)') as moved_from,
        sum(entity_count) filter (where to_persona_id <> '(gone)') as moved_to
    from {{ ref('persona_migrations') }}
    group by segmentation_name, previous_run_id, run_id

)

select pair_sums.*, earlier.entities as earlier_entities, later.entities as later_entities
from pair_sums
inner join run_sizes as earlier
    on earlier.segmentation_name = pair_sums.segmentation_name and earlier.run_id = pair_sums.previous_run_id
inner join run_sizes as later
    on later.segmentation_name = pair_sums.segmentation_name and later.run_id = pair_sums.run_id
where coalesce(pair_sums.moved_from, 0) <> earlier.entities
    or coalesce(pair_sums.moved_to, 0) <> later.entities
