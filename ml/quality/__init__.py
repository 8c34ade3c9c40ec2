"""Data quality: Great Expectations suites for every input and every published table.

The declarations live in one place, the dbt source YAML (`data_type`, `meta.required`, `meta.format`,
`meta.min_value`, `meta.allowed_values`, `meta.accepted_values_seed`): the dbt input gate and quarantine
model apply them in SQL during `dbt build`, and these suites apply them with Great Expectations for the
main job, the `smartcart validate` command and Data Docs.
"""
