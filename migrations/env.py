"""Alembic environment: the portal's models and engine (SQLite pragmas included), batch
mode on SQLite so that ALTERs work there, and types rendered as their plain SQL types."""

from __future__ import annotations

import os
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlalchemy.types import TypeDecorator

import portal.models  # noqa: F401 - registers every table on Base.metadata
from portal.config import PROJECT_ROOT, load_config
from portal.db import Base, make_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    instance = os.environ.get("PORTAL_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    Path(instance).mkdir(parents=True, exist_ok=True)
    return load_config(instance)["DATABASE_URL"]


def render_item(type_: str, obj, autogen_context):
    """Write the portal's column types (Money, UTCDateTime) as their SQL types, so that a
    migration never depends on application code that may change later."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return repr_impl(obj, autogen_context)
    return False


def repr_impl(obj: TypeDecorator, autogen_context) -> str:
    from alembic.autogenerate.render import _repr_type

    return _repr_type(obj.impl, autogen_context)


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    # Batch mode on SQLite copies a table, drops the original and renames the copy; with
    # foreign keys enforced that DROP fails (or cascades) once other tables refer to its
    # rows, so a migration of a database with data would break. SQLite honours the pragma
    # only outside a transaction: switch it off before the migrations begin, check every
    # reference before they commit, and switch it on again for the pooled connection.
    foreign_keys_off = sqlite and not connection.in_transaction()
    if foreign_keys_off:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
            if foreign_keys_off:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"The migration leaves broken references: {broken}")
    finally:
        if foreign_keys_off:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
