"""SmartCart Segments dashboard: `smartcart dashboard` (or `streamlit run ml/dashboard/app.py`).

Reads the published warehouse only (SMARTCART_DUCKDB_PATH or data/warehouse/smartcart.duckdb), never the
database a build is writing. Pages: Overview, Model evaluation, Upload, Score a customer.
"""

from __future__ import annotations

import os

import pandas as pd
import plotly.express as px
import streamlit as st

from ml import warehouse
from ml.dashboard import data
from ml.dashboard.modelling import MAX_UPLOAD_BYTES, UPLOAD_KINDS, UploadError, process_upload, recluster
from ml.sources import get_segmentation

PAGES = ["Overview", "Model evaluation", "Upload", "Score a customer"]
DATABASE = os.environ.get("SMARTCART_DUCKDB_PATH") or None
ARTIFACTS = os.environ.get("SMARTCART_ARTIFACTS_DIR") or None
NOT_BUILT = "Nothing has been built yet: run `make run` (or `smartcart run`) and reload this page."


@st.cache_data(ttl=30, show_spinner=False)
def cached_features(name: str, stamp: float) -> pd.DataFrame:
    return data.features(name, DATABASE)


@st.cache_data(show_spinner="Re-clustering...")
def cached_recluster(name: str, k: int, stamp: float) -> pd.DataFrame:
    table, _ = recluster(name, cached_features(name, stamp), k)
    return table


def warehouse_stamp() -> float:
    """Changes when a build publishes a new file, so cached results follow the warehouse."""
    path = warehouse.database_path(DATABASE)
    return path.stat().st_mtime if path.exists() else 0.0


def choose_segmentation(key: str) -> str | None:
    names = data.available(DATABASE)
    if not names:
        st.info(NOT_BUILT)
        return None
    return st.selectbox("Segmentation", names, format_func=lambda n: data.VIEWS[n].title, key=key)


# -- Overview --------------------------------------------------------------------------------------------
def persona_card(row: pd.Series, view: data.SegmentationView) -> None:
    with st.container(border=True):
        st.markdown(f"#### {row['persona_name']}")
        st.markdown(f"**{int(row['customer_count']):,} customers** · {row['customer_share']:.0%} of all")
        figures = []
        for stem, label in view.key_figures:
            mean, z = row.get(f"{stem}_mean"), row.get(f"{stem}_z_score")
            if pd.notna(mean):
                direction = "above" if (z or 0) > 0 else "below"
                figures.append(f"- {label}: {mean:,.1f} ({abs(z or 0):.1f} sd {direction} average)")
        st.markdown("\n".join(figures))
        st.caption(row["description"])
        st.markdown(f"**Strategy:** {row['marketing_strategy']}")


def page_overview() -> None:
    st.header("Personas")
    names = data.available(DATABASE)
    if not names:
        st.info(NOT_BUILT)
        return
    try:
        info = data.build_info(DATABASE)
        if len(info):
            st.caption(f"Built {info['run_started_at'].max():%Y-%m-%d %H:%M} UTC from:")
            st.dataframe(info, hide_index=True, width="stretch")
    except warehouse.NotBuiltError:
        pass
    for name in names:
        view = data.VIEWS[name]
        st.subheader(view.title)
        profiles = data.profiles(name, DATABASE)
        columns = st.columns(min(len(profiles), 3))
        for i, (_, row) in enumerate(profiles.iterrows()):
            with columns[i % len(columns)]:
                persona_card(row, view)


