-- A readable rule per persona of every model, from a decision tree of depth 3 fitted to the persona labels
-- on the model inputs in their own units: rule_text in words, rule_sql a condition on the feature table's
-- columns (select * from <feature table> where <rule_sql>), coverage (share of the persona's members the
-- rule selects) and fidelity (share of the selected rows in the persona). A persona without a rule is the
-- majority of no leaf: no simple description was found.

with

rule_rows as (

    select * from {{ ref('segmentation_fits') }}
    where section = 'rule'

),

pivoted as (

    select
        segmentation_name,
        model_version,
        cast(cluster_id as integer) as cluster_id,
        max(case when item = 'rule_text' then text end) as rule_text,
        max(case when item = 'rule_sql' then text end) as rule_sql,
        max(case when item = 'coverage' then value end) as coverage,
        max(case when item = 'fidelity' then value end) as fidelity,
        cast(max(case when item = 'members' then value end) as bigint) as fit_members,
        max(case when item = 'tree_accuracy' then value end) as tree_accuracy,
        cast(max(case when item = 'max_depth' then value end) as integer) as tree_max_depth

    from rule_rows
    group by segmentation_name, model_version, cluster_id

)

select
    personas.segmentation_name,
    personas.model_version,
    personas.is_active_model,
    personas.cluster_id,
    personas.persona_id,
    personas.persona_name,
    pivoted.rule_text,
    pivoted.rule_sql,
    pivoted.coverage,
    pivoted.fidelity,
    pivoted.fit_members,
    pivoted.tree_accuracy,
    pivoted.tree_max_depth

from pivoted
inner join {{ ref('segment_personas') }} as personas
    on pivoted.segmentation_name = personas.segmentation_name
        and pivoted.model_version = personas.model_version
        and pivoted.cluster_id = personas.cluster_id
