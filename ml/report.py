"""The business insights report: Markdown and HTML generated from the persona tables on every build.

Nothing here is hand-written per run: every figure comes from the published tables, so the report and the
warehouse cannot disagree. No timestamps either: the same data gives the same report, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import markdown
import pandas as pd

from ml import plots

HTML_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
th {{ background: #f3f3f3; }}
img {{ max-width: 100%; }}
</style></head><body>
{body}
</body></html>
"""


@dataclass
class CustomerReportInputs:
    """The published tables the customer report is built from (one segmentation, one build)."""

    raw: pd.DataFrame
    customers: pd.DataFrame
    quarantine: pd.DataFrame
    features: pd.DataFrame
    customer_personas: pd.DataFrame
    segments: pd.DataFrame
    persona_profiles: pd.DataFrame
    centroids: pd.DataFrame
    cluster_personas: pd.DataFrame
    k_selection: pd.DataFrame
    feature_labels: pd.DataFrame


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
    labels = dict(zip(inputs.feature_labels["feature_name"], inputs.feature_labels["feature_label"]))
    points = inputs.segments.merge(
        inputs.customer_personas[["customer_id", "persona_name"]], on="customer_id", how="inner"
    )
    named_centroids = inputs.centroids.merge(
        inputs.cluster_personas[["cluster_id", "persona_name"]], on="cluster_id", how="inner"
    )
    written = [
        plots.raw_input_profile(
            inputs.raw,
            inputs.customers,
            inputs.quarantine["quarantine_reasons"].str.split(",").explode().dropna(),
            directory / "raw_input_profile.png",
        ),
        plots.correlation_heatmap(inputs.features, directory / "feature_correlations.png"),
        plots.k_selection_curves(inputs.k_selection, directory / "k_selection.png"),
        plots.pca_scatter_2d(points, directory / "pca_2d.png"),
        plots.pca_scatter_3d(points, directory / "pca_3d.png"),
        plots.persona_heatmap(named_centroids, labels, directory / "persona_heatmap.png"),
        plots.income_vs_spend(inputs.customer_personas, directory / "income_vs_spend.png"),
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
    profiles = inputs.persona_profiles.sort_values(["customer_count", "persona_name"], ascending=[False, True])
    chosen = inputs.k_selection[inputs.k_selection["is_chosen"]]
    k = int(chosen["k"].iloc[0]) if len(chosen) else len(profiles)
    scored = int(profiles["customer_count"].sum())
    as_of = inputs.customers["as_of_date"].iloc[0] if len(inputs.customers) else "n/a"
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
        f"({profiles.iloc[0]['customer_share']:.0%} of customers)." if len(profiles) else "- No personas.",
        f"- {len(inputs.raw):,} rows read, {len(inputs.quarantine):,} quarantined, "
        f"{int(inputs.customers['is_excluded_from_fit'].sum()):,} scored but left out of fitting.",
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
            f"bought {row.recency_days_median:.0f} days ago, {row.children_count_median:.0f} children at "
            f"home, {row.deal_purchases_share_median:.0%} of purchases on deals.",
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
    quarantine_counts = (
        inputs.quarantine["quarantine_reasons"].str.split(",").explode().value_counts().to_dict()
        if len(inputs.quarantine)
        else {}
    )
    exclusion_counts = (
        inputs.customers["fit_exclusion_reasons"].replace("", pd.NA).dropna().str.split(",").explode().value_counts()
    )
    lines += [
        "## How the number of personas was chosen",
        "",
        "K-Means was fitted for every k in the configured range on the PCA projection of the features. The "
        "rule keeps the k whose segments are stable under bootstrap resampling and picks the one with the "
        "best silhouette (see docs/modelling.md).",
        "",
        _table(k_table),
        "",
        "![Elbow and silhouette](k_selection.png)",
        "",
        "## Data quality",
        "",
        f"- Rows read: {len(inputs.raw):,}",
        f"- Quarantined (not scored): {len(inputs.quarantine):,}"
        + ("".join(f"\n  - {reason}: {count:,}" for reason, count in sorted(quarantine_counts.items()))),
        f"- Scored but left out of fitting: {int(inputs.customers['is_excluded_from_fit'].sum()):,}"
        + "".join(f"\n  - {reason}: {count:,}" for reason, count in sorted(exclusion_counts.items())),
        f"- Income imputed with the median: {int(inputs.customers['is_income_imputed'].sum()):,}",
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
