"""The segmentation engine: pure functions and estimators, no warehouse, no dbt, no user interface.

config and registry (what a segmentation is), preprocessing, selection (the k rule), model (the
scikit-learn estimator), profiles and personas (naming clusters), identity (stable persona ids across
refits), parameters (a fitted model as rows of data), artifacts (hash-checked joblib files) and fitting
(one call that turns fit samples into model rows). Everything else in ml/ may import from here; nothing
here imports from the rest of ml/.
"""
