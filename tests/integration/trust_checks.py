"""Checks shared by the trust tests: does every persona name claim only what its centroid shows?"""

from __future__ import annotations

import pandas as pd

from tests.conftest import ROOT, Build

# Words in a persona name and the features that must be above average for the name to be honest.
CLAIMS = {
    "loyal": ("frequency", "session_count"),
    "high-value": ("monetary", "purchase_revenue", "spend_total"),
    "high-spender": ("monetary", "purchase_revenue", "spend_total"),
    "frequent": ("frequency", "session_count", "view_count"),
    "premium": ("income", "spend_total"),
}


def fit_profiles(build: Build) -> pd.DataFrame:
    """Active personas with the z-score of every profile feature of their fit (segmentation_fits)."""
    return build.query_build_database(
        "select personas.segmentation_name, personas.persona_name, personas.is_fallback_name, "
        "fits.feature_name, fits.value as z "
        "from segmentation_fits as fits inner join segment_personas as personas "
        "using (segmentation_name, model_version, cluster_id) "
        "where fits.section = 'fit_profile' and fits.item = 'z' and personas.is_active_model"
    )


def unsupported_features(build: Build) -> dict[str, set[str]]:
    table = build.query("select segmentation_name, unsupported_features from segmentation_sufficiency")
    return {
        row.segmentation_name: {f.strip() for f in row.unsupported_features.split(",") if f.strip()}
        for row in table.itertuples()
    }


def dishonest_names(build: Build) -> list[str]:
    """Every way a persona name claims more than its centroid shows (empty when every name is honest)."""
    profiles = fit_profiles(build)
    unsupported = unsupported_features(build)
    traits = pd.read_csv(ROOT / "dbt_project" / "seeds" / "persona_traits.csv")
    required = traits[traits["required_z"].notna()]
    problems = []
    for (segmentation, name, fallback), rows in profiles.groupby(
        ["segmentation_name", "persona_name", "is_fallback_name"]
    ):
        z = rows.set_index("feature_name")["z"]
        if not fallback:
            needs = required[(required["segmentation_name"] == segmentation) & (required["persona_name"] == name)]
            assert len(needs), f"{name} requires no trait"
            for trait in needs.itertuples():
                value = z.get(trait.feature_name)
                shown = {
                    "high": value is not None and value >= trait.required_z,
                    "low": value is not None and value <= -trait.required_z,
                    "moderate": value is not None and abs(value) <= trait.required_z,
                }[trait.direction]
                if not shown or trait.feature_name in unsupported.get(segmentation, set()):
                    problems.append(f"{segmentation}/{name}: {trait.feature_name} {trait.direction} z={value}")
        for word, features in CLAIMS.items():
            if word in name.lower():
                for feature in (f for f in features if f in z.index):
                    if z[feature] <= 0 or feature in unsupported.get(segmentation, set()):
                        problems.append(f"{segmentation}/{name} claims {word}: {feature} z={z[feature]:+.2f}")
    return problems
