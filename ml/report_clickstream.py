"""The clickstream section of the insights report: funnel, personas with recommendations, plots.

Reuses the plot functions of the customer report (k curves, PCA, persona heatmap) on the clickstream
segmentation's tables; the dbt model clickstream_insights_report writes it after publication.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import markdown
import pandas as pd

from ml import plots
from ml.report import HTML_TEMPLATE, _table

Query = Callable[[str, str], pd.DataFrame]
POINT_ROWS = 5_000


def build_clickstream_report(query: Query, directory: Path) -> list[tuple[str, str]]:
    directory.mkdir(parents=True, exist_ok=True)
    profiles = query(
        "clickstream_persona_profiles", "select * from t order by customer_count desc, persona_name"
    )
    centroids = query("clickstream_segment_centroids", "select * from t")
    personas = query("clickstream_cluster_personas", "select cluster_id, persona_name from t")
    k_table = query("k_selection", "select * from t where segmentation_name = 'clickstream'")
    labels_frame = query("feature_labels", "select * from t where segmentation_name = 'clickstream'")
    labels = dict(zip(labels_frame["feature_name"], labels_frame["feature_label"], strict=True))
    k_rule = query(
        "segmentation_runs",
        "select k_rule from t where segmentation_name = 'clickstream' order by fitted_at desc limit 1",
    )["k_rule"].iloc[0]
    points = query(
        "clickstream_customer_segments",
        "select user_id, pc1, pc2, pc3, cluster_id from t "
        f"order by hash(user_id), user_id limit {POINT_ROWS}",
    ).merge(personas, on="cluster_id")
    funnel = query(
        "clickstream_customer_features",
        "select count(*) as users, sum(session_count) as sessions, sum(view_count) as views, "
        "sum(cart_count) as carts, sum(remove_count) as removals, sum(purchase_count) as purchases, "
        "sum(purchase_revenue) as revenue, min(first_event_at) as first_event, "
        "max(last_event_at) as last_event from t",
    ).iloc[0]
    accounting = query(
        "clickstream_event_accounting",
        "select count(*) as files, sum(events_read) as events, sum(duplicate_events_removed) as duplicates, "
        "sum(events_quarantined) as quarantined from t",
    ).iloc[0]
    written = [
        plots.k_selection_curves(k_table, directory / "k_selection.png"),
        plots.pca_scatter_2d(points, directory / "pca_2d.png"),
        plots.pca_scatter_3d(points, directory / "pca_3d.png"),
        plots.persona_heatmap(
            centroids.merge(personas, on="cluster_id"), labels, directory / "persona_heatmap.png"
        ),
    ]
    text = clickstream_markdown(profiles, funnel, accounting, k_rule)
    (directory / "insights.md").write_text(text, encoding="utf-8")
    html = HTML_TEMPLATE.format(
        title="SmartCart clickstream insights", body=markdown.markdown(text, extensions=["tables"])
    )
    (directory / "insights.html").write_text(html, encoding="utf-8")
    return [(str(p), "plot") for p in written] + [
        (str(directory / "insights.md"), "report"),
        (str(directory / "insights.html"), "report"),
    ]


def _rate(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.1%}" if denominator else "n/a"


def clickstream_markdown(
    profiles: pd.DataFrame, funnel: pd.Series, accounting: pd.Series, k_rule: str
) -> str:
    users = int(funnel["users"])
    lines = [
        "# Clickstream insights",
        "",
        f"Events from {funnel['first_event']:%Y-%m-%d %H:%M} to {funnel['last_event']:%Y-%m-%d %H:%M} UTC "
        f"({int(accounting['files'])} file(s)): {int(accounting['events']):,} events read, "
        f"{int(accounting['duplicates']):,} exact duplicates removed, {int(accounting['quarantined']):,} "
        "quarantined.",
        "",
        "## Summary",
        "",
        f"- **{users:,} users** in **{int(funnel['sessions']):,} sessions** segmented into "
        f"**{len(profiles)} personas**; {k_rule}.",
        f"- Funnel: {int(funnel['views']):,} views -> {int(funnel['carts']):,} cart adds "
        f"({_rate(funnel['carts'], funnel['views'])}) -> {int(funnel['purchases']):,} purchases "
        f"(purchases / cart adds: {_rate(funnel['purchases'], funnel['carts'])}; "
        "purchases can skip the cart); "
        f"{int(funnel['removals']):,} removals; "
        f"purchase revenue {funnel['revenue']:,.2f}.",
        "",
        _table(
            pd.DataFrame(
                {
                    "Persona": profiles["persona_name"],
                    "Users": profiles["customer_count"].map("{:,}".format),
                    "Share": profiles["customer_share"].map("{:.1%}".format),
                    "Sessions (mean)": profiles["session_count_mean"].map("{:.1f}".format),
                    "Purchases (mean)": profiles["purchase_count_mean"].map("{:.2f}".format),
                    "Revenue (mean)": profiles["purchase_revenue_mean"].map("{:,.0f}".format),
                    "Days since visit (mean)": profiles["recency_days_mean"].map("{:.1f}".format),
                }
            )
        ),
        "",
        "## Personas and recommendations",
        "",
    ]
    for row in profiles.itertuples(index=False):
        lines += [
            f"### {row.persona_name}",
            "",
            f"- **Size:** {row.customer_count:,} users ({row.customer_share:.1%}).",
            f"- **Who:** {row.description}",
            f"- **Stands out by:** {row.top_traits}.",
            f"- **Funnel:** view-to-cart {row.view_to_cart_rate_mean:.1%}, cart-to-purchase "
            f"{row.cart_to_purchase_rate_mean:.1%}, cart abandonment {row.cart_abandonment_rate_mean:.1%}.",
            f"- **Recommendation:** {row.marketing_strategy}",
            "",
        ]
    lines += [
        "## Plots",
        "",
        "![k selection](k_selection.png)",
        "",
        "![persona heatmap](persona_heatmap.png)",
        "",
        "![PCA 2-D](pca_2d.png) ![PCA 3-D](pca_3d.png)",
        "",
    ]
    return "\n".join(lines)
