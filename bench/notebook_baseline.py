"""The usual notebook method, as a reference for the benchmark: pandas + scikit-learn on every row.

This is what the Kaggle-style notebooks for this data do (read with pandas, engineer features, label-encode,
scale, PCA to 3 components, K-Means for k = 2..10 on all rows with a sampled silhouette, final K-Means).
Agglomerative clustering on all rows is left out: it needs O(n^2) memory and cannot run at 1M rows.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import LabelEncoder, StandardScaler


def main(path: str) -> None:
    started = time.perf_counter()
    data = pd.read_csv(path, sep="\t")
    data["Income"] = data["Income"].fillna(data["Income"].median())
    data["Dt_Customer"] = pd.to_datetime(data["Dt_Customer"], format="%d-%m-%Y")
    as_of = data["Dt_Customer"].max() + pd.Timedelta(days=1)
    data["Customer_For"] = (as_of - data["Dt_Customer"]).dt.days
    data["Age"] = as_of.year - data["Year_Birth"]
    data["Spent"] = data[
        ["MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds"]
    ].sum(axis=1)
    data["Living_With"] = data["Marital_Status"].replace(
        {
            "Married": "Partner",
            "Together": "Partner",
            "Absurd": "Alone",
            "Widow": "Alone",
            "YOLO": "Alone",
            "Divorced": "Alone",
            "Single": "Alone",
        }
    )
    data["Children"] = data["Kidhome"] + data["Teenhome"]
    data["Family_Size"] = data["Living_With"].replace({"Alone": 1, "Partner": 2}).astype(int) + data["Children"]
    data["Is_Parent"] = np.where(data["Children"] > 0, 1, 0)
    data["Education"] = data["Education"].replace(
        {
            "Basic": "Undergraduate",
            "2n Cycle": "Undergraduate",
            "Graduation": "Graduate",
            "Master": "Postgraduate",
            "PhD": "Postgraduate",
        }
    )
    data = data.drop(columns=["Marital_Status", "Dt_Customer", "Z_CostContact", "Z_Revenue", "Year_Birth", "ID"])
    data = data[(data["Age"] < 90) & (data["Income"] < 600_000)]
    for column in data.select_dtypes(include=["object", "string"]).columns:
        data[column] = LabelEncoder().fit_transform(data[column])
    features = data.drop(
        columns=[
            "AcceptedCmp3",
            "AcceptedCmp4",
            "AcceptedCmp5",
            "AcceptedCmp1",
            "AcceptedCmp2",
            "Complain",
            "Response",
        ]
    )
    scaled = StandardScaler().fit_transform(features)
    reduced = PCA(n_components=3, random_state=42).fit_transform(scaled)
    for k in range(2, 11):
        model = KMeans(n_clusters=k, n_init=10, random_state=42).fit(reduced)
        silhouette_score(reduced, model.labels_, sample_size=10_000, random_state=42)
    labels = KMeans(n_clusters=4, n_init=10, random_state=42).fit_predict(reduced)
    data["Cluster"] = labels
    print(f"notebook method: {len(data):,} rows, {time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
