"""SmartCart Segments: the generic segmentation engine behind the dbt Python models.

One engine, configured per data source (see :mod:`ml.sources`): preprocessing, PCA, a sweep over k with
evidence, the final K-Means with a Ward comparison, persona matching, and hash-checked artifacts.
"""

__version__ = "0.1.0"
