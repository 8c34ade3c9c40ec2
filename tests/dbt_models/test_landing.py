"""The landing reads only the new files of the events source (ml/dbt_models/landing.py)."""

import duckdb
import pytest

from ml.dbt_models.landing import COLUMNS, LANDING_COLUMNS, new_events

HEADER = ",".join(COLUMNS)


def event_line(day: int, user: int) -> str:
    return f"2019-10-0{day} 10:00:00 UTC,view,1,2,,,1.5,{user},s{user}"


@pytest.fixture
def folder(tmp_path):
    for day in (1, 2, 3):
        lines = [HEADER] + [event_line(day, user) for user in range(day)]
        (tmp_path / f"events_{day}.csv").write_text("\n".join(lines) + "\n")
    return tmp_path


def source_of(connection, path: str):
    """A reader written as the source clickstream.events writes it (its external_location)."""
    escaped = path.replace("'", "''")
    return connection.query(
        f"select * from read_csv('{escaped}', header = true, filename = true, "
        "types = {'event_time': 'TIMESTAMP', 'user_id': 'BIGINT', 'price': 'DOUBLE'}, "
        "timestampformat = '%Y-%m-%d %H:%M:%S UTC')"
    )


def landed_files(connection, relation) -> dict[str, int]:
    rows = relation.aggregate("source_file, count(*) as n", "source_file").fetchall()
    return {file.rsplit("/", 1)[-1]: n for file, n in rows}


def test_only_files_not_landed_before_are_read(folder):
    connection = duckdb.connect()
    path = str(folder / "*.csv")
    first = str(folder / "events_1.csv")
    relation = new_events(source_of(connection, path), connection, path, None, [(first, None)], "load-2")
    assert landed_files(connection, relation) == {"events_2.csv": 2, "events_3.csv": 3}
    assert [c for c in relation.columns if c in LANDING_COLUMNS] == LANDING_COLUMNS
    # The reader was narrowed: its text names the new files, not the glob (which would open every file).
    assert "events_2.csv" in relation.sql_query() and "*.csv" not in relation.sql_query()


def test_a_source_written_otherwise_is_read_whole_and_filtered(folder):
    connection = duckdb.connect()
    path = str(folder / "*.csv")
    other = connection.query(f"select * from read_csv('{folder}/events_*.csv', header = true, filename = true)")
    relation = new_events(other, connection, path, None, [(str(folder / "events_1.csv"), None)], "load-2")
    assert landed_files(connection, relation) == {"events_2.csv": 2, "events_3.csv": 3}


def test_a_file_name_that_reads_as_a_glob_keeps_the_whole_reader(tmp_path):
    (tmp_path / "events_[a].csv").write_text(HEADER + "\n" + event_line(1, 7) + "\n")
    (tmp_path / "events_b.csv").write_text(HEADER + "\n" + event_line(2, 8) + "\n")
    connection = duckdb.connect()
    path = str(tmp_path / "events_*.csv")
    relation = new_events(source_of(connection, path), connection, path, None, [], "load-1")
    assert landed_files(connection, relation) == {"events_[a].csv": 1, "events_b.csv": 1}
