"""The path the README promises analytics engineers: a fresh clone, `pip install -e .`, `dbt build`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import copy_project

pytestmark = pytest.mark.integration


def test_a_fresh_clone_builds_with_pip_install_and_dbt_build_alone(tmp_path):
    clone = copy_project(tmp_path / "clone")
    assert not (clone / "data" / "warehouse").exists()
    # Nothing of this session leaks in: only what a new user's shell has.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)), "LANG": "C.UTF-8"}
    for step in (
        [sys.executable, "-m", "venv", ".venv"],
        [".venv/bin/pip", "install", "--quiet", "-e", "."],
        [".venv/bin/dbt", "build"],
    ):
        result = subprocess.run(step, cwd=clone, env=env, capture_output=True, text=True, timeout=1200)
        assert result.returncode == 0, (step, result.stdout[-3000:], result.stderr[-3000:])
    assert (clone / "data" / "warehouse" / "smartcart.duckdb").exists()
    assert "Completed successfully" in result.stdout
