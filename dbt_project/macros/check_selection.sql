{#-
  on-run-start: a --select that leaves out a model's inputs works only where an earlier build left them in
  the build database. Where it did not (a fresh folder, `--select published_warehouse` alone), the run stops
  here, naming what is missing and how to select it, instead of failing deep inside a model.
-#}
{% macro check_selection() %}
  {%- if not execute or selected_resources is none -%}{{ return('') }}{%- endif -%}
  {%- set missing = {} -%}
  {%- for unique_id in selected_resources if unique_id in graph.nodes -%}
    {%- set node = graph.nodes[unique_id] -%}
    {%- for parent_id in node.depends_on.nodes
        if parent_id in graph.nodes and parent_id not in selected_resources
        and graph.nodes[parent_id].resource_type in ('model', 'seed', 'snapshot') -%}
      {%- set parent = graph.nodes[parent_id] -%}
      {%- set relation = adapter.get_relation(
          database=parent.database, schema=parent.schema, identifier=parent.alias or parent.name) -%}
      {%- if relation is none -%}
        {%- do missing.setdefault(node.name, []).append(parent.name) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- if missing -%}
    {%- set lines = [] -%}
    {%- for name, parents in missing.items() | sort -%}
      {%- do lines.append(name ~ " needs " ~ parents | sort | join(', ')) -%}
    {%- endfor -%}
    {%- set first = (missing.keys() | sort | list)[0] -%}
    {{ exceptions.raise_compiler_error(
        "This --select leaves out inputs that no earlier build has made (nothing was built):\n  - "
        ~ lines | join("\n  - ")
        ~ "\nSelect them too (e.g. --select +" ~ first ~ ", the model and everything upstream), or run a full "
        ~ "`dbt build` first.") }}
  {%- endif -%}
  {{ return('') }}
{% endmacro %}

{#- True when this invocation builds run_summary: only then does a failure count as a failed build. -#}
{% macro selects_run_summary() -%}
  {%- if selected_resources is none -%}{{ return(true) }}{%- endif -%}
  {%- for unique_id in selected_resources if unique_id.startswith('model.') and unique_id.endswith('.run_summary') -%}
    {{ return(true) }}
  {%- endfor -%}
  {{ return(false) }}
{%- endmacro %}