# -- Model evaluation ------------------------------------------------------------------------------------
def page_evaluation() -> None:
    st.header("Model evaluation")
    name = choose_segmentation("evaluation_segmentation")
    if name is None:
        return
    k_table = data.k_selection(name, DATABASE)
    chosen = int(k_table.loc[k_table["is_chosen"], "k"].iloc[0])
    left, right = st.columns(2)
    elbow = px.line(k_table, x="k", y="inertia", markers=True, title="Elbow: inertia by k")
    elbow.add_vline(x=chosen, line_dash="dash", annotation_text=f"chosen k={chosen}")
    left.plotly_chart(elbow, width="stretch")
    silhouette = px.line(k_table, x="k", y="silhouette", markers=True, title="Silhouette by k")
    silhouette.add_vline(x=chosen, line_dash="dash")
    right.plotly_chart(silhouette, width="stretch")

    st.subheader("Try another number of segments")
    k = st.slider("Number of segments (k)", min_value=2, max_value=10, value=chosen, key="k_slider")
    table = cached_recluster(name, k, warehouse_stamp())
    st.caption(f"k = {k}: {len(table)} segments re-clustered live on the published features.")
    st.bar_chart(table.set_index("persona_name")["customers"], horizontal=True)
    st.dataframe(table, hide_index=True, width="stretch")

    st.subheader("PCA projection by persona")
    points = data.pca_points(name, DATABASE)
    left, right = st.columns(2)
    left.plotly_chart(
        px.scatter(points, x="pc1", y="pc2", color="persona_name", opacity=0.6, title="PCA 2-D"),
        width="stretch",
    )
    scatter3d = px.scatter_3d(
        points, x="pc1", y="pc2", z="pc3", color="persona_name", opacity=0.6, title="PCA 3-D"
    )
    scatter3d.update_traces(marker={"size": 2})
    right.plotly_chart(scatter3d, width="stretch")

    if name == "customers":
        st.subheader("Total spend against income")
        spend = data.income_and_spend(DATABASE)
        low, high = spend["spend_total"].quantile([1 / 3, 2 / 3])
        figure = px.scatter(spend, x="income", y="spend_total", color="persona_name", opacity=0.7)
        top = float(spend["spend_total"].max()) * 1.05
        for y0, y1, colour, label in [
            (0, low, "red", "Budget"),
            (low, high, "yellow", "Average"),
            (high, top, "green", "Premium"),
        ]:
            figure.add_hrect(
                y0=y0, y1=y1, fillcolor=colour, opacity=0.12, line_width=0, annotation_text=label
            )
        st.plotly_chart(figure, width="stretch")
        st.caption(
            f"Bands: Budget below {low:,.0f} total spend (lowest third), Average to {high:,.0f}, "
            "Premium above."
        )


# -- Upload ----------------------------------------------------------------------------------------------
def page_upload() -> None:
    st.header("Segment a file")
    kind = st.radio("What is in the file?", list(UPLOAD_KINDS), key="upload_kind")
    uploaded = st.file_uploader(f"CSV file (at most {MAX_UPLOAD_BYTES // 2**20} MB)", key="upload_file")
    refit = st.checkbox("Refit the model on this file instead of using the saved one", key="upload_refit")
    if uploaded is None:
        st.caption("The file is checked with the same expectations as the pipeline, then segmented.")
        return
    with st.spinner("Validating and segmenting..."):
        try:
            result = process_upload(kind, uploaded.getvalue(), uploaded.name, refit, DATABASE, ARTIFACTS)
        except UploadError as error:
            # One element for the message and its details, so the page never shows one without the other.
            st.error("\n".join([str(error), "", *(f"- {line}" for line in error.details)]))
            return
        except warehouse.NotBuiltError:
            st.info(NOT_BUILT)
            return
    for line in result.warnings:
        st.warning(line)
    st.success(f"{len(result.scored):,} customers segmented ({result.mode}).")
    st.dataframe(result.scored.head(200), hide_index=True, width="stretch")
    st.download_button(
        "Download with personas (CSV)",
        result.scored.to_csv(index=False).encode(),
        file_name=f"{uploaded.name.rsplit('.', 1)[0]}_personas.csv",
        mime="text/csv",
        key="download",
    )


# -- Score a customer ------------------------------------------------------------------------------------
def page_score() -> None:
    from ml.scoring import PersonaScorer

    st.header("Score a customer")
    name = choose_segmentation("score_segmentation")
    if name is None:
        return
    config = get_segmentation(name)
    try:
        scorer = PersonaScorer.from_warehouse(name, DATABASE, ARTIFACTS)
    except (warehouse.NotBuiltError, ValueError, RuntimeError) as error:
        st.error(f"The saved model cannot be used: {error}")
        return
    typical = cached_features(name, warehouse_stamp())
    with st.form("score_form"):
        values: dict[str, object] = {}
        columns = st.columns(3)
        for i, feature in enumerate(config.numeric_features):
            default = float(typical[feature].median()) if feature in typical else 0.0
            values[feature] = columns[i % 3].number_input(
                feature.replace("_", " "), value=default, key=f"in_{feature}"
            )
        for feature in config.categorical_features:
            options = sorted(typical[feature].dropna().astype(str).unique()) if feature in typical else [""]
            values[feature] = st.selectbox(feature.replace("_", " "), options, key=f"in_{feature}")
        submitted = st.form_submit_button("Score")
    if not submitted:
        return
    scored = scorer.score(pd.DataFrame([values]), "the form")
    row = scored.iloc[0]
    st.success(f"Persona: **{row['persona_name']}**")
    if "next_persona_name" in scored.columns:
        st.markdown(
            f"Next closest: **{row['next_persona_name']}** (margin {row['margin_to_next_centroid']:.2f} "
            f"against a distance of {row['distance_to_centroid']:.2f} to its own centroid)"
        )
    from ml.scoring import slug

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
            "Model evaluation": page_evaluation,
            "Upload": page_upload,
            "Score a customer": page_score,
        }[page]()
    except warehouse.NotBuiltError as error:
        st.info(f"{NOT_BUILT} ({error})")


main()
