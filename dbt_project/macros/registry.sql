{#
  The registry of segmentations (dbt var `segmentations`, declared in dbt_project.yml): the one place that
  says, per segmentation, which feature model, key, inputs, published tables... Python reads the same YAML
  (ml/project.py, ml/engine/registry.py). A key that is not known stops the build, naming it: a typo must
  never fall back to a default. The key lists match ml/engine/registry.py (a unit test compares them).
#}

{% macro registry_keys() %}
  {{ return({
      'entry': ['title', 'entity_label', 'entity_key', 'feature_model', 'members_model', 'input', 'model',
                'profile_features', 'key_features', 'refit_policy', 'published_tables', 'member_joins',
                'report', 'dashboard', 'sufficiency'],
      'input': ['file_var', 'source', 'accounting_model', 'cli_flag', 'upload_label'],
      'model': ['numeric_features', 'categorical_features', 'exclude_column', 'n_clusters', 'min_match_score',
                'identity_max_distance', 'n_components', 'algorithm'],
      'member_join': ['model', 'columns', 'key', 'match'],
      'sufficiency': ['time_span', 'history', 'time_features'],
  }) }}
{% endmacro %}

{% macro segmentations() %}
  {% set registry = var('segmentations') %}
  {% set keys = registry_keys() %}
  {% for name, entry in registry.items() %}
    {% set blocks = [(entry, keys.entry), (entry.get('input', {}), keys.input), (entry.get('model', {}), keys.model)] %}
    {% for join in entry.get('member_joins') or [] %}{% do blocks.append((join, keys.member_join)) %}{% endfor %}
    {% do blocks.append((entry.get('sufficiency') or {}, keys.sufficiency)) %}
    {% for block, allowed in blocks %}
      {% for key in block %}
        {% if key not in allowed %}
          {{ exceptions.raise_compiler_error("Segmentation '" ~ name ~ "' (dbt var segmentations): unknown key '"
              ~ key ~ "'; allowed: " ~ allowed | join(', ')) }}
        {% endif %}
      {% endfor %}
    {% endfor %}
  {% endfor %}
  {{ return(registry) }}
{% endmacro %}

{% macro segmentation_entry(name) %}
  {% set registry = segmentations() %}
  {% if name not in registry %}
    {{ exceptions.raise_compiler_error("No segmentation named '" ~ name ~ "' in the dbt var segmentations; known: "
        ~ registry.keys() | join(', ')) }}
  {% endif %}
  {{ return(registry[name]) }}
{% endmacro %}

{#- The tables every segmentation shares (engine, personas, operations) plus each one's own. -#}
{% macro published_tables() %}
  {% set tables = ['run_summary', 'segmentation_models', 'segment_model_parameters', 'k_selection',
                   'segmentation_sufficiency', 'segmentation_trust', 'segment_personas', 'persona_stability', 'persona_rules', 'algorithm_comparison', 'persona_profiles', 'persona_feature_profiles',
                   'persona_membership_history', 'persona_migrations', 'segment_drift', 'refit_recommendation',
                   'clv_sufficiency', 'clv_parameters', 'customer_value', 'clv_validation', 'clv_tracking',
                   'persona_value_profiles', 'cohort_retention', 'cohort_persona_mix'] %}
  {% for name, entry in segmentations().items() %}
    {% for table in entry.published_tables %}
      {% if table not in tables %}{% do tables.append(table) %}{% endif %}
    {% endfor %}
  {% endfor %}
  {{ return(tables) }}
{% endmacro %}

{#- Columns of the members table: the key, the profile and categorical features, the exclusion flag. -#}
{% macro member_feature_columns(entry) %}
  {% set columns = [] %}
  {% for column in entry.profile_features + entry.model.get('categorical_features', []) %}
    {% if column not in columns and column != entry.entity_key %}{% do columns.append(column) %}{% endif %}
  {% endfor %}
  {{ return(columns) }}
{% endmacro %}
