"""The business insights report: Markdown and HTML generated from the persona tables on every build.

Nothing here is hand-written per run: every figure comes from the published tables, so the report and the
warehouse cannot disagree. No timestamps either: the same data gives the same report, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import markdown
import pandas as pd

from ml import plots

HTML_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
th {{ background: #f3f3f3; }}
img {{ max-width: 100%; }}
</style></head><body>
{body}
</body></html>
"""


# Customers drawn in scatter plots and histograms: a deterministic sample (ordered by a hash of the id),
# so plots stay fast and identical from build to build at any size. Counts always cover every row.
SAMPLE_ROWS = 20_000
POINT_ROWS = 5_000

Query = Callable[[str, str], pd.DataFrame]
"""query(model_name, sql) runs ``sql`` against the published model, which the SQL calls ``t``."""


@dataclass
class CustomerReportInputs:
    """What the customer report needs from the published tables: aggregates, small tables, samples."""

    row_count: int
    raw_sample: pd.DataFrame
    missing_counts: pd.Series
    outliers: pd.DataFrame
    row_counts_by_flag: pd.Series
    quarantine_reasons: pd.Series
    exclusion_reasons: pd.Series
    customers_scored: int
    customers_excluded: int
    customers_imputed: int
    quarantined: int
    as_of_date: object
    features_sample: pd.DataFrame
    points: pd.DataFrame
    persona_profiles: pd.DataFrame
    centroids: pd.DataFrame
    cluster_personas: pd.DataFrame
    k_selection: pd.DataFrame
    feature_labels: pd.DataFrame
    k_rule: str


def _reason_counts(query: Query, model: str, column: str) -> pd.Series:
    frame = query(
        model,
        f"select reason, count(*) as n from (select unnest(string_split({column}, ',')) as reason from t) "
        "where reason <> '' group by reason order by reason",
    )
    return pd.Series(frame["n"].to_numpy(), index=frame["reason"].to_list(), dtype="int64")


def load_customer_report_inputs(query: Query, columns_of: Callable[[str], list[str]]) -> CustomerReportInputs:
    """Aggregate and sample the published customer tables (SQL in DuckDB, only small frames come back)."""
    raw_columns = columns_of("stg_smartcart__customers")
    missing = query(
        "stg_smartcart__customers",
        "select " + ", ".join(f'count(*) - count("{c}") as "{c}"' for c in raw_columns) + " from t",
    ).iloc[0]
    flags = query(
        "customers",
        """
        select count(*) as customers_scored,
               count(*) filter (where is_excluded_from_fit) as excluded,
               count(*) filter (where is_income_imputed) as imputed,
               count(*) filter (where is_implausible_birth_year) as implausible_birth_year,
               count(*) filter (where is_extreme_income) as extreme_income,
               count(*) filter (where is_duplicate_profile) as duplicate_profile,
               min(as_of_date) as as_of_date
        from t
        """,
    ).iloc[0]
    quarantine_reasons = _reason_counts(query, "customer_quarantine", "quarantine_reasons")
    by_flag = pd.Series(
        {
            "implausible birth year": int(flags["implausible_birth_year"]),
            "extreme income": int(flags["extreme_income"]),
            "duplicate profile": int(flags["duplicate_profile"]),
            "income imputed": int(flags["imputed"]),
            **{f"quarantined: {reason}": int(n) for reason, n in quarantine_reasons.items()},
        }
    )
    sample_order = "order by hash(customer_id), customer_id"
    # customer_personas and customer_segments hold the same customers, so the same hash order samples the
    # same ones from both.
    personas_sample = query(
        "customer_personas",
        f"select customer_id, persona_name, income, spend_total, is_extreme_income from t "
        f"{sample_order} limit {POINT_ROWS}",
    )
    segments_sample = query(
        "customer_segments", f"select customer_id, pc1, pc2, pc3 from t {sample_order} limit {POINT_ROWS}"
    )
    points = personas_sample.merge(segments_sample, on="customer_id", how="inner")
    return CustomerReportInputs(
        row_count=int(query("stg_smartcart__customers", "select count(*) as n from t")["n"].iloc[0]),
        raw_sample=query("stg_smartcart__customers", f"select * from t {sample_order} limit {SAMPLE_ROWS}"),
        missing_counts=pd.Series({c: int(missing[c]) for c in raw_columns}),
        outliers=query(
            "customers",
            "select income, birth_year, is_extreme_income, is_implausible_birth_year from t "
            "where is_extreme_income or is_implausible_birth_year",
        ),
        row_counts_by_flag=by_flag,
        quarantine_reasons=quarantine_reasons,
        exclusion_reasons=_reason_counts(query, "customers", "fit_exclusion_reasons"),
        customers_scored=int(flags["customers_scored"]),
        customers_excluded=int(flags["excluded"]),
        customers_imputed=int(flags["imputed"]),
        quarantined=int(query("customer_quarantine", "select count(*) as n from t")["n"].iloc[0]),
        as_of_date=flags["as_of_date"],
        features_sample=query("customer_features", f"select * from t {sample_order} limit {SAMPLE_ROWS}"),
        points=points,
        persona_profiles=query("persona_profiles", "select * from t"),
        centroids=query("customer_segment_centroids", "select * from t"),
        cluster_personas=query("customer_cluster_personas", "select * from t"),
        k_selection=query("k_selection", "select * from t where segmentation_name = 'customers'"),
        feature_labels=query("feature_labels", "select * from t where segmentation_name = 'customers'"),
        k_rule=str(
            query(
                "segmentation_runs",
                "select k_rule from t where segmentation_name = 'customers' order by fitted_at desc limit 1",
            )["k_rule"].iloc[0]
        ),
    )


