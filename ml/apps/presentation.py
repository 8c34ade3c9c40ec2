"""How figures are put in words for marketers, the same in the report, the dashboard and the CLI.

One statistic everywhere: the median. A persona's median is compared with the median of everyone, in
units of the population's standard deviation, and said in plain words ("income 50,183, about average").
"""

from __future__ import annotations

import math
import re

import numpy as np

PALETTE = [
    "#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3",
    "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD",
]  # fmt: skip


def comparison(value: float, population_median: float, population_std: float) -> str:
    """'about average', 'above average', 'well below average', ... for a persona median."""
    if value is None or population_median is None or not np.isfinite(value) or not np.isfinite(population_median):
        return "no comparison"
    if not population_std or not np.isfinite(population_std):
        return "about average"
    z = (value - population_median) / population_std
    if abs(z) < 0.25:
        return "about average"
    direction = "above" if z > 0 else "below"
    return f"well {direction} average" if abs(z) >= 1 else f"{direction} average"


def figure(value: float) -> str:
    """A median as people read it: thousands separators, two decimals below 10, none above."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) < 1:
        return f"{value:.2f}"
    if abs(value) < 10:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def described(label: str, value: float, population_median: float, population_std: float) -> str:
    return f"{label} {figure(value)}, {comparison(value, population_median, population_std)}"


def persona_colours(persona_ids: list[str]) -> dict[str, str]:
    """One colour per persona id (sorted ids, so a persona keeps its colour in every plot and build)."""
    return {pid: PALETTE[i % len(PALETTE)] for i, pid in enumerate(sorted(set(persona_ids)))}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
