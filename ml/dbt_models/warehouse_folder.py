"""A dbt-duckdb plugin that creates the folder of the build database before DuckDB opens it.

DuckDB creates a database file but not its folder; without this, `dbt build` in a fresh clone stops with
"Cannot open file data/warehouse/smartcart.duckdb.build". Enabled in profiles.yml (plugins).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        path = str(creds.path or "")
        if path and path != ":memory:" and not path.startswith(("md:", "motherduck:")):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
