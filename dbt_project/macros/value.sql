{#
  The customer-value formulas in SQL (docs/value.md): the fitted parameters (clv_parameters) are data, and
  every customer is scored here. ml/engine/clv.py holds the same formulas in Python; tests check one
  against the other.
#}

{#- The repeat-purchase model of this build (checked: a typo must not fall back to a default). -#}
{% macro clv_model() -%}
  {{ return(checked_var('clv_model')) }}
{%- endmacro %}

{#-
  The Gauss hypergeometric series 2F1(a, b; c; z), times exp(log_factor), for every row of `relation`,
  grouped by `keys`. Terms are summed in log space (lgamma), so the huge terms of a frequent buyer and the
  tiny factor in front of them never overflow. The series converges for 0 <= z < 1; the terms grow until
  n is about (a + b - c - 1) z / (1 - z) and then shrink by z per step at the latest, so twice that peak
  plus 45 / -ln(z) terms leave an error below exp(-45) of the largest term (tests compare with scipy).
  Needs a, b > 0 and c > -1, c != 0 (true for every use below). lgamma is log|Gamma|, so a c in (-1, 0) (BG/NBD
  with a + b < 1, for x = 0) only changes the sign of the rising factorial (c)_n: negative for every n >= 1.
-#}
{% macro hypergeometric_sum(relation, keys, a, b, c, z, log_factor) -%}
    select {{ keys | join(', ') }}, sum(term_sign * exp(log_term)) as value
    from (
        select
            {{ keys | join(', ') }},
            case when n > 0 and hg_c < 0 then -1 else 1 end as term_sign,
            log_constant + {{ log_abs_gamma("hg_a + n") }} + {{ log_abs_gamma("hg_b + n") }} - {{ log_abs_gamma("hg_c + n") }} - {{ log_abs_gamma("n + 1") }}
            + case when n = 0 then 0 else n * hg_log_z end as log_term
        from (
            -- One row per term; what does not depend on n is computed once per row before.
            select *, {{ integer_series(0, 'term_count') }} as n
            from (
                select
                    *,
                    log_factor_value - {{ log_abs_gamma("hg_a") }} - {{ log_abs_gamma("hg_b") }} + {{ log_abs_gamma("hg_c") }} as log_constant,
                    case when hg_z <= 0 then null else ln(hg_z) end as hg_log_z,
                    case
                        when hg_z <= 0 then 1
                        else least(
                            20000,
                            ceil(2 * greatest(hg_a + hg_b - hg_c - 1, 0) * hg_z / (1 - hg_z) + 45 / -ln(hg_z)) + 10
                        )
                    end as term_count
                from (
                    select
                        {{ keys | join(', ') }},
                        {{ a }} as hg_a,
                        {{ b }} as hg_b,
                        {{ c }} as hg_c,
                        {{ z }} as hg_z,
                        {{ log_factor }} as log_factor_value
                    from {{ relation }}
                )
            )
        )
    )
    group by {{ keys | join(', ') }}
{%- endmacro %}

{#-
  Expected repeat purchases in the next t time units, given a customer's history (x, t_x, T) and the
  model parameters r, alpha, a, b: columns of `relation`. Returns `keys` and expected_purchases.
  BG/NBD: Fader, Hardie & Lee (2005), eq. 10; MBG/NBD: Batislam et al. (2007).
-#}
{% macro conditional_expected_purchases(relation, keys) -%}
  {%- set model = clv_model() -%}
  {%- set shift = 0 if model == 'mbg_nbd' else -1 -%}
  {#- BG/NBD: 2F1(r + x, b + x; a + b + x - 1); MBG/NBD: 2F1(r + x, b + x + 1; a + b + x) -#}
    with series as (
        {{ hypergeometric_sum(
            '(select * from ' ~ relation ~ ' where a is not null)', keys,
            'r + x', 'b + x + ' ~ (shift + 1), 'a + b + x + ' ~ shift,
            't / (alpha + age + t)',
            '(r + x) * ln((alpha + age) / (alpha + age + t))'
        ) }}
    )
    select
        {% for key in keys %}rows.{{ key }}, {% endfor %}
        case
            -- NBD (no drop-out; a and b null): the Gamma-Poisson posterior mean rate times t.
            when a is null then (r + x) * t / (alpha + age)
            else (a + b + x + {{ shift }}) / (a - 1) * (1 - series.value) / (1 + {{ dropout_odds(model) }})
        end as expected_purchases
    from {{ relation }} as rows
    left join series using ({{ keys | join(', ') }})
{%- endmacro %}

{#- The odds that a customer with history (x, t_x, T) has dropped out; P(alive) = 1 / (1 + odds). 0 under NBD. -#}
{% macro dropout_odds(model) -%}
  {%- if model == 'mbg_nbd' -%}
    coalesce(a / (b + x) * exp((r + x) * ln((alpha + age) / (alpha + recency))), 0)
  {%- else -%}
    case when x > 0 then coalesce(a / (b + x - 1) * exp((r + x) * ln((alpha + age) / (alpha + recency))), 0) else 0 end
  {%- endif -%}
{%- endmacro %}

{#-
  Expected repeat purchases of a new customer within t time units of the first purchase (no history):
  the holdout tracking plot sums it over the customers by their first purchase.
-#}
{% macro unconditional_expected_purchases(relation, keys) -%}
  {%- set model = clv_model() -%}
  {%- set with_dropout = '(select * from ' ~ relation ~ ' where a is not null)' -%}
    with series as (
        {% if model == 'mbg_nbd' -%}
        {{ hypergeometric_sum(with_dropout, keys, 'r', 'b + 1', 'a + b', 't / (alpha + t)', 'r * ln(alpha / (alpha + t))') }}
        {%- else -%}
        {{ hypergeometric_sum(with_dropout, keys, 'r', 'b', 'a + b - 1', 't / (alpha + t)', 'r * ln(alpha / (alpha + t))') }}
        {%- endif %}
    )
    select
        {% for key in keys %}rows.{{ key }}, {% endfor %}
        case
            when a is null then r * t / alpha
            else {{ 'b' if model == 'mbg_nbd' else '(a + b - 1)' }} / (a - 1) * (1 - series.value)
        end as expected_purchases
    from {{ relation }} as rows
    left join series using ({{ keys | join(', ') }})
{%- endmacro %}

{#-
  The customers of one fit ('all data' or 'calibration') with their summary (frequency as x, recency, age, ...)
  and the parameters of their source's fit beside them: the input of the formulas above.
-#}
{% macro clv_fit_customers(fitted_on) -%}
    select
        {{ star_except(['frequency', 'fitted_on'], 'summaries') }},
        summaries.frequency as x,
        {{ star_except(['segmentation_name'], 'parameters') }}
    from {{ ref('clv_summaries') }} as summaries
    inner join ({{ clv_parameter_columns(fitted_on) }}) as parameters using (segmentation_name)
    where summaries.fitted_on = '{{ fitted_on }}'
{%- endmacro %}

{#- The fitted parameters of one fit per segmentation as columns: r, alpha, a, b, p, q, gamma. -#}
{% macro clv_parameter_columns(fitted_on) -%}
    select
        segmentation_name,
        max(time_unit_days) as time_unit_days,
        max(calibration_end_date) as calibration_end_date,
        max(observation_end_date) as observation_end_date,
        {% for parameter in ['r', 'alpha', 'a', 'b', 'p', 'q', 'gamma'] -%}
        max(value) filter (where parameter = '{{ parameter }}') as {{ parameter }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ ref('clv_parameters') }}
    where fitted_on = '{{ fitted_on }}'
    group by segmentation_name
{%- endmacro %}

{#- The sources of purchases: their value and cohorts sit beside their segmentation's personas. -#}
{% macro value_sources() -%}
  {{ return(['invoices', 'clickstream']) }}
{%- endmacro %}

{#- Every member of the segmentations of value_sources(): segmentation_name, customer_id, persona. -#}
{% macro value_source_members() -%}
    {% for name in value_sources() -%}
    {%- set entry = segmentation_entry(name) %}
    select
        '{{ name }}' as segmentation_name,
        cast({{ entry.entity_key }} as bigint) as customer_id,
        persona_id,
        persona_name
    from {{ ref(entry.members_model) }}
    {{ 'union all' if not loop.last }}
    {% endfor %}
{%- endmacro %}
