"""Migrations as an operator runs them (Alembic with the database's URL and an engine of its
own), on a database of their own, on SQLite and on PostgreSQL: from an empty database to
head; down and up again one revision at a time over the demo data, keeping every row of
every table a step does not remove and giving back the schema it had; down to nothing and up
again. `alembic check` (the models against the database) is clean after each way up."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import column, func, inspect, select, table, text
from sqlalchemy.engine import Engine

from portal.cli import alembic_config
from portal.db import Base
from tests.assurance import record
from tests.conftest import live_database_url, make_test_app

VERSION_TABLE = "alembic_version"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The portal on a database of its own, which these tests migrate back and forth."""
    flask_app = make_test_app(live_database_url(tmp_path_factory, "migrations"),
                              str(tmp_path_factory.mktemp("migrations-instance")))
    yield flask_app
    engine(flask_app).dispose()


def engine(flask_app: Flask) -> Engine:
    return flask_app.extensions["vektor.db"]["engine"]


def operator_config(flask_app: Flask) -> Config:
    """The portal's Alembic configuration pointed at the database by URL, so that the
    migrations open their own connection the way `flask portal migrate` and `alembic` do
    (on SQLite that is where the foreign-key pragma is handled)."""
    config = alembic_config()
    config.attributes["configure_logger"] = False
    url = engine(flask_app).url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def revisions_down_from_head(config: Config) -> list[Any]:
    """Every revision, newest first."""
    return list(ScriptDirectory.from_config(config).walk_revisions())


def current_revision(flask_app: Flask) -> str | None:
    with engine(flask_app).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def empty_database(flask_app: Flask) -> None:
    """Start from nothing, whatever an earlier test or run left: a SQLite file is removed;
    on PostgreSQL every table is dropped with what depends on it."""
    live = engine(flask_app)
    live.dispose()
    if live.dialect.name == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{live.url.database}{suffix}").unlink(missing_ok=True)
    else:
        with live.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            for table in inspect(conn).get_table_names():
                conn.execute(text(f"DROP TABLE IF EXISTS {quote(table)} CASCADE"))
    assert table_names(flask_app) == set()


def table_names(flask_app: Flask) -> set[str]:
    with engine(flask_app).connect() as conn:
        return set(inspect(conn).get_table_names())


