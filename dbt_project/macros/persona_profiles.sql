{#
  The persona profile table of one segmentation: one row per persona with its size and share (every scored
  customer), means, medians and z-scores of the key features (the customers the model was fitted on, so
  flagged outliers count in the size but do not move the averages), its top three centroid traits in words,
  and its description and strategy. persona_profiles and invoice_persona_profiles are this macro.
#}
{% macro persona_profiles_sql(segmentation_name, members, cluster_personas, centroids, key_features) %}
with

customer_personas as (

    select * from {{ members }}

),

personas as (

    select * from {{ cluster_personas }}

),

centroids as (

    select * from {{ centroids }}

),

feature_labels as (

    select * from {{ ref('feature_labels') }}
    where segmentation_name = {{ sql_string(segmentation_name) }}

),

sizes as (

    select
        persona_name,
        count(*) as customer_count,
        count(*) / sum(count(*)) over () as customer_share,
        count(*) filter (where is_excluded_from_fit) as flagged_customer_count

    from customer_personas
    group by persona_name

),

population as (

    select
        {% for feature in key_features -%}
        {{ exact_avg(feature) }} as {{ feature }}_mean,
        {{ exact_stddev_pop(feature) }} as {{ feature }}_std,
        {% endfor %}
        count(*) as fitted_customer_count

    from customer_personas
    where not is_excluded_from_fit

),

statistics as (

    select
        persona_name,
        {% for feature in key_features -%}
        {{ exact_avg(feature) }} as {{ feature }}_mean,
        median({{ feature }}) as {{ feature }}_median,
        {% endfor %}
        count(*) as fitted_member_count

    from customer_personas
    where not is_excluded_from_fit
    group by persona_name

),

ranked_traits as (

    select
        centroids.cluster_id,
        coalesce(feature_labels.feature_label, replace(centroids.feature_name, '_', ' ')) as feature_label,
        centroids.standardised_value,
        row_number() over (
            partition by centroids.cluster_id
            order by abs(centroids.standardised_value) desc, centroids.feature_name
        ) as trait_rank

    from centroids
    left join feature_labels
        on centroids.feature_name = feature_labels.feature_name

),

top_traits as (

    select
        cluster_id,
        string_agg(
            case when standardised_value > 0 then 'high ' else 'low ' end
            || feature_label
            || ' (' || case when standardised_value > 0 then '+' else '' end
            || printf('%.1f', standardised_value) || ' sd)',
            ', '
            order by trait_rank
        ) as top_traits

    from ranked_traits
    where trait_rank <= 3
    group by cluster_id

),

final as (

    select
        personas.persona_name,
        personas.cluster_id,
        personas.description,
        personas.marketing_strategy,
        personas.match_score,
        personas.is_fallback_name,
        sizes.customer_count,
        sizes.customer_share,
        sizes.flagged_customer_count,
        top_traits.top_traits,
        {% for feature in key_features -%}
        statistics.{{ feature }}_mean,
        statistics.{{ feature }}_median,
        (statistics.{{ feature }}_mean - population.{{ feature }}_mean)
            / nullif(population.{{ feature }}_std, 0) as {{ feature }}_z_score,
        {% endfor %}
        personas.model_version

    from personas
    inner join sizes
        on personas.persona_name = sizes.persona_name
    left join statistics
        on personas.persona_name = statistics.persona_name
    left join top_traits
        on personas.cluster_id = top_traits.cluster_id
    cross join population

)

select * from final
order by customer_count desc, persona_name
{% endmacro %}
