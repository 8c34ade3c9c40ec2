"""Readable rules for personas: a shallow decision tree fitted to the persona labels, read back as rules.

K-Means places a customer by distances in a scaled, projected space that nobody can read. A decision tree
of depth at most 3, fitted on the model inputs in their business units to predict the persona, gives
rules such as "frequency > 3.5 and recency_days <= 40.5". Each persona's rule is the OR of the paths to
the leaves where it is the majority; the rule comes with its SQL (so a SQL user can select the customers
it describes) and two figures that say how far to trust it:
- coverage: the share of the persona's members the rule selects;
- fidelity: the share of the rows the rule selects that are in the persona.
A persona that is the majority in no leaf gets no rule (coverage 0): the tree found no simple description.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _number(value: float) -> str:
    return f"{value:.6g}"


def _leaf_paths(tree, features: list[str]) -> dict[int, list[tuple[str, str, float]]]:
    """Every rule leaf's path from the root: (feature, '<=' or '>', threshold) per split. A subtree whose
    leaves all have the same majority class is one rule leaf (its root): a split that does not change the
    persona only makes the rule longer."""
    structure = tree.tree_
    majority = structure.value[:, 0, :].argmax(axis=1)

    def uniform(node: int) -> int | None:
        """The class of every leaf under ``node``, or None when they differ."""
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:
            return int(majority[node])
        below = uniform(left)
        return below if below is not None and below == uniform(right) else None

    paths: dict[int, list[tuple[str, str, float]]] = {}
    stack: list[tuple[int, list[tuple[str, str, float]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right or uniform(node) is not None:
            paths[node] = path
            continue
        feature, threshold = features[structure.feature[node]], float(structure.threshold[node])
        stack.append((left, [*path, (feature, "<=", threshold)]))
        stack.append((right, [*path, (feature, ">", threshold)]))
    return paths


def _simplified(path: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """One bound per feature and side, the tightest (a path may split a feature twice), in path order."""
    bounds: dict[tuple[str, str], float] = {}
    for feature, side, threshold in path:
        tighter = min if side == "<=" else max
        bounds[(feature, side)] = tighter(threshold, bounds.get((feature, side), threshold))
    return [(feature, side, threshold) for (feature, side), threshold in bounds.items()]


def persona_rules(
    inputs: pd.DataFrame, labels: np.ndarray, random_state: int, max_depth: int = 3, min_leaf_share: float = 0.02
) -> pd.DataFrame:
    """One row per label: rule_text, rule_sql, coverage, fidelity, members, and the tree's overall accuracy.

    ``inputs`` are numeric model inputs in business units (one column per feature); leaves hold at least
    ``min_leaf_share`` of the rows, so no rule describes a handful of customers.
    """
    features = list(inputs.columns)
    values = inputs.to_numpy(dtype=float)
    labels = np.asarray(labels)
    tree = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=max(1, int(np.ceil(min_leaf_share * len(values)))),
        random_state=random_state,
    ).fit(values, labels)
    predicted = tree.predict(values)
    paths = _leaf_paths(tree, features)
    # Each row's rule leaf: the deepest node of its decision path that is a rule leaf.
    on_path = tree.decision_path(values).tocsc()
    leaves = np.full(len(values), -1)
    for node in paths:
        leaves[on_path[:, node].nonzero()[0]] = node
    leaf_class = {leaf: tree.classes_[int(np.argmax(tree.tree_.value[leaf][0]))] for leaf in paths}
    rows = []
    for label in np.unique(labels):
        own = [leaf for leaf in paths if leaf_class[leaf] == label]
        selected = np.isin(leaves, own)
        members = labels == label
        clauses = [_simplified(paths[leaf]) for leaf in own]
        texts = [" and ".join(f"{f} {side} {_number(t)}" for f, side, t in clause) or "everyone" for clause in clauses]
        sqls = [
            " and ".join(f"{_quoted(f)} {side} {_number(t)}" for f, side, t in clause) or "true" for clause in clauses
        ]
        rows.append(
            {
                "label": label,
                "rule_text": " or ".join(f"({t})" if len(texts) > 1 else t for t in texts) if texts else None,
                "rule_sql": " or ".join(f"({s})" for s in sqls) if sqls else None,
                "coverage": float(np.count_nonzero(selected & members) / np.count_nonzero(members)),
                "fidelity": float(np.count_nonzero(selected & members) / np.count_nonzero(selected))
                if selected.any()
                else 0.0,
                "members": int(np.count_nonzero(members)),
                "tree_accuracy": float(np.mean(predicted == labels)),
                "max_depth": max_depth,
            }
        )
    return pd.DataFrame(rows)
