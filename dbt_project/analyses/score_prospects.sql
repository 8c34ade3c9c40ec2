-- Scoring rows of your own with the active customer model, where they live: any table or CTE with the
-- model inputs of the segmentation (the registry's numeric and categorical features) can be scored.
-- Compile it with `dbt compile --select score_prospects` and run target/compiled/.../score_prospects.sql,
-- or use the same macro in a model of your own:  {{ "{{ score_segments(ref('my_prospects'), 'customers') }}" }}
-- Here the "prospects" are the customers who enrolled in the last year of the data.

with

prospects as (

    select * from {{ ref('customer_features') }}
    where tenure_days < 365

),

scored as (

    {{ score_segments('prospects', 'customers', passthrough=['customer_id', 'income', 'spend_total']) }}

),

personas as (

    select * from {{ ref('segment_personas') }}
    where segmentation_name = 'customers' and is_active_model

)

select
    scored.customer_id,
    personas.persona_name,
    personas.marketing_strategy,
    scored.distance_to_centroid,
    scored.margin_to_next_centroid,
    scored.income,
    scored.spend_total

from scored
inner join personas
    on scored.cluster_id = personas.cluster_id
    and scored.model_version = personas.model_version
order by scored.customer_id
