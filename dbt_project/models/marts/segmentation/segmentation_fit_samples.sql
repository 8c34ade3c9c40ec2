{#-
  The rows each segmentation's model is fitted on: per segmentation of the registry, the rows not excluded
  from the fit, a deterministic sample of var fit_sample_size of them ordered by md5 of the key and var
  random_state (the same sample on DuckDB and Spark, whatever order rows arrive in), with every model input
  and profile feature. One wide table for every segmentation: a column per feature name of any of them
  (numbers as doubles, categories as text), null where a segmentation has no such feature, so one fit step
  serves the whole registry on any engine. eligible_rows counts the rows the sample was drawn from.
-#}
{%- set seed = var('random_state') -%}
{%- set sample_size = var('fit_sample_size') | int -%}
{%- set numeric = [] -%}
{%- set categorical = [] -%}
{%- for name, entry in segmentations().items() -%}
{%- for column in entry.model.numeric_features + entry.profile_features -%}
{%- if column not in numeric -%}{%- do numeric.append(column) -%}{%- endif -%}
{%- endfor -%}
{%- for column in entry.model.get('categorical_features', []) -%}
{%- if column not in categorical -%}{%- do categorical.append(column) -%}{%- endif -%}
{%- endfor -%}
{%- endfor -%}
{%- for column in categorical if column in numeric -%}
  {{ exceptions.raise_compiler_error("Feature '" ~ column ~ "' is categorical in one segmentation and numeric in another; rename one of them.") }}
{%- endfor -%}

{% for name, entry in segmentations().items() -%}
{%- set exclude = entry.model.get('exclude_column') -%}
{%- set own = entry.model.numeric_features + entry.profile_features + entry.model.get('categorical_features', []) -%}
select
    '{{ name }}' as segmentation_name,
    cast({{ entry.entity_key }} as string) as entity_key,
    {% for column in numeric -%}
    {% if column in own %}cast({{ column }} as double){% else %}cast(null as double){% endif %} as {{ column }},
    {% endfor -%}
    {% for column in categorical -%}
    {% if column in own %}cast({{ column }} as string){% else %}cast(null as string){% endif %} as {{ column }},
    {% endfor -%}
    (
        select count(*) from {{ ref(entry.feature_model) }}
        {% if exclude %}where not {{ exclude }}{% endif %}
    ) as eligible_rows
from (
    select *
    from {{ ref(entry.feature_model) }}
    {% if exclude %}where not {{ exclude }}{% endif %}
    order by md5(concat(cast({{ entry.entity_key }} as string), '-{{ seed }}')), {{ entry.entity_key }}
    limit {{ sample_size }}
) as sampled
{% if not loop.last %}union all{% endif %}
{% endfor %}
