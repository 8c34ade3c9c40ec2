"""A published warehouse for the dashboard tests: one real build of the small fixtures."""

from __future__ import annotations

import pytest

from tests.conftest import SMALL_CUSTOMERS, Build


@pytest.fixture(scope="session")
def dashboard_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    result = Build(tmp_path_factory.mktemp("dashboard")).dbt("build", dbt_vars={"customers_file": str(SMALL_CUSTOMERS)})
    assert result.returncode == 0, result.output[-3000:]
    return result
