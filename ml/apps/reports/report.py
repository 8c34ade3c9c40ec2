"""The business insights report: one Markdown (and HTML) file with a section per segmentation.

Every figure comes from the published warehouse (the query callable runs SQL against it), so the report
and the tables cannot disagree; the sections follow the registry, so a new source gets its section without
code. No timestamps: the same data gives the same report, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import markdown
import pandas as pd

from ml.apps import warehouse
from ml.apps.presentation import comparison, figure, persona_colours
from ml.apps.reports import plots
from ml.apps.reports.value import ValueData, value_markdown, value_plots
from ml.engine.fitting import LOW_MARGIN
from ml.engine.registry import Registry, Segmentation

Query = Callable[[str], pd.DataFrame]
POINT_ROWS = 5_000
SAMPLE_ROWS = 20_000
TABLE_ROWS = 30

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


def literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _number(value) -> str:
    if isinstance(value, float):
        return figure(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class SectionData:
    """What one segmentation's section reads from the published tables: small aggregates and samples."""

    def __init__(self, segmentation: Segmentation, query: Query):
        name = literal(segmentation.name)
        self.segmentation = segmentation
        self.profiles = query(
            f"select * from persona_profiles where segmentation_name = {name} order by member_count desc, persona_name"
        )
        self.features = query(f"select * from persona_feature_profiles where segmentation_name = {name}")
        self.model = query(f"select * from segmentation_models where segmentation_name = {name} and is_active_model")
        self.k_table = query(
            f"select * from k_selection where segmentation_name = {name} and is_active_model order by k"
        )
        self.summary = query(
            f"select * from run_summary where input_name = {name} order by run_started_at desc, outcome desc limit 1"
        )
        # One deterministic sample (ordered by md5 of the key): its first rows are the scatter plots' points.
        key = segmentation.entity_key
        scatter = [c for c in (segmentation.report_scatter or ()) if c]
        profile = list(segmentation.config.profile)
        columns = ", ".join(dict.fromkeys(["persona_id", "persona_name", "pc1", "pc2", "pc3", *scatter, *profile]))
        order = f"order by md5(cast({key} as varchar)), {key}"
        rows = query(f"select {columns} from {segmentation.members_model} {order} limit {SAMPLE_ROWS}")
        self.points = rows.head(POINT_ROWS)
        self.sample = rows[profile]
        self.extra_tables = {
            table: query(f"select * from {table} limit {TABLE_ROWS}") for table in segmentation.report_tables
        }
        self.labels = dict(zip(self.features["feature_name"], self.features["feature_label"], strict=False))
        self.migrations, self.drift, self.recommendation = changes_since_last_run(name, query)
        self.trust = TrustData(name, query, segmentation.members_model)
        self.value = ValueData(name, query)


class TrustData:
    """The evidence behind a segmentation: sufficiency, verdict, per-persona stability and rules, other
    algorithms (empty frames for a warehouse published before these tables existed)."""

    def __init__(self, name: str, query: Query, members_model: str):
        tables = {
            # How sure each member's placement is: the margin to the next persona's centroid.
            "confidence": (
                f"select persona_id, median(margin_to_next_centroid) as median_margin, "
                f"avg(case when margin_to_next_centroid < {LOW_MARGIN} then 1.0 else 0.0 end) as near_border_share "
                f"from {members_model} group by persona_id"
            ),
            "sufficiency": f"select * from segmentation_sufficiency where segmentation_name = {name}",
            "verdict": f"select * from segmentation_trust where segmentation_name = {name}",
            "stability": f"select * from persona_stability where segmentation_name = {name} and is_active_model",
            "rules": f"select * from persona_rules where segmentation_name = {name} and is_active_model",
            "comparison": (
                f"select * from algorithm_comparison where segmentation_name = {name} and is_active_model "
                "order by algorithm_order"
            ),
            "naming": f"select * from segment_personas where segmentation_name = {name} and is_active_model",
        }
        frames = {}
        for key, sql in tables.items():
            try:
                frames[key] = query(sql)
            except warehouse.NotBuiltError:
                frames[key] = pd.DataFrame()
        self.sufficiency = frames["sufficiency"]
        self.verdict = frames["verdict"]
        self.stability = (
            frames["stability"].set_index("persona_id") if len(frames["stability"]) else frames["stability"]
        )
        self.rules = frames["rules"].set_index("persona_id") if len(frames["rules"]) else frames["rules"]
        self.comparison = frames["comparison"]
        self.naming = frames["naming"].set_index("persona_id") if len(frames["naming"]) else frames["naming"]
        confidence = frames["confidence"]
        self.confidence = confidence.set_index("persona_id") if len(confidence) else confidence

    def persona_lines(self, persona_id: str) -> list[str]:
        """Stability, rule and naming evidence of one persona, as report bullets."""
        lines = []
        if persona_id in self.stability.index:
            row = self.stability.loc[persona_id]
            flag = (
                " **Flagged: below 0.75, the borders of this persona move when the sample moves.**"
                if row["is_flagged_unstable"]
                else ""
            )
            lines.append(
                f"- **Stability:** bootstrap Jaccard {row['bootstrap_jaccard']:.2f} ({row['stability_band']}, "
                f"{int(row['n_bootstrap'])} resamples).{flag}"
            )
        if persona_id in self.confidence.index:
            row = self.confidence.loc[persona_id]
            lines.append(
                f"- **Confidence:** median margin to the next persona {row['median_margin']:.2f}; "
                f"{row['near_border_share']:.0%} of its members sit near a border (margin below {LOW_MARGIN}) "
                "and may move at the next build."
            )
        if persona_id in self.rules.index:
            row = self.rules.loc[persona_id]
            if isinstance(row["rule_text"], str):
                lines.append(
                    f"- **Rule:** {row['rule_text']} (selects {row['coverage']:.0%} of its members; "
                    f"{row['fidelity']:.0%} of the rows it selects are in this persona)."
                )
            else:
                lines.append("- **Rule:** no simple rule describes this persona (it is the majority of no leaf).")
        return lines

    def naming_note(self, persona_id: str) -> str | None:
        if persona_id in self.naming.index and isinstance(self.naming.loc[persona_id, "naming_note"], str):
            return str(self.naming.loc[persona_id, "naming_note"])
        return None


