"""Static PNG plots of the input, the k selection and the personas (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # headless: dbt, CI and servers have no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# Plots of individual customers draw at most this many points: enough to see the shape, fast at 1M rows.
MAX_POINTS = 5_000


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Layout is fixed per figure (tight_layout / constrained); bbox_inches="tight" would draw it twice.
    # Fast PNG compression: the plots are rewritten on every build, and level 1 encodes about 20% faster.
    figure.savefig(path, dpi=100, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    plt.close(figure)
    return path


def _sample(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    return frame.sample(n=MAX_POINTS, random_state=seed) if len(frame) > MAX_POINTS else frame


def correlation_heatmap(features: pd.DataFrame, path: Path) -> Path:
    numeric = features.select_dtypes(include=["number", "bool"]).astype(float)
    numeric = numeric.loc[:, numeric.std() > 0]
    corr = numeric.corr()
    figure, axis = plt.subplots(figsize=(13, 11), layout="constrained")
    image = axis.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    axis.set_xticks(range(len(corr)), corr.columns, rotation=90, fontsize=8)
    axis.set_yticks(range(len(corr)), corr.columns, fontsize=8)
    figure.colorbar(image, ax=axis, shrink=0.8, label="Pearson correlation")
    axis.set_title("Correlations of the profile features")
    return _save(figure, path)


def k_selection_curves(k_table: pd.DataFrame, path: Path) -> Path:
    """Elbow (inertia) and silhouette side by side, the chosen k marked."""
    table = k_table.sort_values("k")
    chosen = int(table.loc[table["is_chosen"], "k"].iloc[0]) if table["is_chosen"].any() else None
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
    left.plot(table["k"], table["inertia"], marker="o")
    left.set(title="Elbow: inertia by k", xlabel="k", ylabel="inertia")
    right.plot(table["k"], table["silhouette"], marker="o", color="#55A868", label="silhouette")
    right.plot(table["k"], table["stability_ari"], marker="s", color="#8172B2", label="stability (ARI)")
    right.set(title="Silhouette and bootstrap stability by k", xlabel="k", ylim=(0, 1.05))
    right.legend()
    for axis in (left, right):
        if chosen is not None:
            axis.axvline(chosen, color="red", linestyle="--", linewidth=1)
        axis.set_xticks(table["k"])
    return _save(figure, path)


def pca_scatter_2d(points: pd.DataFrame, colours: dict[str, str], path: Path) -> Path:
    sample = _sample(points)
    figure, axis = plt.subplots(figsize=(9, 7), layout="constrained")
    for (pid, name), group in sample.groupby(["persona_id", "persona_name"]):
        axis.scatter(group["pc1"], group["pc2"], s=8, alpha=0.6, color=colours[pid], label=name)
    axis.set(title="PCA space (PC1 x PC2) by persona", xlabel="PC1", ylabel="PC2")
    axis.legend(markerscale=3, fontsize=9)
    return _save(figure, path)


def pca_scatter_3d(points: pd.DataFrame, colours: dict[str, str], path: Path) -> Path:
    sample = _sample(points)
    figure = plt.figure(figsize=(9, 8), layout="constrained")
    axis = figure.add_subplot(projection="3d")
    for (pid, name), group in sample.groupby(["persona_id", "persona_name"]):
        axis.scatter(group["pc1"], group["pc2"], group["pc3"].fillna(0), s=6, alpha=0.6, color=colours[pid], label=name)
    axis.set(title="PCA space (3-D) by persona", xlabel="PC1", ylabel="PC2", zlabel="PC3")
    axis.legend(markerscale=3, fontsize=9)
    return _save(figure, path)


def persona_heatmap(profiles: pd.DataFrame, path: Path) -> Path:
    """Persona x feature z-scores (persona_feature_profiles: mean against the fitted population)."""
    wide = profiles.pivot(index="persona_name", columns="feature_label", values="z_score")
    limit = max(1.0, float(np.nanmax(np.abs(wide.to_numpy()))))
    figure, axis = plt.subplots(figsize=(max(10, 0.6 * wide.shape[1]), 2.5 + 0.7 * len(wide)), layout="constrained")
    image = axis.imshow(wide.to_numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    axis.set_xticks(range(wide.shape[1]), wide.columns, rotation=60, ha="right", fontsize=9)
    axis.set_yticks(range(len(wide)), wide.index)
    for (i, j), value in np.ndenumerate(wide.to_numpy()):
        axis.text(j, i, f"{value:+.1f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axis, label="z-score against everyone fitted")
    axis.set_title("Persona profiles: how each persona differs from the average")
    return _save(figure, path)


def feature_scatter(
    points: pd.DataFrame, x: str, y: str, labels: dict[str, str], colours: dict[str, str], path: Path
) -> Path:
    """Two features of the members against each other, coloured by persona (the registry's report.scatter).
    Values beyond the 99.5th percentile are not drawn, so one extreme value cannot squash the plot."""
    shown = points[(points[x] <= points[x].quantile(0.995)) & (points[y] <= points[y].quantile(0.995))]
    sample = _sample(shown)
    figure, axis = plt.subplots(figsize=(9, 6.5), layout="constrained")
    for (pid, name), group in sample.groupby(["persona_id", "persona_name"]):
        axis.scatter(group[x], group[y], s=8, alpha=0.6, color=colours[pid], label=name)
    axis.set(
        title=f"{labels.get(x, x)} against {labels.get(y, y)} by persona (top 0.5% not drawn)",
        xlabel=labels.get(x, x),
        ylabel=labels.get(y, y),
    )
    axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axis.legend(markerscale=3, fontsize=9)
    return _save(figure, path)


def migration_heatmap(migrations: pd.DataFrame, path: Path) -> Path:
    """From persona (rows, the earlier run) to persona (columns, the later run): share of the row, with counts.
    '(new)' is the row of entities not in the earlier run, '(gone)' the column of those not in the later one."""
    counts = migrations.pivot_table(
        index="from_persona_name", columns="to_persona_name", values="entity_count", aggfunc="sum", fill_value=0
    )
    rows = [r for r in counts.index if r != "(new)"] + [r for r in counts.index if r == "(new)"]
    columns = [c for c in counts.columns if c != "(gone)"] + [c for c in counts.columns if c == "(gone)"]
    counts = counts.loc[rows, columns]
    shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
    figure, axis = plt.subplots(figsize=(3 + 1.6 * len(columns), 2 + 0.7 * len(rows)), layout="constrained")
    image = axis.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    axis.set_xticks(range(len(columns)), columns, rotation=30, ha="right", fontsize=9)
    axis.set_yticks(range(len(rows)), rows, fontsize=9)
    for (i, j), share in np.ndenumerate(shares.to_numpy()):
        colour = "white" if share > 0.6 else "black"
        axis.text(j, i, f"{share:.0%}\n{int(counts.iat[i, j]):,}", ha="center", va="center", fontsize=7, color=colour)
    axis.set_xlabel("persona in this run")
    axis.set_ylabel("persona in the previous run")
    figure.colorbar(image, ax=axis, label="share of the previous persona")
    axis.set_title("Where members went since the previous run")
    return _save(figure, path)


def clv_tracking(tracking: pd.DataFrame, path: Path) -> Path:
    """The holdout tracking plot: cumulative repeat purchases by week, actual against the calibration fit."""
    figure, axis = plt.subplots(figsize=(9, 5), layout="constrained")
    axis.plot(tracking["week"], tracking["actual_cumulative_repeat_purchases"], marker="o", label="actual")
    axis.plot(
        tracking["week"],
        tracking["predicted_cumulative_repeat_purchases"],
        linestyle="--",
        label="model (calibration fit)",
    )
    holdout = tracking.loc[tracking["is_holdout"], "week"]
    if len(holdout):
        axis.axvline(holdout.min() - 0.5, color="grey", linestyle=":", label="calibration end")
    axis.set(xlabel="week", ylabel="cumulative repeat purchases", title="Repeat purchases: model against actual")
    axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axis.legend()
    return _save(figure, path)


def cohort_heatmap(retention: pd.DataFrame, path: Path) -> Path:
    """Share of each cohort (month of first purchase or visit) active in each month since."""
    shares = retention.pivot_table(index="cohort_month", columns="months_since_first", values="active_share")
    labels = [f"{month:%Y-%m}" for month in pd.to_datetime(shares.index)]
    figure, axis = plt.subplots(figsize=(3 + 0.9 * len(shares.columns), 1.5 + 0.45 * len(shares)), layout="constrained")
    image = axis.imshow(shares.to_numpy(), cmap="Greens", vmin=0, vmax=1, aspect="auto")
    axis.set_xticks(range(len(shares.columns)), [str(c) for c in shares.columns])
    axis.set_yticks(range(len(labels)), labels, fontsize=9)
    for (i, j), share in np.ndenumerate(shares.to_numpy()):
        if not np.isnan(share):
            axis.text(
                j, i, f"{share:.0%}", ha="center", va="center", fontsize=8, color="white" if share > 0.6 else "black"
            )
    axis.set(xlabel="months since the first month", ylabel="cohort (first month)", title="Cohort retention")
    figure.colorbar(image, ax=axis, label="share of the cohort active")
    return _save(figure, path)
