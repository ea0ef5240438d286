"""Backups that restore: `portal backup` takes a consistent snapshot of a seeded database
while a thread keeps committing to it (SQLite's online backup, or pg_dump on PostgreSQL),
with the attachments and generated documents; `portal restore` puts it into an empty
database and empty folders, and every table (every row) and every file (by checksum) is
what the database and folders held at the snapshot. A restore refuses a database that
holds data, and a backup whose files changed."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from portal.db import utcnow
from portal.demo import seed_demo
from portal.models import AuditEvent, OutboxMessage
from tests.conftest import (
    TEST_DATABASE_URL,
    live_database_url,
    make_test_app,
    reset_schema,
    scratch_database,
    service_unavailable,
)

WRITES_BEFORE = 5  # commits before the backup starts
WRITES_AFTER = 5  # commits after it ends
MAX_WRITES = 5000  # the writer's bound, whatever happens


def engine_of(app: Flask) -> Engine:
    return app.extensions["vektor.db"]["engine"]


def all_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table as the database holds it (money in kopecks, timestamps as
    stored), ordered by primary key."""
    with engine.connect() as conn:
        inspector = inspect(conn)
        tables = {}
        for name in inspector.get_table_names():
            key = inspector.get_pk_constraint(name)["constrained_columns"]
            order = ", ".join(f'"{column}"' for column in key) or "1"
            rows = conn.execute(text(f'SELECT * FROM "{name}" ORDER BY {order}'))  # noqa: S608
            tables[name] = [dict(row._mapping) for row in rows]
        return tables