def seed_demo_data(flask_app: Flask) -> None:
    result = flask_app.test_cli_runner().invoke(args=["portal", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data created." in result.output


# --- what a table holds, and what shape it has -----------------------------------------------


def data_of(flask_app: Flask) -> dict[str, dict[str, str]]:
    """For each table (the version table aside): a digest of each column's values over the
    rows in primary-key order, so that two moments compare on the columns both have."""
    found: dict[str, dict[str, str]] = {}
    with engine(flask_app).connect() as conn:
        inspector = inspect(conn)
        columns = inspector.get_multi_columns()
        keys = inspector.get_multi_pk_constraint()
        for key, table_columns in columns.items():
            name_of_table = key[1]
            if name_of_table == VERSION_TABLE:
                continue
            names = [c["name"] for c in table_columns]
            order = keys[key]["constrained_columns"]
            rows = conn.execute(select(*(column(n) for n in names))
                                .select_from(table(name_of_table))
                                .order_by(*(column(n) for n in order))).all()
            found[name_of_table] = {
                name: hashlib.sha256(repr([row[n] for row in rows]).encode()).hexdigest()
                for n, name in enumerate(names)
            }
    return found


def row_counts(flask_app: Flask) -> dict[str, int]:
    with engine(flask_app).connect() as conn:
        return {t: int(conn.scalar(select(func.count()).select_from(table(t))) or 0)
                for t in inspect(conn).get_table_names() if t != VERSION_TABLE}


def schema_of(flask_app: Flask) -> dict[str, Any]:
    """Each table's columns (type, nullability), primary key, foreign keys, unique and check
    constraints and indexes, as sets, so that the order a table's copy was rebuilt in (batch
    mode on SQLite) does not count, but any lost or changed piece does."""
    with engine(flask_app).connect() as conn:
        inspector = inspect(conn)
        columns, keys = inspector.get_multi_columns(), inspector.get_multi_pk_constraint()
        foreign = inspector.get_multi_foreign_keys()
        unique = inspector.get_multi_unique_constraints()
        checks, indexes = inspector.get_multi_check_constraints(), inspector.get_multi_indexes()
        return {
            key[1]: {
                "columns": {(c["name"], str(c["type"]), c["nullable"]) for c in columns[key]},
                "primary key": tuple(keys[key]["constrained_columns"]),
                "foreign keys": {(fk["name"], tuple(fk["constrained_columns"]),
                                  fk["referred_table"], tuple(fk["referred_columns"]),
                                  (fk.get("options") or {}).get("ondelete"))
                                 for fk in foreign[key]},
                "unique": {(u["name"], tuple(u["column_names"])) for u in unique[key]},
                "checks": {c["name"] for c in checks[key]},
                "indexes": {(i["name"], tuple(i["column_names"]), bool(i["unique"]))
                            for i in indexes[key]},
            }
            for key in columns
        }


def assert_kept(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> None:
    """Every table present at both moments holds the same rows in every column it still
    has: a step changes only what it removes or adds."""
    for name in before.keys() & after.keys():
        common = before[name].keys() & after[name].keys()
        assert common, name
        changed = sorted(c for c in common if before[name][c] != after[name][c])
        assert not changed, f"{name}: {changed} changed"


# --- the tests --------------------------------------------------------------------------------


def test_upgrade_from_an_empty_database_gives_the_models_schema(live_app):
    """A new installation: every table of the models, at the newest revision, no difference
    left for `alembic check`."""
    config = operator_config(live_app)
    empty_database(live_app)
    command.upgrade(config, "head")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert current_revision(live_app) == head
    assert table_names(live_app) == set(Base.metadata.tables) | {VERSION_TABLE}
    command.check(config)  # raises AutogenerateDiffsDetected on any difference


def test_every_revision_goes_down_and_up_again_over_the_demo_data(live_app):
    """From head, each revision in turn: down one step (the data of every table the step
    does not drop is untouched), up again (the schema is what it was, and nothing that
    survived the way down changed), and down once more to reach the next one."""
    config = operator_config(live_app)
    empty_database(live_app)
    command.upgrade(config, "head")
    seed_demo_data(live_app)
    revisions = revisions_down_from_head(config)
    assert len(revisions) >= 2  # a step down that leaves something to keep
    demo_rows = row_counts(live_app)
    assert all(demo_rows[t] for t in ("applications", "reviews", "decisions", "payments"))

    for position, revision in enumerate(revisions):
        below = revision.down_revision or "base"
        schema_here, data_here = schema_of(live_app), data_of(live_app)

        command.downgrade(config, below)
        record("migration revisions taken down and up over the demo data")
        assert current_revision(live_app) == revision.down_revision
        assert schema_of(live_app) != schema_here, f"{revision.revision} undid nothing"
        data_below = data_of(live_app)
        assert_kept(data_here, data_below)

        command.upgrade(config, revision.revision)
        assert current_revision(live_app) == revision.revision
        assert schema_of(live_app) == schema_here, revision.revision
        assert_kept(data_below, data_of(live_app))
        if position == 0:
            # The round trip of the newest migration leaves a database the models match.
            command.check(config)

        command.downgrade(config, below)
    assert table_names(live_app) <= {VERSION_TABLE}

    command.upgrade(config, "head")
    command.check(config)


def test_down_to_nothing_from_the_demo_data_and_up_again(live_app):
    """Straight down to base from the demo data (the data goes with its tables), then up to
    head: the same schema as before, the models match it, and the demo data goes in again."""
    config = operator_config(live_app)
    empty_database(live_app)
    command.upgrade(config, "head")
    seed_demo_data(live_app)
    schema_at_head = schema_of(live_app)

    command.downgrade(config, "base")
    assert current_revision(live_app) is None
    assert table_names(live_app) <= {VERSION_TABLE}  # the data went with its tables

    command.upgrade(config, "head")
    assert schema_of(live_app) == schema_at_head
    command.check(config)
    assert set(row_counts(live_app).values()) == {0}
    seed_demo_data(live_app)  # and the rebuilt database takes the demo data again


def test_the_migrations_fill_in_what_they_add_to_existing_data(live_app):
    """Taken down below the ranking tokens and the assignments' call, and up again over the
    demo data: every call has a token, and every assignment its application's call."""
    config = operator_config(live_app)
    empty_database(live_app)
    command.upgrade(config, "head")
    seed_demo_data(live_app)
    command.downgrade(config, "a60b9439aebb")  # before both
    command.upgrade(config, "head")
    with engine(live_app).connect() as conn:
        calls = conn.scalar(text("SELECT count(*) FROM calls"))
        tokens = conn.execute(text("SELECT call_id, token FROM ranking_versions")).all()
        assignments = conn.scalar(text("SELECT count(*) FROM assignments"))
        mismatched = conn.scalar(text(
            "SELECT count(*) FROM assignments JOIN applications"
            " ON applications.id = assignments.application_id"
            " WHERE assignments.call_id IS NULL OR assignments.call_id != applications.call_id"))
    assert calls and len(tokens) == calls and len({token for _call, token in tokens}) == calls
    assert assignments and mismatched == 0
