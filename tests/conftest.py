"""Shared fixtures: the repo, and real dbt builds into temporary DuckDB files (always in a subprocess)."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import pytest

from ml.apps.dbt_runner import dbt_command

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL_CUSTOMERS = FIXTURES / "customers_small.tsv"
BUNDLED_CUSTOMERS = ROOT / "data" / "raw" / "smartcart" / "marketing_campaign.csv"
SMALL_INVOICES = FIXTURES / "invoices_small.csv"
# Persistent `<model>__dbt_tmp<time>` staging tables of incremental models (dbt_project/macros/python_models.sql):
# a build database should hold none after a build.
STAGING_TABLES_LEFT = (
    "select schema_name, table_name from duckdb_tables() where not temporary and table_name like '%dbt_tmp%'"
)
BUNDLED_INVOICES = ROOT / "data" / "raw" / "online_retail" / "online_retail_2010-12_to_2011-02.csv"


def customers_with(path: Path, changes: dict[tuple[int, str], str]) -> Path:
    """Write the small fixture to ``path`` with fields changed: {(data row, 1-based; column): value}."""
    lines = SMALL_CUSTOMERS.read_text().splitlines()
    header = lines[0].split("\t")
    for (row, column), value in changes.items():
        fields = lines[row].split("\t")
        fields[header.index(column)] = value
        lines[row] = "\t".join(fields)
    path.write_text("\n".join(lines) + "\n")
    return path


T = TypeVar("T")


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]) -> T:
    """``make(folder)`` once per test session, however many xdist workers ask for it.

    Each worker builds its session and module fixtures itself, so a build two workers need (a session
    fixture, or a module whose tests the scheduler splits) would run twice. The first worker to ask builds
    into a folder beside the workers' own (the session's base temp) under a file lock and leaves its result
    there (pickled); the others wait for the lock and read it. Only for fixtures whose tests read, never
    write, what was built."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        folder, result = shared / name, shared / f"{name}.pickle"
        if result.exists():
            return pickle.loads(result.read_bytes())
        shutil.rmtree(folder, ignore_errors=True)  # a build that failed in another worker
        folder.mkdir()
        made = make(folder)
        result.write_bytes(pickle.dumps(made))
        return made


@dataclass
class Build:
    """One dbt invocation into its own warehouse, artifacts and reports folders."""

    workdir: Path
    returncode: int = -1
    output: str = ""
    project: Path | None = None  # a copy of the project to build instead of the repository

    @property
    def database(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    @property
    def artifacts(self) -> Path:
        return self.workdir / "artifacts"

    @property
    def reports(self) -> Path:
        return self.workdir / "reports"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SMARTCART_DUCKDB_PATH": str(self.database),
            "SMARTCART_ARTIFACTS_DIR": str(self.artifacts),
            "SMARTCART_REPORTS_DIR": str(self.reports),
            "DBT_TARGET_PATH": str(self.workdir / "target"),
            "DBT_LOG_PATH": str(self.workdir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def dbt(self, *arguments: str, dbt_vars: dict | None = None) -> Build:
        """dbt in a subprocess; the small invoices fixture unless the test names an invoices file."""
        dbt_vars = {"invoices_file": str(SMALL_INVOICES), **(dbt_vars or {})}
        project = self.project or ROOT
        result = subprocess.run(
            dbt_command(list(arguments), dbt_vars, project),
            cwd=project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        self.returncode, self.output = result.returncode, result.stdout + result.stderr
        return self

    def smartcart(self, *arguments: str) -> subprocess.CompletedProcess:
        """The `smartcart` console script, as users run it, against this build's warehouse."""
        command = [str(Path(sys.executable).parent / "smartcart"), *arguments]
        if arguments and arguments[0] == "run":
            command += ["--db", str(self.database)]
            if "--invoices-file" not in arguments:
                command += ["--invoices-file", str(SMALL_INVOICES)]
        return subprocess.run(command, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=1200)

    def query(self, sql: str, database: Path | None = None) -> pd.DataFrame:
        with duckdb.connect(str(database or self.database), read_only=True) as connection:
            return connection.execute(sql).df()

    def query_build_database(self, sql: str) -> pd.DataFrame:
        """The build database (profiles.yml: the published path + '.build'): every model, published or not."""
        return self.query(sql, self.database.with_name(self.database.name + ".build"))

    def tables(self) -> set[str]:
        if not self.database.exists():
            return set()
        return set(self.query("select table_name from information_schema.tables")["table_name"])


@pytest.fixture
def build(tmp_path: Path) -> Build:
    return Build(tmp_path)


def copy_project(target: Path) -> Path:
    """The project's files as a fresh clone has them (tracked and new, not ignored), copied to ``target``."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def full_build(folder: Path, dbt_vars: dict) -> Build:
    result = Build(folder).dbt("build", dbt_vars=dbt_vars)
    assert result.returncode == 0, result.output[-4000:]
    return result


@pytest.fixture(scope="session")
def bundled_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """One full dbt build of the bundled data of every source (the files a fresh clone ships)."""
    files = {"customers_file": str(BUNDLED_CUSTOMERS), "invoices_file": str(BUNDLED_INVOICES)}
    return built_once(tmp_path_factory, "bundled", lambda folder: full_build(folder, files))


def upstream_of(*models: str) -> list[str]:
    """dbt arguments that build ``models`` and every model they read, without dbt's data tests (a test of a
    selected model may also read a model outside the selection, which a fresh folder does not have)."""
    return ["--select", *(f"+{model}" for model in models), "--exclude", "resource_type:test"]


def copy_of(build: Build, folder: Path) -> Build:
    """A copy of a finished build (warehouse, build database, models, reports, dbt target) to build on further,
    for a test that would otherwise begin with the same build of its own."""
    return Build(shutil.copytree(build.workdir, folder), build.returncode, build.output, build.project)


@pytest.fixture(scope="session")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """One full dbt build of the small fixture, shared by the read-only integration tests."""
    files = {"customers_file": str(SMALL_CUSTOMERS)}
    return built_once(tmp_path_factory, "small_build", lambda folder: full_build(folder, files))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Spark modules first: their builds are the longest of the suite (minutes), so under xdist a worker
    starts them at once while the other works through the rest, instead of a worker finding one last and the
    other, done, waiting for it (built_once). A stable sort: the order is otherwise as collected, the same
    on every worker, as xdist requires."""
    items.sort(key=lambda item: not item.nodeid.startswith("tests/spark/"))
