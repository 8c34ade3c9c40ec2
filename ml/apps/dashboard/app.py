"""SmartCart Segments dashboard: `smartcart dashboard` (or `streamlit run ml/apps/dashboard/app.py`).

Reads the published warehouse only (SMARTCART_DUCKDB_PATH or data/warehouse/smartcart.duckdb). Pages:
Overview, Value (predicted CLV, churn risk, cohorts), Changes (since the previous run), Model evaluation,
Upload, Score a customer. Every
segmentation of the registry appears without code of its own. Medians everywhere, in plain words; one
colour per persona in every plot.
"""

from __future__ import annotations

import os

import pandas as pd
import plotly.express as px
import streamlit as st

from ml import project
from ml.apps import warehouse
from ml.apps.dashboard import data
from ml.apps.dashboard.modelling import (
    MAX_UPLOAD_BYTES,
    UploadError,
    fit_and_name,
    process_upload,
    upload_kinds,
)
from ml.apps.presentation import comparison, figure, persona_colours, slug
from ml.apps.reports.report import changes_since_last_run, literal, persona_size_changes
from ml.apps.reports.value import ValueData, persona_value_table

PAGES = ["Overview", "Value", "Changes", "Model evaluation", "Upload", "Score a customer"]
DATABASE = os.environ.get("SMARTCART_DUCKDB_PATH") or None
ARTIFACTS = os.environ.get("SMARTCART_ARTIFACTS_DIR") or None
NOT_BUILT = "Nothing has been built yet: run `make run` (or `smartcart run`) and reload this page."


def warehouse_stamp() -> float:
    """Changes when a build publishes a new file, so cached results follow the warehouse."""
    path = warehouse.database_path(DATABASE)
    return path.stat().st_mtime if path.exists() else 0.0


@st.cache_data(ttl=30, show_spinner=False)
def cached_features(name: str, stamp: float) -> pd.DataFrame:
    return data.feature_sample(name, DATABASE)


@st.cache_data(show_spinner="Re-clustering...")
def cached_recluster(name: str, k: int, stamp: float) -> pd.DataFrame:
    table, _ = fit_and_name(name, cached_features(name, stamp), k)
    return table


def choose_segmentation(key: str) -> str | None:
    names = data.available(DATABASE)
    if not names:
        st.info(NOT_BUILT)
        return None
    titles = {s.name: s.title for s in project.registry()}
    return st.selectbox("Segmentation", names, format_func=lambda n: titles[n], key=key)


# -- Overview --------------------------------------------------------------------------------------------
def persona_card(row: pd.Series, features: pd.DataFrame, segmentation, evidence: pd.DataFrame) -> None:
    with st.container(border=True):
        st.markdown(f"#### {row['persona_name']}")
        known = row["persona_id"] in evidence.index
        if known and bool(evidence.loc[row["persona_id"], "is_flagged_unstable"]):
            st.warning(
                f"Unstable: bootstrap Jaccard {evidence.loc[row['persona_id'], 'bootstrap_jaccard']:.2f}, below "
                "0.75. Its borders move when the sample moves; do not target on them alone."
            )
        st.markdown(f"**{int(row['member_count']):,} {segmentation.entity_label}** · {row['member_share']:.0%} of all")
        lines = []
        own = features[features["persona_id"] == row["persona_id"]].set_index("feature_name")
        for feature in segmentation.key_features[:5]:
            if feature in own.index:
                stats = own.loc[feature]
                words = comparison(stats["member_median"], stats["population_median"], stats["population_std"])
                lines.append(f"- {stats['feature_label']} {figure(stats['member_median'])}, {words}")
        st.markdown("\n".join(lines) or "- no profile figures")
        st.caption(row["description"])
        st.markdown(f"**Strategy:** {row['marketing_strategy']}")
        score = "name built from its traits" if row["is_fallback_name"] else f"catalogue match {row['match_score']:.2f}"
        stability = (
            f" · stability {evidence.loc[row['persona_id'], 'bootstrap_jaccard']:.2f} "
            f"({evidence.loc[row['persona_id'], 'stability_band']})"
            if known and pd.notna(evidence.loc[row["persona_id"], "bootstrap_jaccard"])
            else ""
        )
        st.caption(f"Persona id `{row['persona_id']}` · {score}{stability}")
        if known and isinstance(evidence.loc[row["persona_id"], "rule_text"], str):
            rule = evidence.loc[row["persona_id"]]
            st.caption(
                f"Rule: {rule['rule_text']} (selects {rule['coverage']:.0%} of them; "
                f"{rule['fidelity']:.0%} of those it selects are in this persona)"
            )
        if known and row["is_fallback_name"] and isinstance(evidence.loc[row["persona_id"], "naming_note"], str):
            st.caption(f"Why this name: {evidence.loc[row['persona_id'], 'naming_note']}")
        members = data.persona_members(segmentation.name, row["persona_id"], DATABASE)
        st.download_button(
            f"Download {len(members):,} {segmentation.entity_label} (CSV)",
            members.to_csv(index=False).encode(),
            file_name=f"{segmentation.name}_{slug(row['persona_name'])}.csv",
            mime="text/csv",
            key=f"download_{segmentation.name}_{row['persona_id']}",
        )


