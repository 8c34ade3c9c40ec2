{#-
  on-run-start: dbt ignores a var it does not know, so `--vars '{customer_file: mine.csv}'` (one letter off)
  would build the bundled sample and exit 0. Every var given on the command line is checked here against
  var_types (dbt_project.yml): an unknown name stops the build naming the nearest known one, a value of the
  wrong type names the var, the type and the value. Then the input files the build reads are printed.
-#}
{% macro check_vars() %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {{ raise_var_problems(var_problems()) }}
  {%- set given = cli_vars() -%}
  {%- for name in var('segmentations') -%}
    {%- set file_var = var('segmentations')[name].input.file_var -%}
    {{ log("Input " ~ name ~ ": " ~ var(file_var) ~ " (" ~ ("given" if file_var in given else "default")
        ~ "; var " ~ file_var ~ ")", info=True) }}
  {%- endfor -%}
  {{ return('') }}
{% endmacro %}

{#- The vars given on the command line (--vars), as a mapping. -#}
{% macro cli_vars() -%}
  {%- set given = invocation_args_dict.get('vars') or {} -%}
  {{- return(fromyaml(given) or {} if given is string else given) -}}
{%- endmacro %}

{#- Every problem of the vars given on the command line: unknown names and values of the wrong type. -#}
{% macro var_problems() -%}
  {%- set types = var('var_types') -%}
  {%- set problems = [] -%}
  {%- for name, value in cli_vars().items() | sort -%}
    {%- if name == 'var_types' -%}
      {%- do problems.append("var var_types declares the other vars' types; it cannot be set with --vars") -%}
    {%- elif name not in types -%}
      {%- set nearest = nearest_name(name, types.keys() | list) -%}
      {%- do problems.append("unknown var " ~ tojson(name) ~ (("; did you mean " ~ tojson(nearest) ~ "?") if nearest else "")
          ~ " Known vars: " ~ (types.keys() | sort | join(', '))) -%}
    {%- else -%}
      {%- set problem = var_type_problem(value, types[name]) -%}
      {%- if problem -%}
        {%- do problems.append("var " ~ name ~ " = " ~ var_text(value) ~ ": " ~ problem) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {{- return(problems) -}}
{%- endmacro %}

{% macro raise_var_problems(problems) -%}
  {%- if problems -%}
    {{ exceptions.raise_compiler_error("Invalid --vars (nothing was built):\n  - " ~ problems | join("\n  - ")) }}
  {%- endif -%}
{%- endmacro %}

{#-
  var(name), checked against its type in var_types: macros that read a var while dbt parses (before
  on-run-start) stop with the same message as check_vars.
-#}
{% macro checked_var(name) -%}
  {%- set value = var(name) -%}
  {%- set problem = var_type_problem(value, var('var_types')[name]) -%}
  {%- if problem -%}
    {#- Report every bad var given, not only this one (a var set in dbt_project.yml itself comes last). -#}
    {{ raise_var_problems(var_problems() or ["var " ~ name ~ " = " ~ var_text(value) ~ ": " ~ problem]) }}
  {%- endif -%}
  {{ return(value) }}
{%- endmacro %}

{#- A var's value as the user wrote it, near enough: strings quoted, the rest as Python prints it. -#}
{% macro var_text(value) -%}
  {{- return('"' ~ value ~ '"' if value is string else value | string) -}}
{%- endmacro %}

{#- What is wrong with `value` for the type `spec` of var_types, or '' when nothing is. -#}
{% macro var_type_problem(value, spec) -%}
  {%- set segmentations = var('segmentations').keys() | sort | list -%}
  {%- set is_boolean = value is sameas true or value is sameas false -%}
  {%- if spec is mapping -%}
    {%- if value is not mapping -%}
      {{- return("expected a mapping with the keys " ~ (spec.keys() | sort | join(', '))) -}}
    {%- endif -%}
    {%- for key in value.keys() | sort if key not in spec -%}
      {%- set nearest = nearest_name(key, spec.keys() | list) -%}
      {{- return("unknown key " ~ key ~ (("; did you mean " ~ nearest ~ "?") if nearest else "")) -}}
    {%- endfor -%}
    {%- for key in spec.keys() | sort -%}
      {%- if key not in value -%}
        {{- return("missing key " ~ key ~ " (a mapping given with --vars replaces the default as a whole)") -}}
      {%- endif -%}
      {%- set problem = var_type_problem(value[key], spec[key]) -%}
      {%- if problem -%}{{- return(key ~ ": " ~ problem) -}}{%- endif -%}
    {%- endfor -%}
    {{- return('') -}}
  {%- elif spec is sequence and spec is not string -%}
    {{- return('' if value in spec else "expected one of " ~ spec | join(', ')) -}}
  {%- elif spec.endswith('?') -%}
    {{- return('' if value is none else var_type_problem(value, spec[:-1])) -}}
  {%- elif value is none -%}
    {{- return("expected " ~ spec ~ ", not null") -}}
  {%- elif spec in ('path', 'text') -%}
    {{- return('' if value is string and value else "expected " ~ spec ~ " (a non-empty string)") -}}
  {%- elif spec == 'date' -%}
    {%- set pattern = '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])' -%}
    {{- return('' if modules.re.fullmatch(pattern, value | string) else "expected a date YYYY-MM-DD") -}}
  {%- elif spec == 'integer' -%}
    {{- return('' if value is integer and not is_boolean else "expected a whole number") -}}
  {%- elif spec == 'number' -%}
    {{- return('' if value is number and not is_boolean else "expected a number") -}}
  {%- elif spec == 'boolean' -%}
    {{- return('' if is_boolean else "expected true or false") -}}
  {%- elif spec == 'counts' -%}
    {%- if value is not mapping -%}
      {{- return("expected segmentation: k, e.g. {customers: 5}") -}}
    {%- endif -%}
    {%- for name, k in value.items() | sort -%}
      {%- if name not in segmentations -%}
        {{- return("unknown segmentation " ~ name ~ "; known: " ~ segmentations | join(', ')) -}}
      {%- elif k is not integer or k is sameas true or k is sameas false -%}
        {{- return(name ~ ": expected a whole number") -}}
      {%- endif -%}
    {%- endfor -%}
    {{- return('') -}}
  {%- elif spec == 'refit' -%}
    {%- if is_boolean -%}{{- return('') -}}{%- endif -%}
    {%- if value is string or value is not sequence -%}
      {{- return("expected true, false or a list of segmentations") -}}
    {%- endif -%}
    {%- for name in value if name not in segmentations -%}
      {{- return("unknown segmentation " ~ name ~ "; known: " ~ segmentations | join(', ')) -}}
    {%- endfor -%}
    {{- return('') -}}
  {%- elif spec == 'registry' -%}
    {{- return('' if value is mapping else "expected the registry mapping (docs/adding_a_source.md)") -}}
  {%- endif -%}
  {{- return("var_types has an unknown type " ~ tojson(spec)) -}}
{%- endmacro %}

{#-
  The known name closest to `name` by edit distance (Levenshtein), if it is close enough to be the one
  meant: at most two edits, or a third of its letters for longer names.
-#}
{% macro nearest_name(name, known) -%}
  {%- set best = namespace(name=none, distance=999) -%}
  {%- for candidate in known | sort -%}
    {%- set distance = edit_distance(name, candidate) | int -%}
    {%- if distance < best.distance -%}
      {%- set best.name = candidate -%}
      {%- set best.distance = distance -%}
    {%- endif -%}
  {%- endfor -%}
  {{- return(best.name if best.distance <= [name | length / 3, 2] | max else none) -}}
{%- endmacro %}

{% macro edit_distance(first, second) -%}
  {%- set previous = namespace(row=range(second | length + 1) | list) -%}
  {%- for i in range(1, first | length + 1) -%}
    {%- set current = [i] -%}
    {%- for j in range(1, second | length + 1) -%}
      {%- set substitution = previous.row[j - 1] + (0 if first[i - 1] == second[j - 1] else 1) -%}
      {%- do current.append([previous.row[j] + 1, current[j - 1] + 1, substitution] | min) -%}
    {%- endfor -%}
    {%- set previous.row = current -%}
  {%- endfor -%}
  {{- return(previous.row[second | length]) -}}
{%- endmacro %}
