"""The usual Online Retail RFM notebook, as the reference for the invoices benchmark (pandas + sklearn).

Read the CSV with pandas, parse dates, drop lines without CustomerID and duplicates, drop cancellations and
non-positive quantities and prices, compute recency / frequency / monetary per customer with groupby,
quintile scores with qcut, log-transform and scale, then K-Means for k = 2..10 (elbow and a sampled
silhouette) and a final K-Means with k = 4.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler


def main(path: str) -> None:
    started = time.perf_counter()
    data = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    data["InvoiceDate"] = pd.to_datetime(data["InvoiceDate"], format="mixed")
    data = data.dropna(subset=["CustomerID"]).drop_duplicates()
    data = data[~data["InvoiceNo"].str.startswith("C")]
    data = data[(data["Quantity"] > 0) & (data["UnitPrice"] > 0)]
    data["TotalPrice"] = data["Quantity"] * data["UnitPrice"]
    snapshot = data["InvoiceDate"].max() + pd.Timedelta(days=1)
    rfm = data.groupby("CustomerID").agg(
        Recency=("InvoiceDate", lambda dates: (snapshot - dates.max()).days),
        Frequency=("InvoiceNo", "nunique"),
        Monetary=("TotalPrice", "sum"),
    )
    rfm["R"] = pd.qcut(rfm["Recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1])
    rfm["F"] = pd.qcut(rfm["Frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    rfm["M"] = pd.qcut(rfm["Monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    logged = np.log1p(rfm[["Recency", "Frequency", "Monetary"]].clip(lower=0))
    scaled = StandardScaler().fit_transform(logged)
    for k in range(2, 11):
        model = KMeans(n_clusters=k, n_init=10, random_state=42).fit(scaled)
        silhouette_score(scaled, model.labels_, sample_size=10_000, random_state=42)
    rfm["Cluster"] = KMeans(n_clusters=4, n_init=10, random_state=42).fit_predict(scaled)
    print(f"{len(data):,} lines, {len(rfm):,} customers in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1])