def page_overview() -> None:
    st.header("Personas")
    names = data.available(DATABASE)
    if not names:
        st.info(NOT_BUILT)
        return
    info = data.build_info(DATABASE)
    if len(info):
        st.caption(f"Built {info['run_started_at'].max():%Y-%m-%d %H:%M} UTC from:")
        st.dataframe(info, hide_index=True, width="stretch")
    st.caption('Figures are medians; "about average" means within a quarter of a standard deviation of everyone.')
    for name in names:
        segmentation = project.registry().get(name)
        st.subheader(segmentation.title)
        show_verdict(data.trust(name, DATABASE))
        profiles = data.profiles(name, DATABASE)
        features = data.feature_profiles(name, DATABASE)
        evidence = data.persona_evidence(name, DATABASE)
        columns = st.columns(min(len(profiles), 3))
        for i, (_, row) in enumerate(profiles.iterrows()):
            with columns[i % len(columns)]:
                persona_card(row, features, segmentation, evidence)


def show_verdict(trust: pd.DataFrame) -> None:
    """How far the segments can be trusted, coloured by strength, with the data's limits."""
    if trust.empty:
        return
    row = trust.iloc[0]
    show = {"strong": st.success, "moderate": st.info}.get(row["structure_strength"], st.warning)
    show(row["verdict"])


# -- Value ----------------------------------------------------------------------------------------------
def page_value() -> None:
    st.header("Customer value and retention")
    sources = data.value_sources(DATABASE)
    if not sources:
        st.info(NOT_BUILT)
        return
    titles = {name: data.registry().get(name).title for name in sources}
    name = st.selectbox("Source", list(sources), format_func=lambda key: titles[key], key="value_segmentation")
    if name is None:
        return
    value = ValueData(literal(name), lambda sql: data.read(sql, DATABASE))
    check = value.sufficiency.iloc[0]
    message = f"{check['message'][0].upper()}{check['message'][1:]}."
    if not value.has_value:
        st.warning(message)
    else:
        st.success(message)
        if not value.churn_is_known:
            st.warning(
                f"Churn risk is unknown: in {check['observed_days']} days of data nobody has been away long enough "
                "to tell who is leaving, so every customer counts as active. Longer data (a year or more) tells."
            )
        st.subheader("Value by persona")
        st.dataframe(persona_value_table(value.profiles), hide_index=True)
        bands = value.churn_bands.set_index("churn_risk_band")["customers"]
        columns = st.columns(len(bands))
        for column, (band, customers) in zip(columns, bands.items(), strict=True):
            column.metric(f"Churn risk {band}", f"{customers:,}")
        st.subheader("Holdout check: model against actual repeat purchases")
        total = value.validation[value.validation["calibration_repeat_purchases"] == "all customers"].iloc[0]
        st.caption(
            f"Fitted on purchases before {total['calibration_end_date']:%Y-%m-%d}; over the next "
            f"{total['holdout_days']} days it expected {total['predicted_repeat_purchases']:,.0f} repeat purchases, "
            f"customers made {total['actual_repeat_purchases']:,} ({total['relative_error']:+.1%})."
        )
        tracking = value.tracking.rename(
            columns={"actual_cumulative_repeat_purchases": "actual", "predicted_cumulative_repeat_purchases": "model"}
        )
        st.plotly_chart(
            px.line(
                tracking, x="week", y=["actual", "model"], markers=True, labels={"value": "cumulative repeat purchases"}
            ),
            width="stretch",
        )
    st.subheader("Cohort retention")
    if value.retention.empty:
        st.info("No cohorts yet.")
        return
    shares = value.retention.pivot_table(index="cohort_month", columns="months_since_first", values="active_share")
    shares.index = [f"{month:%Y-%m}" for month in pd.to_datetime(shares.index)]
    st.plotly_chart(
        px.imshow(
            shares,
            text_auto=".0%",
            color_continuous_scale="Greens",
            zmin=0,
            zmax=1,
            labels={"x": "months since the first month", "y": "cohort", "color": "share active"},
        ),
        width="stretch",
    )


