{#-
  The rows each segmentation's model is fitted on, in long form (one row per entity and feature), so that
  one fit step serves every segmentation of the registry on any engine. Per segmentation: the rows not
  excluded from the fit, a deterministic sample of var fit_sample_size of them ordered by md5 of the key and
  var random_state (the same sample on DuckDB and Spark, whatever order rows arrive in), and every model
  input and profile feature. eligible_rows counts the rows the sample was drawn from.
-#}
{%- set seed = var('random_state') -%}
{%- set sample_size = var('fit_sample_size') | int -%}

with

{% for name, entry in segmentations().items() -%}
{%- set exclude = entry.model.get('exclude_column') -%}
{%- set numeric = [] -%}
{%- for column in entry.model.numeric_features + entry.profile_features -%}
  {%- if column not in numeric -%}{%- do numeric.append(column) -%}{%- endif -%}
{%- endfor -%}
eligible_{{ name }} as (

    select
        cast({{ entry.entity_key }} as string) as entity_key,
        {% for column in numeric + entry.model.get('categorical_features', []) -%}
        {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ ref(entry.feature_model) }}
    {% if exclude %}where not {{ exclude }}{% endif %}

),

count_{{ name }} as (

    select count(*) as eligible_rows from eligible_{{ name }}

),

sample_{{ name }} as (

    select *
    from eligible_{{ name }}
    order by md5(concat(entity_key, '-{{ seed }}')), entity_key
    limit {{ sample_size }}

),

long_{{ name }} as (

    {% for column in numeric -%}
    select
        '{{ name }}' as segmentation_name,
        entity_key,
        '{{ column }}' as feature_name,
        cast({{ column }} as double) as numeric_value,
        cast(null as string) as text_value
    from sample_{{ name }}
    union all
    {% endfor -%}
    {% for column in entry.model.get('categorical_features', []) -%}
    select
        '{{ name }}' as segmentation_name,
        entity_key,
        '{{ column }}' as feature_name,
        cast(null as double) as numeric_value,
        cast({{ column }} as string) as text_value
    from sample_{{ name }}
    union all
    {% endfor -%}
    select
        '{{ name }}' as segmentation_name,
        cast(null as string) as entity_key,
        cast(null as string) as feature_name,
        cast(null as double) as numeric_value,
        cast(null as string) as text_value
    where 1 = 0

){% if not loop.last %},{% endif %}

{% endfor %}

{% for name in segmentations() -%}
select long_{{ name }}.*, count_{{ name }}.eligible_rows
from long_{{ name }}
cross join count_{{ name }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
