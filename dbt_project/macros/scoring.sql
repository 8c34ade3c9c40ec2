{#
  Scoring in SQL: every row gets its cluster, its distance to the nearest centroid, the margin to the second
  nearest and its PCA coordinates (for a Gaussian-mixture segmentation, the distance is measured in each
  component's own covariance and offset by its weight and spread, so the nearest centroid is the most
  probable component), from the fitted parameters of a model (table segment_model_parameters,
  written by the fit; ml/engine/parameters.py states the formula). The parameters are read when the model
  that calls the macro is compiled, right before it runs, and become constants of one SELECT: the data never
  leaves the warehouse and any engine with SQL can score.

    {{ score_segments(ref('my_prospects'), 'customers') }}

  `relation` needs the model inputs of the segmentation (the registry's numeric and categorical features);
  every column of it is passed through (or only `passthrough`, a list of column names). `model_version`
  defaults to the active model. Output columns added: cluster_id, distance_to_centroid,
  margin_to_next_centroid, distances_to_centroids (the distance to every centroid, cluster 0 first),
  is_distance_outlier, pc1..pcN, model_version.
#}

{% macro score_segments(relation, segmentation_name, passthrough=none, model_version=none) %}
  {%- set entry = segmentation_entry(segmentation_name) -%}
  {%- set parameters_relation = ref('segment_model_parameters') -%}
  {%- set component_count = entry.model.get('n_components', 3) -%}
  {%- set generated = ['cluster_id', 'distance_to_centroid', 'margin_to_next_centroid', 'distances_to_centroids',
      'is_distance_outlier', 'model_version'] -%}
  {%- for c in range(1, component_count + 1) -%}{%- do generated.append('pc' ~ c) -%}{%- endfor -%}
  {%- if passthrough is none -%}
    {%- if execute and relation is not string -%}
      {%- set passthrough = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- else -%}
      {%- set passthrough = [entry.entity_key] -%}
    {%- endif -%}
  {%- endif -%}
  {%- set kept = [] -%}
  {%- for column in passthrough -%}{%- if column | lower not in generated -%}{%- do kept.append(column) -%}{%- endif -%}{%- endfor -%}
  {%- set model = scoring_parameters(parameters_relation, segmentation_name, model_version) -%}
  {%- if model is none -%}
    {#- Parse time, or no fitted model yet (e.g. `dbt docs generate` before the first build). -#}
    select
      {% for column in kept %}{{ adapter.quote(column) }},{% endfor %}
      cast(null as integer) as cluster_id,
      cast(null as double) as distance_to_centroid,
      cast(null as double) as margin_to_next_centroid,
      {{ array_of(['cast(null as double)']) }} as distances_to_centroids,
      cast(null as boolean) as is_distance_outlier,
      {% for c in range(1, component_count + 1) %}cast(null as double) as pc{{ c }},{% endfor %}
      cast(null as string) as model_version
    from {{ relation }}
    where 1 = 0
  {%- else -%}
    {%- set clusters = range(model.cluster_count) -%}
    select
      {% for column in kept %}{{ adapter.quote(column) }},{% endfor %}
      scoring_cluster_id as cluster_id,
      scoring_distance as distance_to_centroid,
      least(
        {%- for k in clusters %}
        case when scoring_cluster_id = {{ k }} then null else scoring_distance_{{ k }} end{% if not loop.last %},{% endif %}
        {%- endfor %}
      ) - scoring_distance as margin_to_next_centroid,
      {%- set each = [] -%}{%- for k in clusters -%}{%- do each.append('scoring_distance_' ~ k) -%}{%- endfor %}
      {{ array_of(each) }} as distances_to_centroids,
      scoring_distance > {{ scoring_number(model.threshold) }} as is_distance_outlier,
      {% for c in range(1, component_count + 1) -%}
      {% if c <= model.component_count %}scoring_pc{{ c }}{% else %}cast(null as double){% endif %} as pc{{ c }},
      {% endfor -%}
      '{{ model.version }}' as model_version
    from (
      select
        *,
        case
          {%- for k in clusters %}
          when scoring_distance_{{ k }} = scoring_distance then {{ k }}
          {%- endfor %}
        end as scoring_cluster_id
      from (
        select
          *,
          least({% for k in clusters %}scoring_distance_{{ k }}{% if not loop.last %}, {% endif %}{% endfor %}) as scoring_distance
        from (
          select
            *,
            {%- for k in clusters %}
            sqrt(
              {%- if model.precisions %}
              {%- for e in range(1, model.component_count + 1) %}
              power(
                {%- for c in range(1, model.component_count + 1) %}
                (scoring_pc{{ c }} - {{ scoring_number(model.centroids[k ~ '_' ~ c]) }}) * {{ scoring_number(model.precisions[k ~ '_' ~ c ~ '_' ~ e]) }}{% if not loop.last %} +{% endif %}
                {%- endfor %}
              , 2) +
              {%- endfor %}
              {{ scoring_number(model.offsets[k]) }}
              {%- else %}
              {%- for c in range(1, model.component_count + 1) %}
              power(scoring_pc{{ c }} - {{ scoring_number(model.centroids[k ~ '_' ~ c]) }}, 2){% if not loop.last %} +{% endif %}
              {%- endfor %}
              {%- endif %}
            ) as scoring_distance_{{ k }}{% if not loop.last %},{% endif %}
            {%- endfor %}
          from (
            select
              *,
              {%- for c in range(1, model.component_count + 1) %}
              {% for i in range(model.input_count) -%}
              scoring_input_{{ i }} * {{ scoring_number(model.loadings[c ~ '_' ~ i]) }}{% if not loop.last %} + {% endif %}
              {%- endfor %} as scoring_pc{{ c }}{% if not loop.last %},{% endif %}
              {%- endfor %}
            from (
              select
                {% for column in kept %}{{ adapter.quote(column) }},{% endfor %}
                {%- for i in range(model.input_count) %}
                {%- set input = model.inputs[i] %}
                ({{ scoring_input_expression(input) }} - {{ scoring_number(input.input_centre) }})
                  / {{ scoring_number(input.input_scale) }} - {{ scoring_number(input.pca_mean) }}
                  as scoring_input_{{ i }}{% if not loop.last %},{% endif %}
                {%- endfor %}
              from {{ relation }}
            ) as scoring_inputs
          ) as scoring_projection
        ) as scoring_distances
      ) as scoring_nearest
    ) as scoring_assigned
  {%- endif -%}
{% endmacro %}

{#- One transformed input: log1p of a non-negative amount, the number itself, or a one-hot indicator. -#}
{% macro scoring_input_expression(input) -%}
  {%- set column = adapter.quote(input.feature_name) -%}
  {%- if input.category_value is not none -%}
    case when coalesce(cast({{ column }} as string), '(missing)') = {{ sql_string(input.category_value) }}
      then cast(1 as double) else cast(0 as double) end
  {%- elif input.input_log1p == 1 -%}
    ln(1 + greatest(cast({{ column }} as double), cast(0 as double)))
  {%- else -%}
    cast({{ column }} as double)
  {%- endif -%}
{%- endmacro %}

{#- A fitted constant as an exact double literal (shortest round-trip text of the float). -#}
{% macro scoring_number(value) -%}
  cast({{ value | float }} as double)
{%- endmacro %}

{#- The parameter rows of one model, read at compile time, as a dict the scoring macro indexes. -#}
{% macro scoring_parameters(parameters_relation, segmentation_name, model_version=none) %}
  {% if not execute %}{{ return(none) }}{% endif %}
  {% set existing = load_relation(parameters_relation) %}
  {% if existing is none %}{{ return(none) }}{% endif %}
  {% set query %}
    select parameter as item, feature_name, category_value, input_index, component_index, cluster_id, value, model_version
    from {{ parameters_relation }}
    where segmentation_name = {{ sql_string(segmentation_name) }}
      and {% if model_version %}model_version = {{ sql_string(model_version) }}{% else %}is_active_model{% endif %}
  {% endset %}
  {% set rows = run_query(query).rows %}
  {% if rows | length == 0 %}{{ return(none) }}{% endif %}
  {% set model = {'inputs': {}, 'loadings': {}, 'centroids': {}, 'precisions': {}, 'offsets': {}, 'threshold': none, 'version': none,
                  'input_count': 0, 'component_count': 0, 'cluster_count': 0} %}
  {% for row in rows %}
    {% do model.update({'version': row['model_version']}) %}
    {% if row['item'] in ('input_log1p', 'input_centre', 'input_scale', 'pca_mean') %}
      {% set i = row['input_index'] | int %}
      {% if i not in model.inputs %}
        {% do model.inputs.update({i: {'feature_name': row['feature_name'], 'category_value': row['category_value']}}) %}
      {% endif %}
      {% do model.inputs[i].update({row['item']: row['value'] | float}) %}
      {% do model.update({'input_count': [model.input_count, i + 1] | max}) %}
    {% elif row['item'] == 'pca_loading' %}
      {% do model.loadings.update({(row['component_index'] | int) ~ '_' ~ (row['input_index'] | int): row['value']}) %}
      {% do model.update({'component_count': [model.component_count, row['component_index'] | int] | max}) %}
    {% elif row['item'] == 'centroid' %}
      {% do model.centroids.update({(row['cluster_id'] | int) ~ '_' ~ (row['component_index'] | int): row['value']}) %}
      {% do model.update({'cluster_count': [model.cluster_count, (row['cluster_id'] | int) + 1] | max}) %}
    {% elif row['item'] == 'centroid_precision' %}
      {% do model.precisions.update({(row['cluster_id'] | int) ~ '_' ~ (row['component_index'] | int) ~ '_' ~ (row['input_index'] | int): row['value']}) %}
    {% elif row['item'] == 'centroid_offset' %}
      {% do model.offsets.update({row['cluster_id'] | int: row['value']}) %}
    {% elif row['item'] == 'distance_threshold' %}
      {% do model.update({'threshold': row['value']}) %}
    {% endif %}
  {% endfor %}
  {{ return(model) }}
{% endmacro %}