# -- Changes ----------------------------------------------------------------------------------------------
def page_changes() -> None:
    st.header("Changes since the previous run")
    names = data.available(DATABASE)
    if not names:
        st.info(NOT_BUILT)
        return
    name = choose_segmentation("changes_segmentation")
    if name is None:
        return
    segmentation = project.registry().get(name)
    migrations, drift, recommendation = changes_since_last_run(literal(name), lambda sql: data.read(sql, DATABASE))
    if len(recommendation):
        row = recommendation.iloc[0]
        message = f"{row['reason'][0].upper()}{row['reason'][1:]}. Next: {row['next_step']}."
        (st.warning if row["is_refit_recommended"] else st.success)(message)
    if len(drift):
        st.caption("Drift figures that reached their threshold (segment_drift)")
        st.dataframe(drift, hide_index=True)
    if migrations.empty:
        st.info("First run: there is no earlier run to compare with yet. Build again with new data to see who moved.")
        return
    sizes, stayed = persona_size_changes(migrations)
    st.metric(f"{segmentation.entity_label.capitalize()} who kept their persona", f"{stayed:.0%}")
    st.subheader("Which personas grew and which shrank")
    st.dataframe(sizes, hide_index=True)
    st.subheader("Where people went")
    counts = migrations.pivot_table(
        index="from_persona_name", columns="to_persona_name", values="entity_count", aggfunc="sum", fill_value=0
    )
    shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
    heatmap = px.imshow(
        shares,
        text_auto=".0%",
        color_continuous_scale="Blues",
        zmin=0,
        zmax=1,
        labels={"x": "persona in this run", "y": "persona in the previous run", "color": "share"},
    )
    st.plotly_chart(heatmap, width="stretch")
    st.dataframe(
        migrations[["from_persona_name", "to_persona_name", "entity_count", "share_of_from_persona"]],
        hide_index=True,
    )


