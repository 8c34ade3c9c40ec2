"""The project on disk: where dbt_project.yml is, its vars, and the registry of segmentations.

The one module that locates the project. The root is SMARTCART_PROJECT_DIR when set, else the working
directory when it holds dbt_project.yml, else the folder above this package (a clone installed with
`pip install -e .`).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ml.engine.registry import Registry, parse_registry


def root() -> Path:
    explicit = os.environ.get("SMARTCART_PROJECT_DIR")
    candidates = [Path(explicit)] if explicit else [Path.cwd(), Path(__file__).resolve().parent.parent]
    for candidate in candidates:
        if (candidate / "dbt_project.yml").exists():
            return candidate.resolve()
    raise FileNotFoundError(
        "cannot find dbt_project.yml: run smartcart from the SmartCart Segments project folder "
        "(or set SMARTCART_PROJECT_DIR)"
    )


@lru_cache(maxsize=4)
def _vars(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def project_vars(project: Path | None = None) -> dict[str, Any]:
    return dict(_vars(project or root()))


def registry_defaults(values: dict[str, Any]) -> dict[str, Any]:
    return {key: values[key] for key in ("k_min", "k_max", "random_state") if values.get(key) is not None}


def registry(project: Path | None = None) -> Registry:
    values = project_vars(project)
    return parse_registry(values["segmentations"], registry_defaults(values))


def seeds_dir(project: Path | None = None) -> Path:
    return (project or root()) / "dbt_project" / "seeds"


def models_dir(project: Path | None = None) -> Path:
    return (project or root()) / "dbt_project" / "models"
