"""Where a fit reads its rows from: a pandas frame (tests, CLI) or a DuckDB relation (dbt Python models).

The engine never needs every row in memory at once: it fits on a deterministic sample and then assigns
everyone batch by batch. Both sources give a sample that depends only on the ids and the seed, never on
the order rows arrive in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np
import pandas as pd

from ml.config import SegmentationConfig


class FeatureSource(Protocol):
    config: SegmentationConfig

    def count_fit_rows(self) -> int: ...

    def fit_sample(self) -> pd.DataFrame: ...

    def batches(self, rows: int) -> Iterator[pd.DataFrame]: ...


def needed_columns(config: SegmentationConfig, available: list[str] | None = None) -> list[str]:
    """The id, the model inputs, the profile features and the exclusion flag, each once."""
    wanted = [config.id_column, *config.features, *config.profile_features]
    if config.exclude_column and (available is None or config.exclude_column in available):
        wanted.append(config.exclude_column)
    return list(dict.fromkeys(wanted))


def seeded_id_hash(ids: pd.Series, seed: int) -> np.ndarray:
    """A seeded 64-bit hash per id (splitmix64 for integer ids, pandas' keyed hash for the rest)."""
    if pd.api.types.is_integer_dtype(ids):
        with np.errstate(over="ignore"):
            x = ids.to_numpy().astype(np.uint64) + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))
    return pd.util.hash_array(ids.astype(str).to_numpy(dtype=object), hash_key=f"{seed:016d}"[-16:])


class FrameSource:
    """Rows held in a pandas frame."""

    def __init__(self, frame: pd.DataFrame, config: SegmentationConfig):
        self.frame = frame
        self.config = config

    def _fit_mask(self) -> np.ndarray:
        column = self.config.exclude_column
        if column and column in self.frame.columns:
            return ~self.frame[column].astype(bool).to_numpy()
        return np.ones(len(self.frame), dtype=bool)

    def count_fit_rows(self) -> int:
        return int(self._fit_mask().sum())

    def fit_sample(self) -> pd.DataFrame:
        eligible = self.frame.loc[self._fit_mask()]
        size = self.config.fit_sample_size
        if len(eligible) > size:
            keys = seeded_id_hash(eligible[self.config.id_column], self.config.random_state)
            eligible = eligible.iloc[np.argpartition(keys, size - 1)[:size]]
        return eligible.sort_values(self.config.id_column, kind="stable").reset_index(drop=True)

    def batches(self, rows: int) -> Iterator[pd.DataFrame]:
        for start in range(0, len(self.frame), rows):
            yield self.frame.iloc[start : start + rows]


class RelationSource:
    """Rows of a DuckDB relation (a dbt ref): sampled in SQL, streamed in Arrow record batches."""

    def __init__(self, relation, config: SegmentationConfig):
        self.config = config
        self.relation = relation.select(", ".join(f'"{c}"' for c in needed_columns(config, relation.columns)))

    def _eligible(self):
        column = self.config.exclude_column
        if column and column in self.relation.columns:
            return self.relation.filter(f'not "{column}"')
        return self.relation

    def count_fit_rows(self) -> int:
        return int(self._eligible().aggregate("count(*)").fetchall()[0][0])

    def fit_sample(self) -> pd.DataFrame:
        # DuckDB's hash of (id, seed) is deterministic for a given DuckDB version: same data, same sample.
        key = self.config.id_column
        seed = int(self.config.random_state)
        sample = self._eligible().order(f'hash("{key}", {seed}), "{key}"').limit(self.config.fit_sample_size)
        return sample.df().sort_values(key, kind="stable").reset_index(drop=True)

    def batches(self, rows: int) -> Iterator[pd.DataFrame]:
        reader = self.relation.to_arrow_reader(rows)
        for batch in reader:
            yield batch.to_pandas()