def _table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _signed(value: float) -> str:
    return f"{value:+.2f}" if pd.notna(value) else "n/a"


def build_customer_report(inputs: CustomerReportInputs, directory: Path) -> list[tuple[str, str]]:
    """Write the plots and the report for the customer segmentation. Returns (path, kind) pairs."""
    directory.mkdir(parents=True, exist_ok=True)
    labels = dict(
        zip(inputs.feature_labels["feature_name"], inputs.feature_labels["feature_label"], strict=True)
    )
    named_centroids = inputs.centroids.merge(
        inputs.cluster_personas[["cluster_id", "persona_name"]], on="cluster_id", how="inner"
    )
    written = [
        plots.raw_input_profile(
            inputs.raw_sample,
            inputs.row_count,
            inputs.missing_counts,
            inputs.outliers,
            inputs.row_counts_by_flag,
            directory / "raw_input_profile.png",
        ),
        plots.correlation_heatmap(inputs.features_sample, directory / "feature_correlations.png"),
        plots.k_selection_curves(inputs.k_selection, directory / "k_selection.png"),
        plots.pca_scatter_2d(inputs.points, directory / "pca_2d.png"),
        plots.pca_scatter_3d(inputs.points, directory / "pca_3d.png"),
        plots.persona_heatmap(named_centroids, labels, directory / "persona_heatmap.png"),
        plots.income_vs_spend(inputs.points, directory / "income_vs_spend.png"),
    ]
    text = customer_report_markdown(inputs)
    (directory / "insights.md").write_text(text, encoding="utf-8")
    body = markdown.markdown(text, extensions=["tables"])
    html = HTML_TEMPLATE.format(title="SmartCart customer insights", body=body)
    (directory / "insights.html").write_text(html, encoding="utf-8")
    files = [(str(path), "plot") for path in written]
    files += [(str(directory / "insights.md"), "report"), (str(directory / "insights.html"), "report")]
    return files


