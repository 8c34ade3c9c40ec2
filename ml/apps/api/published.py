"""The published warehouse as the API sees it: one consistent snapshot, replaced when a build publishes.

Publishing renames a complete new file over the published one (ml/dbt_models/publishing.py), so the file's
identity (inode, size, modification time) changes exactly when a new set of tables lands. Each request
compares it with the snapshot's: if it changed, one request reloads everything through a single read-only
connection (so every table comes from the same file), checks each model artifact's SHA-256 against the one
the warehouse recorded, and only then swaps the snapshot in. Requests never see a half-loaded snapshot; if
a reload fails, the previous snapshot keeps serving and /health reports the error.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ml import project
from ml.apps import warehouse
from ml.apps.api.customer_export import ExportContext
from ml.apps.api.invoice_history import InvoiceContext
from ml.apps.api.value_model import ValueModel
from ml.apps.scoring import PersonaScorer
from ml.engine.artifacts import ArtifactIntegrityError


@dataclass(frozen=True)
class Snapshot:
    identity: tuple | None
    scorers: dict[str, PersonaScorer] = field(default_factory=dict)
    personas: dict[str, pd.DataFrame] = field(default_factory=dict)
    export_context: ExportContext | None = None
    invoice_context: InvoiceContext | None = None
    value_models: dict[str, ValueModel | None] = field(default_factory=dict)  # None: the build fitted none
    problems: dict[str, str] = field(default_factory=dict)  # segmentation (or "warehouse") -> why unavailable


def file_identity(path: Path) -> tuple | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


def load_snapshot(database: Path, artifacts_dir: str | None, identity: tuple | None) -> Snapshot:
    """Every segmentation's hash-checked model and personas, read through one connection."""
    scorers, personas, problems, value_models = {}, {}, {}, {}
    context = invoice_context = None
    try:
        with warehouse.connect(database) as connection:
            for segmentation in project.registry():
                name = segmentation.name
                try:
                    scorers[name] = PersonaScorer.from_warehouse(name, connection, artifacts_dir)
                    personas[name] = warehouse.persona_table(name, segmentation.key_features, connection)
                except (warehouse.NotBuiltError, ArtifactIntegrityError, ValueError, OSError) as error:
                    problems[name] = str(error)
            if "customers" in scorers:
                context = ExportContext.from_warehouse(connection)
            if "invoices" in scorers:
                invoice_context = InvoiceContext.from_warehouse(connection)
                try:
                    value_models["invoices"] = ValueModel.from_warehouse("invoices", connection)
                except warehouse.NotBuiltError:  # a warehouse built before value models existed
                    value_models["invoices"] = None
    except warehouse.NotBuiltError as error:
        problems["warehouse"] = str(error)
    return Snapshot(identity, scorers, personas, context, invoice_context, value_models, problems)


class PublishedModels:
    """The current snapshot, reloaded when the published file changes."""

    def __init__(self, database: str | None = None, artifacts_dir: str | None = None):
        self.database = warehouse.database_path(database)
        self.artifacts_dir = artifacts_dir
        self._lock = threading.Lock()
        self._snapshot = Snapshot(identity=("never loaded",))
        self.reload_error: str | None = None

    def current(self) -> Snapshot:
        identity = file_identity(self.database)
        if identity == self._snapshot.identity:
            return self._snapshot
        with self._lock:
            if identity != self._snapshot.identity:
                fresh = load_snapshot(self.database, self.artifacts_dir, identity)
                lost = set(self._snapshot.scorers) - set(fresh.scorers)
                if not lost:
                    self._snapshot = fresh
                    self.reload_error = None
                else:
                    # The new file's models for a segmentation served until now cannot be loaded (say, an
                    # artifact whose hash does not match): keep serving the verified snapshot as a whole,
                    # and do not retry until the published file changes again.
                    self.reload_error = "; ".join(f"{name}: {fresh.problems.get(name, '?')}" for name in sorted(lost))
                    old = self._snapshot
                    self._snapshot = dataclasses.replace(old, identity=identity)
        return self._snapshot
