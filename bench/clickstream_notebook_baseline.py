"""The usual clickstream notebook, the reference for the clickstream benchmark (pandas + scikit-learn).

Read every CSV with pandas, parse times, build per-user recency / frequency / monetary and funnel counts
with groupby, log-transform and scale, K-Means for k = 2..10 (elbow and a sampled silhouette), final
K-Means with k = 4. No validation, deduplication accounting, sessions rule, tests or publishing.
"""

from __future__ import annotations

import glob
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler


def main(pattern: str) -> None:
    started = time.perf_counter()
    events = pd.concat([pd.read_csv(path) for path in sorted(glob.glob(pattern))], ignore_index=True)
    events["event_time"] = pd.to_datetime(events["event_time"].str.replace(" UTC", ""), format="%Y-%m-%d %H:%M:%S")
    events = events.drop_duplicates()
    snapshot = events["event_time"].max()
    purchases = events[events["event_type"] == "purchase"]
    users = events.groupby("user_id").agg(
        last_seen=("event_time", "max"),
        sessions=("user_session", "nunique"),
        events=("event_type", "size"),
        products=("product_id", "nunique"),
    )
    counts = pd.crosstab(events["user_id"], events["event_type"])
    users = users.join(counts).fillna(0)
    users["revenue"] = purchases.groupby("user_id")["price"].sum().reindex(users.index).fillna(0)
    users["recency"] = (snapshot - users.pop("last_seen")).dt.total_seconds() / 86400
    features = np.log1p(users.clip(lower=0))
    scaled = StandardScaler().fit_transform(features)
    for k in range(2, 11):
        model = KMeans(n_clusters=k, n_init=10, random_state=42).fit(scaled)
        silhouette_score(scaled, model.labels_, sample_size=10_000, random_state=42)
    users["cluster"] = KMeans(n_clusters=4, n_init=10, random_state=42).fit_predict(scaled)
    print(f"{len(events):,} events, {len(users):,} users in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1])
