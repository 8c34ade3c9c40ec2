{#-
  One row per persona of the customer segmentation. Size and share count every scored customer; means,
  medians and z-scores describe the customers the model was fitted on (flagged outliers such as a 666,666
  income are counted in the size but do not move the averages).
-#}
{%- set key_features = ['income', 'age_years', 'spend_total', 'purchases_total', 'recency_days',
    'children_count', 'web_visits_per_month', 'deal_purchases_share', 'campaigns_accepted'] -%}

with

customer_personas as (

    select * from {{ ref('customer_personas') }}

),

personas as (

    select * from {{ ref('customer_cluster_personas') }}

),

centroids as (

    select * from {{ ref('customer_segment_centroids') }}

),

feature_labels as (

    select * from {{ ref('feature_labels') }}
    where segmentation_name = 'customers'

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
        avg({{ feature }}) as {{ feature }}_mean,
        stddev_pop({{ feature }}) as {{ feature }}_std,
        {% endfor %}
        count(*) as fitted_customer_count

    from customer_personas
    where not is_excluded_from_fit

),

statistics as (

    select
        persona_name,
        {% for feature in key_features -%}
        avg({{ feature }}) as {{ feature }}_mean,
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
