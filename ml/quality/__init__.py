"""Data quality: Great Expectations suites for every input and every published table.

The declarations live in one place, the dbt source YAML (`data_type`, `meta.required`, `meta.format`,
`meta.min_value`, `meta.allowed_values`, `meta.accepted_values_seed`): the dbt input gate and quarantine
model apply them in SQL during `dbt build`, and these suites apply them with Great Expectations for the
main job, the `smartcart validate` command and Data Docs.
"""

import warnings

# Great Expectations imports pyspark when it is installed (our `spark` extra), and pyspark warns on import
# that it does not yet fully support pandas 3. The suites here never run on Spark, so on the main job and
# `smartcart validate` that warning is noise; only this message is silenced, and only once ml.quality is
# imported (elsewhere it still shows).
PYSPARK_PANDAS_WARNING = "PySpark does not yet fully support pandas"
warnings.filterwarnings("ignore", message=PYSPARK_PANDAS_WARNING, category=FutureWarning)