def trust_markdown(trust: TrustData) -> list[str]:
    """The verdict, the data guardrails and the other algorithms' view."""
    lines = ["### Can these segments be trusted?", ""]
    if len(trust.verdict):
        lines += [f"**{trust.verdict.iloc[0]['verdict']}**", ""]
    if len(trust.sufficiency):
        row = trust.sufficiency.iloc[0]
        span = row["span_days"]
        span_text = f"{span * 24:.1f} hours" if span < 2 else f"{span:,.0f} days"
        lines += [
            f"- Data: {int(row['fit_entities']):,} rows to fit over {span_text}; "
            f"{row['history_share']:.0%} with {row['history_rule']}.",
        ]
        if row["unsupported_features"]:
            lines.append(
                f"- Features the data cannot support (no persona name claims them): {row['unsupported_features']}."
            )
        if row["warnings"]:
            lines.append(f"- Warnings: {row['warnings']}.")
        if row["problems"]:
            lines.append(f"- **Problems (fitted only because allow_insufficient_data is set):** {row['problems']}.")
        lines.append("")
    if len(trust.comparison):
        shown = pd.DataFrame(
            {
                "algorithm": trust.comparison["algorithm"],
                "groups": trust.comparison["groups_found"],
                "noise share": trust.comparison["noise_share"].map("{:.0%}".format),
                "agreement with the model (ARI)": trust.comparison["ari_with_model"].map("{:.2f}".format),
            }
        )
        lines += [
            "Other algorithms on the same inputs as the model (first row): a Gaussian mixture (components by BIC; "
            "K-Means when the model is a mixture), Ward (cut at the same k) and HDBSCAN (dense groups, the rest "
            "noise). An ARI near 1 means they find the same groups.",
            "",
            markdown_table(shown),
            "",
        ]
    return lines


def changes_since_last_run(name: str, query: Query) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The latest pair of runs in persona_migrations, this run's flagged drift and the refit recommendation
    (empty frames for a warehouse published before these tables existed)."""
    try:
        migrations = query(
            f"select * from persona_migrations where segmentation_name = {name} and run_id = ("
            f"select run_id from persona_migrations where segmentation_name = {name} "
            "order by run_started_at desc limit 1)"
        )
        recommendation = query(f"select * from refit_recommendation where segmentation_name = {name}")
        drift = query(
            f"select metric, subject_label, fit_value, current_value, drift_value, threshold from segment_drift "
            f"where segmentation_name = {name} and is_flagged and run_id = "
            f"(select run_id from refit_recommendation where segmentation_name = {name}) order by metric, subject"
        )
    except warehouse.NotBuiltError:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    return migrations, drift, recommendation


def persona_size_changes(migrations: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Members per persona in the previous run and this one, largest growth first, and the share of
    entities that kept their persona."""
    before = migrations[migrations["from_persona_id"] != "(new)"].groupby("from_persona_name")["entity_count"].sum()
    after = migrations[migrations["to_persona_id"] != "(gone)"].groupby("to_persona_name")["entity_count"].sum()
    sizes = pd.DataFrame({"previous run": before, "this run": after}).fillna(0).astype(int)
    sizes["change"] = sizes["this run"] - sizes["previous run"]
    sizes = sizes.sort_values("change", ascending=False).reset_index(names="persona")
    stayed = migrations.loc[migrations["is_same_persona"], "entity_count"].sum() / migrations["entity_count"].sum()
    return sizes, float(stayed)