def checksums(app: Flask) -> dict[str, str]:
    result = {}
    for key in ("UPLOAD_DIR", "JOBS_DIR"):
        folder = Path(app.config[key])
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                relative = f"{key}/{path.relative_to(folder).as_posix()}"
                result[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def put_files(app: Flask) -> None:
    """Attachments and a generated archive, as the portal stores them (names it made, one
    in a subfolder), and a half-written archive that a backup must leave out."""
    uploads, jobs = Path(app.config["UPLOAD_DIR"]), Path(app.config["JOBS_DIR"])
    (uploads / "scans").mkdir(parents=True, exist_ok=True)
    jobs.mkdir(parents=True, exist_ok=True)
    (uploads / "3f9a1c.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    (uploads / "scans" / "agreement-7.pdf").write_bytes(b"%PDF-1.4 signed scan\n" * 500)
    (jobs / "budgets-1-abcdef.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 4096)
    (jobs / ".budgets-2-123456.zip.part").write_bytes(b"PK\x03\x04 partial")


class Writer(threading.Thread):
    """Commits one audit event and one outbox message together, again and again, until
    stopped: each pair is one transaction, numbered."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="backup-load", daemon=True)
        self.factory = app.extensions["vektor.db"]["sessionmaker"]
        self.committed: list[tuple[int, int, int]] = []  # (number, audit id, outbox id)
        self.begun = 0  # the last number whose commit has started
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.progress = threading.Condition()

    def run(self) -> None:
        try:
            for number in range(1, MAX_WRITES + 1):
                if self.stop.is_set():
                    return
                session = self.factory()
                try:
                    event = AuditEvent(action="load.write", object_type="load",
                                       object_id=str(number), occurred_at=utcnow())
                    message = OutboxMessage(recipient="load@example.org",
                                            subject=f"load {number}", body="load")
                    session.add_all([event, message])
                    self.begun = number
                    session.commit()
                    with self.progress:
                        self.committed.append((number, event.id, message.id))
                        self.progress.notify_all()
                finally:
                    session.close()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self.error = exc
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(
                lambda: len(self.committed) >= count or self.error or not self.is_alive(),
                timeout=120)
        assert self.error is None, self.error
        assert len(self.committed) >= count, "the writer stopped early"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The portal on a database of its own with the demo municipality and some files (the
    tests add rows to it, and never take any away)."""
    url = live_database_url(tmp_path_factory, "backup")
    flask_app = make_test_app(url, str(tmp_path_factory.mktemp("backup-source")))
    reset_schema(flask_app)
    with flask_app.app_context():
        session = flask_app.extensions["vektor.db"]["sessionmaker"]()
        seed_demo(session)
        session.commit()
        session.close()
    put_files(flask_app)
    yield flask_app
    engine_of(flask_app).dispose()


@pytest.fixture
def pg_tools() -> None:
    if TEST_DATABASE_URL and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        service_unavailable("pg_dump and pg_restore are needed to back up PostgreSQL")


def test_a_backup_under_write_load_restores_every_table_and_file(source, pg_tools, tmp_path):
    destination = tmp_path / "backups"
    writer = Writer(source)
    writer.start()
    try:
        writer.wait_for(WRITES_BEFORE)
        before = len(writer.committed)
        made = source.test_cli_runner().invoke(args=["portal", "backup", "--to",
                                                     str(destination)])
        after = writer.begun
        writer.wait_for(after + WRITES_AFTER)
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert not writer.is_alive() and writer.error is None, writer.error
    assert made.exit_code == 0, made.output
    method = "pg_dump, custom format" if TEST_DATABASE_URL else "SQLite online backup"
    assert f"Database: copied with {method}" in made.output
    assert "Files: 3 (" in made.output
    (backup,) = destination.iterdir()
    assert backup.name.startswith("vektor-backup-")
    assert str(backup) in made.output

    source_rows, source_files = all_rows(engine_of(source)), checksums(source)
    with scratch_database(TEST_DATABASE_URL or "sqlite://", tmp_path, "restore") as target_url:
        target = make_test_app(target_url, str(tmp_path / "target-instance"))
        try:
            restored = target.test_cli_runner().invoke(args=["portal", "restore", str(backup)])
            assert restored.exit_code == 0, restored.output
            assert "Files restored: 3." in restored.output
            target_rows = all_rows(engine_of(target))
            target_files = checksums(target)
            # The portal goes on in the restored database: new rows get new ids.
            with target.app_context():
                session = target.extensions["vektor.db"]["sessionmaker"]()
                session.add(AuditEvent(action="after.restore", occurred_at=utcnow()))
                session.commit()
                session.close()
        finally:
            engine_of(target).dispose()

    # The snapshot holds the first `taken` writes, each whole, none after it: everything
    # committed before the backup started, nothing committed after it ended.
    events = [row for row in target_rows["audit_events"] if row["action"] == "load.write"]
    taken = len(events)
    assert before <= taken <= after
    kept = writer.committed[:taken]
    assert [row["id"] for row in events] == [audit for _n, audit, _o in kept]
    later_events = {audit for _n, audit, _o in writer.committed[taken:]}
    later_messages = {outbox for _n, _a, outbox in writer.committed[taken:]}
    expected = dict(source_rows)
    expected["audit_events"] = [row for row in source_rows["audit_events"]
                                if row["id"] not in later_events]
    expected["outbox_messages"] = [row for row in source_rows["outbox_messages"]
                                   if row["id"] not in later_messages]
    assert set(target_rows) == set(expected)
    for name, rows in expected.items():
        assert target_rows[name] == rows, name
    assert sum(len(rows) for rows in target_rows.values()) > 100  # the demo, not an empty db

    assert target_files == {path: digest for path, digest in source_files.items()
                            if ".part" not in path}
    assert len(target_files) == 3


def test_restore_refuses_a_database_with_data_and_a_changed_backup(source, pg_tools, tmp_path):
    runner = source.test_cli_runner()
    made = runner.invoke(args=["portal", "backup", "--to", str(tmp_path)])
    assert made.exit_code == 0, made.output
    (backup,) = tmp_path.glob("vektor-backup-*")

    refused = runner.invoke(args=["portal", "restore", str(backup)])
    assert refused.exit_code == 1
    assert "The database already holds data" in refused.output

    manifest = json.loads((backup / "manifest.json").read_text())
    assert {entry["path"] for entry in manifest["files"]} == {
        "uploads/3f9a1c.pdf", "uploads/scans/agreement-7.pdf", "jobs/budgets-1-abcdef.zip"}
    (backup / "files" / "uploads" / "3f9a1c.pdf").write_bytes(b"%PDF-1.7 tampered")
    tampered = runner.invoke(args=["portal", "restore", "--force", str(backup)])
    assert tampered.exit_code == 1
    assert "uploads/3f9a1c.pdf is missing from the backup or has changed" in tampered.output