# -- Model evaluation ------------------------------------------------------------------------------------
def page_evaluation() -> None:
    st.header("Model evaluation")
    name = choose_segmentation("evaluation_segmentation")
    if name is None:
        return
    segmentation = project.registry().get(name)
    k_table = data.k_selection(name, DATABASE)
    chosen = int(k_table.loc[k_table["is_chosen"], "k"].iloc[0])
    left, right = st.columns(2)
    elbow = px.line(k_table, x="k", y="inertia", markers=True, title="Elbow: inertia by k")
    elbow.add_vline(x=chosen, line_dash="dash", annotation_text=f"chosen k={chosen}")
    left.plotly_chart(elbow, width="stretch")
    silhouette = px.line(
        k_table,
        x="k",
        y=[c for c in ("silhouette", "stability_ari", "min_cluster_jaccard") if c in k_table.columns],
        markers=True,
        title="Silhouette and stability by k (least stable segment's Jaccard)",
    )
    silhouette.add_vline(x=chosen, line_dash="dash")
    right.plotly_chart(silhouette, width="stretch")

    st.subheader("Try another number of segments")
    k = st.slider("Number of segments (k)", min_value=2, max_value=10, value=chosen, key="k_slider")
    table = cached_recluster(name, k, warehouse_stamp())
    st.caption(f"k = {k}: {len(table)} segments re-clustered live on a sample of the published features.")
    st.bar_chart(table.set_index("persona_name")["members"], horizontal=True)
    st.dataframe(table, hide_index=True, width="stretch")

    points = data.member_points(name, DATABASE)
    profiles = data.profiles(name, DATABASE)
    colours = persona_colours(profiles["persona_id"].tolist())
    colour_map = {row.persona_name: colours[row.persona_id] for row in profiles.itertuples()}
    st.subheader("Can these segments be trusted?")
    show_verdict(data.trust(name, DATABASE))
    comparison_table = data.algorithm_comparison(name, DATABASE)
    if len(comparison_table):
        st.caption(
            "Other algorithms on the same inputs: the closer their agreement (ARI) with the model is to 1, the "
            "more the segments are a feature of the data rather than of the algorithm."
        )
        st.dataframe(comparison_table, hide_index=True, width="stretch")
    evidence = data.persona_evidence(name, DATABASE)
    if len(evidence):
        st.caption("Per persona: bootstrap stability (flagged below 0.75) and the rule of a depth-3 decision tree.")
        st.dataframe(
            evidence.reset_index()[
                [
                    "persona_name",
                    "bootstrap_jaccard",
                    "stability_band",
                    "is_flagged_unstable",
                    "rule_text",
                    "coverage",
                    "fidelity",
                ]
            ],
            hide_index=True,
            width="stretch",
        )

    st.subheader("PCA projection by persona")
    left, right = st.columns(2)
    left.plotly_chart(
        px.scatter(
            points,
            x="pc1",
            y="pc2",
            color="persona_name",
            color_discrete_map=colour_map,
            opacity=0.6,
            title="PCA 2-D",
        ),
        width="stretch",
    )
    scatter3d = px.scatter_3d(
        points,
        x="pc1",
        y="pc2",
        z="pc3",
        color="persona_name",
        color_discrete_map=colour_map,
        opacity=0.6,
        title="PCA 3-D",
    )
    scatter3d.update_traces(marker={"size": 2})
    right.plotly_chart(scatter3d, width="stretch")
    if segmentation.dashboard_scatter:
        x, y = segmentation.dashboard_scatter
        st.subheader(f"{x.replace('_', ' ')} against {y.replace('_', ' ')}")
        st.plotly_chart(
            px.scatter(points, x=x, y=y, color="persona_name", color_discrete_map=colour_map, opacity=0.7),
            width="stretch",
        )


# -- Upload ----------------------------------------------------------------------------------------------
def page_upload() -> None:
    st.header("Segment a file")
    kinds = upload_kinds()
    label = st.radio("What is in the file?", list(kinds), key="upload_kind")
    uploaded = st.file_uploader(f"CSV file (at most {MAX_UPLOAD_BYTES // 2**20} MB)", key="upload_file")
    refit = st.checkbox("Refit the model on this file instead of using the saved one", key="upload_refit")
    if uploaded is None:
        st.caption("The file is checked with the same expectations as the pipeline, then segmented.")
        return
    with st.spinner("Validating and segmenting..."):
        try:
            result = process_upload(kinds[label], uploaded.getvalue(), uploaded.name, refit, DATABASE, ARTIFACTS)
        except UploadError as error:
            # One element for the message and its details, so the page never shows one without the other.
            st.error("\n".join([str(error), "", *(f"- {line}" for line in error.details)]))
            return
        except warehouse.NotBuiltError:
            st.info(NOT_BUILT)
            return
    for line in result.warnings:
        st.warning(line)
    st.success(f"{len(result.scored):,} rows segmented ({result.mode}).")
    summary = result.scored.groupby(["persona_name", "marketing_strategy"]).size().rename("rows").reset_index()
    st.dataframe(summary.sort_values("rows", ascending=False), hide_index=True, width="stretch")
    st.dataframe(result.scored.head(200), hide_index=True, width="stretch")
    st.download_button(
        "Download with personas (CSV)",
        result.scored.to_csv(index=False).encode(),
        file_name=f"{uploaded.name.rsplit('.', 1)[0]}_personas.csv",
        mime="text/csv",
        key="download",
    )


