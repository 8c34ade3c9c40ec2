"""A published warehouse for the dashboard tests: a copy of the session's build of the small fixtures (a test
here rebuilds into it, so it is this worker's own)."""

from __future__ import annotations

import pytest

from tests.conftest import Build, copy_of


@pytest.fixture(scope="session")
def dashboard_build(small_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Build:
    return copy_of(small_build, tmp_path_factory.mktemp("dashboard") / "build")
