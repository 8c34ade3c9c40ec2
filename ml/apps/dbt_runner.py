"""The one place that launches dbt: always in a subprocess, from the project folder, with its profiles.

Never in-process: DuckDB allows one writer per file, and dbt owns the build database while it runs.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from ml import project

log = logging.getLogger(__name__)


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def dbt_command(arguments: list[str], dbt_vars: dict | None = None, project_dir: Path | None = None) -> list[str]:
    root = project_dir or project.root()
    command = [dbt_executable(), *arguments, "--project-dir", str(root), "--profiles-dir", str(root)]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    return command


def run_dbt(
    arguments: list[str],
    dbt_vars: dict | None = None,
    env: dict[str, str] | None = None,
    capture: bool = False,
    timeout: float | None = None,
    project_dir: Path | None = None,
) -> subprocess.CompletedProcess:
    """dbt ``arguments`` with ``dbt_vars`` and extra environment ``env``; output captured when asked."""
    root = project_dir or project.root()
    command = dbt_command(arguments, dbt_vars, root)
    log.info("running %s", " ".join(command))
    return subprocess.run(
        command,
        cwd=root,
        env={**os.environ, **(env or {})},
        capture_output=capture,
        text=True,
        timeout=timeout,
    )