# -- Score a customer ------------------------------------------------------------------------------------
def _is_flag(values: pd.Series) -> bool:
    return values.dtype == bool or set(pd.Series(values).dropna().unique()) <= {0, 1}


def page_score() -> None:
    from ml.apps.scoring import PersonaScorer

    st.header("Score a customer")
    name = choose_segmentation("score_segmentation")
    if name is None:
        return
    config = project.registry().get(name).config
    try:
        scorer = PersonaScorer.from_warehouse(name, DATABASE, ARTIFACTS)
    except (warehouse.NotBuiltError, ValueError, RuntimeError, FileNotFoundError) as error:
        st.error(f"The saved model cannot be used: {error}")
        return
    typical = cached_features(name, warehouse_stamp())
    st.caption("The form starts at the median member (the most common category); change any figure.")
    with st.form("score_form"):
        values: dict[str, object] = {}
        columns = st.columns(3)
        for i, feature in enumerate(config.numeric_features):
            column = columns[i % 3]
            label = feature.replace("_", " ")
            if feature in typical and _is_flag(typical[feature]):
                usually_yes = bool(typical[feature].astype(float).median() >= 0.5)
                answer = column.selectbox(label, ["no", "yes"], index=int(usually_yes), key=f"in_{feature}")
                values[feature] = 1.0 if answer == "yes" else 0.0
            else:
                default = float(typical[feature].median()) if feature in typical else 0.0
                values[feature] = column.number_input(label, value=default, key=f"in_{feature}")
        for feature in config.categorical_features:
            counts = (
                typical[feature].dropna().astype(str).value_counts() if feature in typical else pd.Series(dtype=int)
            )
            options = sorted(counts.index) or [""]
            most_common = counts.idxmax() if len(counts) else options[0]
            values[feature] = st.selectbox(
                feature.replace("_", " "), options, index=options.index(most_common), key=f"in_{feature}"
            )
        submitted = st.form_submit_button("Score")
    if not submitted:
        return
    frame = scorer.checked(pd.DataFrame([values]), "the form")
    row = scorer.score(frame, "the form").iloc[0]
    st.success(f"Persona: **{row['persona_name']}**")
    reasons = scorer.placing_features(frame, scorer.place(frame))[0]
    if reasons:
        st.markdown(
            "**What places it here:** "
            + "; ".join(
                f"{reason['feature'].replace('_', ' ')} {reason['value']}"
                + (f" ({reason['compared_with_fit']})" if "compared_with_fit" in reason else "")
                for reason in reasons
            )
            + " pull it towards this persona rather than the runner-up."
        )
    st.markdown(f"**Strategy:** {row['marketing_strategy']}")
    st.markdown(
        f"Next closest: **{row['next_persona_name']}** (margin {row['margin_to_next_centroid']:.2f} "
        f"against a distance of {row['distance_to_centroid']:.2f} to its own centroid)"
    )
    distances = pd.DataFrame(
        {
            "persona": scorer.personas["persona_name"],
            "distance": [row[f"distance_to_{slug(p)}"] for p in scorer.personas["persona_name"]],
        }
    ).sort_values("distance")
    st.dataframe(distances, hide_index=True)


def main() -> None:
    st.set_page_config(page_title="SmartCart Segments", layout="wide")
    st.sidebar.title("SmartCart Segments")
    page = st.sidebar.radio("Page", PAGES, key="page")
    try:
        {
            "Overview": page_overview,
            "Value": page_value,
            "Changes": page_changes,
            "Model evaluation": page_evaluation,
            "Upload": page_upload,
            "Score a customer": page_score,
        }[page]()
    except warehouse.NotBuiltError as error:
        st.info(f"{NOT_BUILT} ({error})")


main()
