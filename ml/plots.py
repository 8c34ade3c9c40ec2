"""Static PNG plots of the input, the k selection and the personas (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # headless: dbt, CI and servers have no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

PALETTE = plt.get_cmap("tab10")
# Plots of individual customers draw at most this many points: enough to see the shape, fast at 1M rows.
MAX_POINTS = 5_000


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Layout is fixed per figure (tight_layout / constrained); bbox_inches="tight" would draw it twice.
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)
    return path


def _sample(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    return frame.sample(n=MAX_POINTS, random_state=seed) if len(frame) > MAX_POINTS else frame


def _persona_colours(personas: list[str]) -> dict[str, tuple]:
    return {name: PALETTE(i % 10) for i, name in enumerate(sorted(personas))}


def raw_input_profile(
    raw_sample: pd.DataFrame,
    row_count: int,
    missing_counts: pd.Series,
    outliers: pd.DataFrame,
    row_counts_by_flag: pd.Series,
    path: Path,
) -> Path:
    """Distributions of the main raw columns, missing values per column, and the outliers found."""
    figure, axes = plt.subplots(2, 3, figsize=(16, 9))
    for axis, column, flag, title in [
        (axes[0, 0], "income", "is_extreme_income", "Income (raw; flagged outliers in red)"),
        (
            axes[0, 1],
            "birth_year",
            "is_implausible_birth_year",
            "Year of birth (raw; flagged outliers in red)",
        ),
    ]:
        axis.hist(raw_sample[column].dropna(), bins=60, color="#4C72B0")
        for value in outliers.loc[outliers[flag], column].dropna():
            axis.axvline(value, color="red", linewidth=1)
        axis.set_title(title)
    axes[0, 0].xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1000:,.0f}k"))
    spend = raw_sample[[c for c in raw_sample.columns if c.startswith("spend_")]].sum(axis=1)
    axes[0, 2].hist(spend, bins=60, color="#55A868")
    axes[0, 2].set_title("Total spend (raw)")
    axes[1, 0].hist(raw_sample["recency_days"].dropna(), bins=50, color="#8172B2")
    axes[1, 0].set_title("Days since last purchase")
    missing = missing_counts[missing_counts > 0].sort_values()
    if len(missing):
        axes[1, 1].barh(missing.index, missing.to_numpy(), color="#C44E52")
        for y, value in enumerate(missing.to_numpy()):
            axes[1, 1].text(value, y, f" {value:,}", va="center")
    else:
        axes[1, 1].text(0.5, 0.5, "no missing values", ha="center", va="center")
    axes[1, 1].set_title("Missing values per column (all rows)")
    counts = row_counts_by_flag.sort_values()
    axes[1, 2].barh(counts.index, counts.to_numpy(), color="#DD8452")
    for y, value in enumerate(counts.to_numpy()):
        axes[1, 2].text(value, y, f" {value:,}", va="center")
    axes[1, 2].set_title("Rows flagged, imputed or quarantined (all rows)")
    sampled = f" (histograms: sample of {len(raw_sample):,})" if len(raw_sample) < row_count else ""
    figure.suptitle(f"Raw input profile: {row_count:,} rows{sampled}", fontsize=14)
    figure.tight_layout()
    return _save(figure, path)


def correlation_heatmap(features: pd.DataFrame, path: Path) -> Path:
    numeric = features.select_dtypes(include=["number", "bool"]).astype(float)
    numeric = numeric.loc[:, numeric.std() > 0].drop(columns=["customer_id"], errors="ignore")
    corr = numeric.corr()
    figure, axis = plt.subplots(figsize=(13, 11), layout="constrained")
    image = axis.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    axis.set_xticks(range(len(corr)), corr.columns, rotation=90, fontsize=8)
    axis.set_yticks(range(len(corr)), corr.columns, fontsize=8)
    figure.colorbar(image, ax=axis, shrink=0.8, label="Pearson correlation")
    axis.set_title("Feature correlations (customer_features)")
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


def pca_scatter_2d(points: pd.DataFrame, path: Path) -> Path:
    sample = _sample(points)
    colours = _persona_colours(points["persona_name"].unique().tolist())
    figure, axis = plt.subplots(figsize=(9, 7), layout="constrained")
    for name, group in sample.groupby("persona_name"):
        axis.scatter(group["pc1"], group["pc2"], s=8, alpha=0.6, color=colours[name], label=name)
    axis.set(title="Customers in PCA space (PC1 x PC2) by persona", xlabel="PC1", ylabel="PC2")
    axis.legend(markerscale=3, fontsize=9)
    return _save(figure, path)


def pca_scatter_3d(points: pd.DataFrame, path: Path) -> Path:
    sample = _sample(points)
    colours = _persona_colours(points["persona_name"].unique().tolist())
    figure = plt.figure(figsize=(9, 8), layout="constrained")
    axis = figure.add_subplot(projection="3d")
    for name, group in sample.groupby("persona_name"):
        axis.scatter(
            group["pc1"], group["pc2"], group.get("pc3", 0), s=6, alpha=0.6, color=colours[name], label=name
        )
    axis.set(title="Customers in PCA space (3-D) by persona", xlabel="PC1", ylabel="PC2", zlabel="PC3")
    axis.legend(markerscale=3, fontsize=9)
    return _save(figure, path)


def persona_heatmap(centroids: pd.DataFrame, labels: dict[str, str], path: Path) -> Path:
    """Persona x feature z-scores (centroids standardised against the fitted population)."""
    wide = centroids.pivot(index="persona_name", columns="feature_name", values="standardised_value")
    wide = wide.rename(columns=lambda name: labels.get(name, name))
    limit = max(1.0, float(np.nanmax(np.abs(wide.to_numpy()))))
    figure, axis = plt.subplots(
        figsize=(max(10, 0.6 * wide.shape[1]), 2.5 + 0.7 * len(wide)), layout="constrained"
    )
    image = axis.imshow(wide.to_numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    axis.set_xticks(range(wide.shape[1]), wide.columns, rotation=60, ha="right", fontsize=9)
    axis.set_yticks(range(len(wide)), wide.index)
    for (i, j), value in np.ndenumerate(wide.to_numpy()):
        axis.text(j, i, f"{value:+.1f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axis, label="z-score vs all fitted customers")
    axis.set_title("Persona profiles: how each persona differs from the average customer")
    return _save(figure, path)


def income_vs_spend(customers: pd.DataFrame, path: Path) -> Path:
    sample = _sample(customers[~customers["is_extreme_income"].astype(bool)])
    colours = _persona_colours(customers["persona_name"].unique().tolist())
    figure, axis = plt.subplots(figsize=(9, 6.5), layout="constrained")
    for name, group in sample.groupby("persona_name"):
        axis.scatter(group["income"], group["spend_total"], s=8, alpha=0.6, color=colours[name], label=name)
    axis.set(
        title="Income vs total spend by persona (extreme incomes not drawn)",
        xlabel="income",
        ylabel="total spend (2 years)",
    )
    axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1000:,.0f}k"))
    axis.legend(markerscale=3, fontsize=9)
    return _save(figure, path)
