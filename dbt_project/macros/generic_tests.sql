{% test unique_combination_of_columns(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_combination
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test shares_sum_to_one(model, columns, tolerance=0.000001) %}
-- Rows whose shares are all set but do not add up to 1 (rows with no activity have all shares 0).
select *
from {{ model }}
where abs(({{ columns | join(' + ') }}) - 1) > {{ tolerance }}
  and ({{ columns | join(' + ') }}) > 0
{% endtest %}

{% test between(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and (false
  {% if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
  {% if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %})
{% endtest %}

{% test columns_between(model, columns, min_value=none, max_value=none) %}
-- One scan for a family of columns with the same range (shares in [0, 1], ...): cheaper at scale than a
-- `between` test per column, and the failing rows still say which column is out of range.
select *
from (
    {% for column in columns %}
    select '{{ column }}' as column_name, {{ column }} as value
    from {{ model }}
    where {{ column }} is not null
      and (false
      {% if min_value is not none %} or {{ column }} < {{ min_value }}{% endif %}
      {% if max_value is not none %} or {{ column }} > {{ max_value }}{% endif %})
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)
{% endtest %}

{% test every_row_accounted_for(model) %}
-- Builds that completed: every row read is quarantined or accepted, every accepted row is fitted or
-- excluded from the fit, and every entity with features is scored.
select *
from {{ model }}
where outcome not like 'failed%'
  and (
    rows_read <> rows_quarantined + rows_accepted
    or rows_accepted <> rows_excluded_from_fit + rows_fitted
    or entities_scored <> entities_in_features
  )
{% endtest %}

{% test expression_is_true(model, expression) %}
-- Rows for which a boolean expression over the model's columns does not hold.
select * from {{ model }} where not ({{ expression }})
{% endtest %}