def customer_report_markdown(inputs: CustomerReportInputs) -> str:
    profiles = inputs.persona_profiles.sort_values(
        ["customer_count", "persona_name"], ascending=[False, True]
    )
    chosen = inputs.k_selection[inputs.k_selection["is_chosen"]]
    k = int(chosen["k"].iloc[0]) if len(chosen) else len(profiles)
    scored = int(profiles["customer_count"].sum())
    as_of = pd.Timestamp(inputs.as_of_date).date().isoformat() if pd.notna(inputs.as_of_date) else "n/a"
    version = profiles["model_version"].iloc[0] if len(profiles) else "n/a"
    lines = [
        "# SmartCart customer insights",
        "",
        f"Generated from the published persona tables (model `{version}`, data as of {as_of}).",
        "",
        "## Summary",
        "",
        f"- **{scored:,} customers** scored into **{len(profiles)} personas** (k = {k}).",
        f"- Largest persona: **{profiles.iloc[0]['persona_name']}** "
        f"({profiles.iloc[0]['customer_share']:.0%} of customers)."
        if len(profiles)
        else "- No personas.",
        f"- {inputs.row_count:,} rows read, {inputs.quarantined:,} quarantined, "
        f"{inputs.customers_excluded:,} scored but left out of fitting.",
        "",
        "## Personas at a glance",
        "",
    ]
    glance = pd.DataFrame(
        {
            "Persona": profiles["persona_name"],
            "Customers": profiles["customer_count"].map("{:,}".format),
            "Share": profiles["customer_share"].map("{:.1%}".format),
            "Median income": profiles["income_median"].map("{:,.0f}".format),
            "Median spend": profiles["spend_total_median"].map("{:,.0f}".format),
            "Income z": profiles["income_z_score"].map(_signed),
            "Spend z": profiles["spend_total_z_score"].map(_signed),
            "Strategy": profiles["marketing_strategy"],
        }
    )
    lines += [_table(glance), ""]
    for row in profiles.itertuples(index=False):
        lines += [
            f"### {row.persona_name}",
            "",
            f"{row.description}",
            "",
            f"- **Size:** {row.customer_count:,} customers ({row.customer_share:.1%}).",
            f"- **What sets them apart:** {row.top_traits}.",
            f"- **Typical customer:** income {row.income_median:,.0f}, age {row.age_years_median:.0f}, "
            f"spends {row.spend_total_median:,.0f} over {row.purchases_total_median:.0f} purchases, last "
            f"bought {row.recency_days_median:.0f} days ago, "
            f"children at home: {row.children_count_median:.0f}, "
            f"{row.deal_purchases_share_median:.0%} of purchases on deals.",
            f"- **Marketing strategy:** {row.marketing_strategy}",
            f"- Matched to the catalogue with score {row.match_score:.2f}"
            + (" (no catalogue persona fitted: name built from traits)." if row.is_fallback_name else ".")
            if pd.notna(row.match_score)
            else "- Name built from the segment's traits (no catalogue persona fitted).",
            "",
        ]
    ks = inputs.k_selection.sort_values("k")
    k_table = pd.DataFrame(
        {
            "k": ks["k"],
            "inertia": ks["inertia"].map("{:,.0f}".format),
            "silhouette": ks["silhouette"].map("{:.3f}".format),
            "Calinski-Harabasz": ks["calinski_harabasz"].map("{:,.0f}".format),
            "Davies-Bouldin": ks["davies_bouldin"].map("{:.3f}".format),
            "stability (ARI)": ks["stability_ari"].map("{:.3f}".format),
            "chosen": ks["is_chosen"].map({True: "yes", False: ""}),
        }
    )
    quarantine_counts = inputs.quarantine_reasons.to_dict()
    exclusion_counts = inputs.exclusion_reasons.to_dict()
    lines += [
        "## How the number of personas was chosen",
        "",
        "K-Means was fitted for every k in the configured range on the PCA projection of the features. Among "
        "the k whose segments are stable under bootstrap resampling, silhouette, Calinski-Harabasz and "
        "Davies-Bouldin each vote for their best k; the most votes win (docs/modelling.md). This build: "
        f"{inputs.k_rule}.",
        "",
        _table(k_table),
        "",
        "![Elbow and silhouette](k_selection.png)",
        "",
        "## Data quality",
        "",
        f"- Rows read: {inputs.row_count:,}",
        f"- Quarantined (not scored): {inputs.quarantined:,}"
        + ("".join(f"\n  - {reason}: {count:,}" for reason, count in sorted(quarantine_counts.items()))),
        f"- Scored but left out of fitting: {inputs.customers_excluded:,}"
        + "".join(f"\n  - {reason}: {count:,}" for reason, count in sorted(exclusion_counts.items())),
        f"- Income imputed with the median: {inputs.customers_imputed:,}",
        "",
        "![Raw input profile](raw_input_profile.png)",
        "",
        "## Figures",
        "",
        "![Persona heatmap](persona_heatmap.png)",
        "",
        "![PCA 2-D](pca_2d.png)",
        "",
        "![PCA 3-D](pca_3d.png)",
        "",
        "![Income vs spend](income_vs_spend.png)",
        "",
        "![Feature correlations](feature_correlations.png)",
        "",
    ]
    return "\n".join(lines)
