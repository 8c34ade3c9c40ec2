{#-
  Value beside the segments: per persona of each segmentation whose source has customer value
  (customer_value), the median predicted CLV, the share of members at high churn risk and the mix of value
  tiers. members = persona members with value figures; the shares are of them. A source without enough
  history has no rows here (clv_sufficiency says why).
-#}

{%- set tiers = [('top 1%', 'top_1pct'), ('top 1-5%', 'top_1_5pct'), ('top 5-10%', 'top_5_10pct'),
                 ('top 10-25%', 'top_10_25pct'), ('top 25-50%', 'top_25_50pct'), ('bottom 50%', 'bottom_50pct')] -%}

with

members as (

    {{ value_source_members() }}

)

select
    members.segmentation_name,
    members.persona_id,
    any_value(members.persona_name) as persona_name,
    count(*) as members,
    {{ median('value.predicted_clv') }} as median_predicted_clv,
    {{ exact_sum('value.predicted_clv') }} as total_predicted_clv,
    {{ median('value.expected_purchases') }} as median_expected_purchases,
    {{ median('value.probability_alive') }} as median_probability_alive,
    -- Of the members whose churn risk is known (null when the fit could not tell anyone's).
    avg(case when value.churn_risk_band = 'high' then 1e0 when value.churn_risk_band = 'unknown' then null else 0e0 end)
        as high_churn_risk_share,
{% for tier, column in tiers -%}
avg(case when value.value_tier = '{{ tier }}' then 1e0 else 0e0 end) as value_tier_{{ column }}_share
{{- ',' if not loop.last }}
{% endfor %}
from members
inner join {{ ref('customer_value') }} as value using (segmentation_name, customer_id)
group by members.segmentation_name, members.persona_id
