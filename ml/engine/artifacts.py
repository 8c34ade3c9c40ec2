"""Saving and loading fitted models: joblib plus a JSON sidecar, and a hash check before any load.

Loading a pickle runs code, so :func:`load_model` refuses a file whose SHA-256 differs from the one
recorded at save time and from the one the caller expects (the warehouse's segmentation_models row).
The build itself never loads a pickle: it scores in SQL from the parameter table.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

LIBRARIES = ("scikit-learn", "numpy", "pandas", "scipy", "joblib", "duckdb", "dbt-core", "dbt-duckdb")


class ArtifactIntegrityError(RuntimeError):
    """The artifact on disk is not the one that was saved (or not the one the caller expects)."""


@dataclass(frozen=True)
class ArtifactPaths:
    model: Path
    sidecar: Path

    @classmethod
    def for_model(cls, directory: str | os.PathLike[str], name: str, version: str) -> ArtifactPaths:
        """One folder per segmentation and model version: a stored model is never overwritten."""
        base = Path(directory) / name / version
        return cls(model=base / "model.joblib", sidecar=base / "model.json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _atomic_write(path: Path, write) -> None:
    """Write to a temporary file beside ``path`` and rename it into place: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def save_model(model: Any, paths: ArtifactPaths, sidecar: dict[str, Any]) -> dict[str, Any]:
    """Persist ``model`` and a sidecar holding ``sidecar`` plus library versions and the artifact hash."""
    _atomic_write(paths.model, lambda target: joblib.dump(model, target, compress=3))
    content = dict(sidecar)
    content["library_versions"] = library_versions()
    content["artifact_file"] = paths.model.name
    content["artifact_sha256"] = sha256_file(paths.model)
    text = json.dumps(content, indent=2, sort_keys=True, default=str)
    _atomic_write(paths.sidecar, lambda target: target.write_text(text, encoding="utf-8"))
    return content


def _verify(path: Path, expected: str | None) -> None:
    if not path.exists():
        raise FileNotFoundError(f"no model artifact at {path}")
    if not expected:
        raise ArtifactIntegrityError(f"{path}: no SHA-256 recorded for this artifact; refusing to load it")
    actual = sha256_file(path)
    if actual != expected:
        raise ArtifactIntegrityError(
            f"{path}: SHA-256 {actual[:16]}... does not match the recorded {expected[:16]}...; the file was "
            "changed after it was saved. Refusing to load it (loading a pickle runs code)."
        )


def load_model(paths: ArtifactPaths, expected_sha256: str) -> tuple[Any, dict[str, Any]]:
    """Load a model after checking its hash against ``expected_sha256`` and its sidecar."""
    if not paths.sidecar.exists():
        raise FileNotFoundError(f"no model sidecar at {paths.sidecar}: has the segmentation been built?")
    sidecar = json.loads(paths.sidecar.read_text(encoding="utf-8"))
    if expected_sha256 != sidecar.get("artifact_sha256"):
        raise ArtifactIntegrityError(
            f"{paths.model}: the sidecar records {str(sidecar.get('artifact_sha256'))[:16]}..., the warehouse "
            f"expects {str(expected_sha256)[:16]}...; refusing to load it"
        )
    _verify(paths.model, expected_sha256)
    return joblib.load(paths.model), sidecar