def changes_markdown(data: SectionData, folder: str) -> list[str]:
    lines = ["### Changes since the previous run", ""]
    if not data.recommendation.empty:
        row = data.recommendation.iloc[0]
        lines += [f"**{row['reason'][0].upper()}{row['reason'][1:]}.** Next: {row['next_step']}.", ""]
    if not data.drift.empty:
        lines += [markdown_table(data.drift.map(_number)), ""]
    if data.migrations.empty:
        return lines + ["First run: there is no earlier run to compare with yet.", ""]
    migrations = data.migrations
    sizes, stayed = persona_size_changes(migrations)
    first = migrations.iloc[0]
    lines += [
        f"Compared with the run of {first['previous_run_started_at']:%Y-%m-%d %H:%M} (model "
        f"`{first['previous_model_version']}`; this run's model `{first['model_version']}`): "
        f"{stayed:.0%} of {data.segmentation.entity_label} kept their persona.",
        "",
        markdown_table(sizes.map(_number)),
        "",
        f"![Migrations]({folder}/migrations.png)",
        "",
    ]
    return lines


def section_markdown(data: SectionData) -> list[str]:
    segmentation = data.segmentation
    profiles, model = data.profiles, data.model.iloc[0]
    entities = segmentation.entity_label
    scored = int(profiles["member_count"].sum())
    key_features = list(segmentation.key_features)
    medians = data.features.set_index(["persona_id", "feature_name"])
    lines = [
        f"## {segmentation.title}",
        "",
        f"- **{scored:,} {entities}** scored into **{len(profiles)} personas** with model "
        f"`{model['model_version']}` ({model['refit_reason']}); {model['k_rule']}.",
    ]
    if len(data.summary):
        run = data.summary.iloc[0]
        lines.append(
            f"- Input `{Path(str(run['file_path'])).name}`: {int(run['rows_read']):,} rows read, "
            f"{int(run['rows_quarantined']):,} quarantined"
            + (f" ({run['quarantine_reason_counts']})" if run["quarantine_reason_counts"] else "")
            + f", {int(run['rows_excluded_from_fit']):,} kept out of the fit."
        )
    if segmentation.report_notes:
        lines.append(f"- {segmentation.report_notes}")
    glance = {
        "Persona": profiles["persona_name"],
        "Id": profiles["persona_id"],
        entities.capitalize(): profiles["member_count"].map("{:,}".format),
        "Share": profiles["member_share"].map("{:.1%}".format),
    }
    for feature in key_features[:4]:
        label = data.labels.get(feature, feature)
        glance[f"Median {label}"] = [
            figure(medians.loc[(pid, feature), "member_median"]) if (pid, feature) in medians.index else "n/a"
            for pid in profiles["persona_id"]
        ]
    if len(data.trust.stability):
        glance["Stability"] = [
            _stability_cell(data.trust.stability.loc[pid]) if pid in data.trust.stability.index else "n/a"
            for pid in profiles["persona_id"]
        ]
    glance["Strategy"] = profiles["marketing_strategy"]
    lines += ["", *trust_markdown(data.trust)]
    lines += ["### Personas at a glance", "", markdown_table(pd.DataFrame(glance)), ""]
    for row in profiles.itertuples(index=False):
        typical = []
        for feature in key_features:
            if (row.persona_id, feature) not in medians.index:
                continue
            stats = medians.loc[(row.persona_id, feature)]
            typical.append(
                f"{stats['feature_label']} {figure(stats['member_median'])} "
                f"({comparison(stats['member_median'], stats['population_median'], stats['population_std'])})"
            )
        match = (
            f"matched to the catalogue with score {row.match_score:.2f}, showing every trait it requires"
            if pd.notna(row.match_score) and not row.is_fallback_name
            else "built from its own traits: "
            + (data.trust.naming_note(row.persona_id) or "no catalogue persona fitted")
        )
        lines += [
            f"### {row.persona_name}",
            "",
            f"{row.description}",
            "",
            f"- **Size:** {row.member_count:,} {entities} ({row.member_share:.1%}); persona id `{row.persona_id}`.",
            f"- **What sets them apart:** {row.top_traits}.",
            f"- **Typical member (medians):** {'; '.join(typical)}.",
            f"- **Marketing strategy:** {row.marketing_strategy}",
            *data.trust.persona_lines(row.persona_id),
            f"- Name: {match}.",
            "",
        ]
    k_table = pd.DataFrame(
        {
            "k": data.k_table["k"],
            "inertia": data.k_table["inertia"].map("{:,.0f}".format),
            "silhouette": data.k_table["silhouette"].map("{:.3f}".format),
            "Calinski-Harabasz": data.k_table["calinski_harabasz"].map("{:,.0f}".format),
            "Davies-Bouldin": data.k_table["davies_bouldin"].map("{:.3f}".format),
            "stability (ARI)": data.k_table["stability_ari"].map("{:.3f}".format),
            "least stable segment (Jaccard)": data.k_table["min_cluster_jaccard"].map("{:.2f}".format),
            "chosen": data.k_table["is_chosen"].map({True: "yes", False: ""}),
        }
    )
    folder = segmentation.name
    lines += [
        "### How the number of personas was chosen",
        "",
        "K-Means was fitted for every k in the configured range on the PCA projection of the model inputs. "
        "Among the k whose every segment is stable under bootstrap resampling (Jaccard at least 0.75), "
        "silhouette, Calinski-Harabasz "
        "and Davies-Bouldin each vote for their best k; the most votes win (docs/modelling.md).",
        "",
        markdown_table(k_table),
        "",
        f"![k selection]({folder}/k_selection.png)",
        "",
    ]
    for table, frame in data.extra_tables.items():
        shown = frame.map(_number) if len(frame) else frame
        lines += [f"### Table `{table}`", "", markdown_table(shown), ""]
    lines += value_markdown(data.value, folder, markdown_table)
    lines += changes_markdown(data, folder)
    lines += [
        "### Figures",
        "",
        f"![Persona heatmap]({folder}/persona_heatmap.png)",
        "",
        f"![PCA 2-D]({folder}/pca_2d.png) ![PCA 3-D]({folder}/pca_3d.png)",
        "",
    ]
    if segmentation.report_scatter:
        lines += [f"![{' vs '.join(segmentation.report_scatter)}]({folder}/scatter.png)", ""]
    lines += [f"![Feature correlations]({folder}/feature_correlations.png)", ""]
    return lines


