import duckdb
import pytest

from ml.dbt_models.publishing import publish_tables


@pytest.fixture
def build_db(tmp_path):
    connection = duckdb.connect(str(tmp_path / "build.duckdb"))
    connection.execute("create table persona_profiles as select 'A' as persona_name, 3 as member_count")
    connection.execute(
        "create table run_summary as select 'run-1' as run_id, timestamp '2026-01-01' as run_started_at, "
        "'built' as outcome"
    )
    yield connection
    connection.close()


def read(path, sql):
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_publication_swaps_in_a_complete_copy(build_db, tmp_path):
    target = tmp_path / "published.duckdb"
    counts = publish_tables(build_db, "build", "main", ["persona_profiles", "run_summary"], target, "run-1")
    assert counts.to_dict("records") == [
        {"table_name": "persona_profiles", "row_count": 1},
        {"table_name": "run_summary", "row_count": 1},
    ]
    assert read(target, "select outcome from run_summary") == [("published",)]
    assert build_db.execute("select outcome from run_summary").fetchall() == [("published",)]
    assert not list(tmp_path.glob(".published.duckdb.*"))


def test_a_failed_validation_leaves_the_published_file_untouched(build_db, tmp_path):
    target = tmp_path / "published.duckdb"
    publish_tables(build_db, "build", "main", ["persona_profiles"], target)
    before = target.read_bytes()
    build_db.execute("update persona_profiles set member_count = 4")

    def refuse():
        raise RuntimeError("expectations failed")

    with pytest.raises(RuntimeError, match="expectations failed"):
        publish_tables(build_db, "build", "main", ["persona_profiles"], target, validate=refuse)
    assert target.read_bytes() == before
    assert read(target, "select member_count from persona_profiles") == [(3,)]
    assert not list(tmp_path.glob(".published.duckdb.*"))


def test_the_build_database_is_never_the_published_one(build_db, tmp_path):
    with pytest.raises(ValueError, match="must not be the build database"):
        publish_tables(build_db, "build", "main", ["persona_profiles"], tmp_path / "build.duckdb")


def test_a_view_is_published_as_a_table_with_its_types_and_descriptions(build_db, tmp_path):
    # A segmentation may publish a model materialised as a view (registry published_tables): readers get rows.
    build_db.execute(
        "create view persona_shares as select persona_name, cast(member_count as double) / 4 as share "
        "from persona_profiles"
    )
    build_db.execute("comment on view persona_shares is 'Share of members per persona.'")
    build_db.execute("comment on column persona_shares.share is 'Members over four.'")
    target = tmp_path / "published.duckdb"
    counts = publish_tables(build_db, "build", "main", ["persona_shares"], target)
    assert counts.to_dict("records") == [{"table_name": "persona_shares", "row_count": 1}]
    assert read(target, "select table_name, comment from duckdb_tables()") == [
        ("persona_shares", "Share of members per persona.")
    ]
    columns = "select column_name, data_type, comment from duckdb_columns() where table_name = 'persona_shares'"
    assert read(target, columns + " order by column_index") == [
        ("persona_name", "VARCHAR", None),
        ("share", "DOUBLE", "Members over four."),
    ]
    assert read(target, "select * from persona_shares") == [("A", 0.75)]


def test_a_missing_relation_stops_the_publication(build_db, tmp_path):
    with pytest.raises(ValueError, match="neither a table nor a view"):
        publish_tables(build_db, "build", "main", ["no_such_table"], tmp_path / "published.duckdb")
    assert not list(tmp_path.glob(".published.duckdb.*"))