def _stability_cell(row: pd.Series) -> str:
    flag = " (flagged)" if row["is_flagged_unstable"] else ""
    return f"{row['bootstrap_jaccard']:.2f} {row['stability_band']}{flag}"


def section_plots(data: SectionData, directory: Path) -> list[Path]:
    colours = persona_colours(data.profiles["persona_id"].tolist())
    written = [
        plots.k_selection_curves(data.k_table, directory / "k_selection.png"),
        plots.persona_heatmap(data.features, directory / "persona_heatmap.png"),
        plots.pca_scatter_2d(data.points, colours, directory / "pca_2d.png"),
        plots.pca_scatter_3d(data.points, colours, directory / "pca_3d.png"),
        plots.correlation_heatmap(data.sample, directory / "feature_correlations.png"),
    ]
    written += value_plots(data.value, directory)
    if not data.migrations.empty:
        written.append(plots.migration_heatmap(data.migrations, directory / "migrations.png"))
    if data.segmentation.report_scatter:
        x, y = data.segmentation.report_scatter
        written.append(plots.feature_scatter(data.points, x, y, data.labels, colours, directory / "scatter.png"))
    return written


def build_report(registry: Registry, query: Query, directory: Path) -> list[tuple[str, str]]:
    """Write reports/insights.md and .html and each section's plots; returns (path, kind) pairs."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        "# SmartCart Segments: insights",
        "",
        "Generated from the published warehouse on every build. Medians throughout; "
        '"about average" means within a quarter of a standard deviation of everyone\'s median.',
        "",
        *[f"- [{s.title}](#{s.title.lower().replace(' ', '-').replace('(', '').replace(')', '')})" for s in registry],
        "",
    ]
    files: list[tuple[str, str]] = []
    for segmentation in registry:
        data = SectionData(segmentation, query)
        if data.profiles.empty or data.model.empty:
            lines += [f"## {segmentation.title}", "", "Not built yet.", ""]
            continue
        lines += section_markdown(data)
        files += [(str(path), "plot") for path in section_plots(data, directory / segmentation.name)]
    text = "\n".join(lines)
    (directory / "insights.md").write_text(text, encoding="utf-8")
    html = HTML_TEMPLATE.format(title="SmartCart insights", body=markdown.markdown(text, extensions=["tables"]))
    (directory / "insights.html").write_text(html, encoding="utf-8")
    return files + [(str(directory / "insights.md"), "report"), (str(directory / "insights.html"), "report")]
