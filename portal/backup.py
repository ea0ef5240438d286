"""Backups that restore: the database as one consistent snapshot taken while the portal runs
(SQLite's online backup; PostgreSQL's pg_dump), then the attachments and the generated
documents, into one folder with a manifest of SHA-256 checksums; and putting such a folder
back. The database is copied first: a file its snapshot names was written before the
snapshot's commit, so it is there to copy; a file added after it is kept too, unused."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import inspect, select, table, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_DUMP_FILE = "database.pgdump"
# The folders of files kept beside the database: name in the backup -> configuration key.
FILE_SECTIONS = {"uploads": "UPLOAD_DIR", "jobs": "JOBS_DIR"}
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    method: str
    file_count: int
    file_bytes: int


@dataclass(frozen=True)
class RestoreResult:
    method: str
    file_count: int
    revision: str | None


# --- shared pieces ----------------------------------------------------------------------


def _engine(app: Flask) -> Engine:
    return app.extensions["vektor.db"]["engine"]


def _url(app: Flask) -> URL:
    return make_url(app.config["DATABASE_URL"])


def _backend(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _schema_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError:
        return None


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on the PATH. Install the PostgreSQL client tools of the "
            f"server's major version (Debian/Ubuntu: apt-get install postgresql-client)."
        )
    return found


def _pg_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq address without the password, and the environment that carries it (a
    password on the command line would show in the process list)."""
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return dsn, env


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed tool found on the PATH, no shell
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.returncode}")
    return result.stdout.strip()


def _tool_version(tool: str) -> str:
    return _run([tool, "--version"], dict(os.environ), tool)


# --- backing up ---------------------------------------------------------------------------


def _backup_sqlite(url: URL, target: Path, busy_timeout_ms: int) -> str:
    """SQLite's online backup in a single step: one read transaction, so one consistent
    moment, while writers carry on (WAL). The copy is then made self-contained (no WAL)
    and checked."""
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"The SQLite database {source_path} does not exist.")
    source = sqlite3.connect(source_path, timeout=busy_timeout_ms / 1000)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        copy.close()
        source.close()
    if verdict != "ok":
        raise BackupError(f"The copy of the SQLite database failed its check: {verdict}")
    return "SQLite online backup"


def _backup_postgresql(url: URL, target: Path) -> str:
    """pg_dump in its custom format: one snapshot of the whole database, taken without
    stopping anybody, restored with pg_restore."""
    tool = _pg_tool("pg_dump")
    dsn, env = _pg_connection(url)
    _run([tool, "--format=custom", "--file", str(target), "--dbname", dsn], env, "pg_dump")
    return f"pg_dump, custom format ({_tool_version(tool)})"


def _files_of(folder: Path, skip: Path) -> Iterator[Path]:
    """The files under `folder` to keep, in a stable order: not the half-written ones (their
    names begin with a dot), and nothing inside the backup's own destination."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and not path.resolve().is_relative_to(skip):
            yield path


def _copy_files(app: Flask, target: Path, skip: Path) -> list[dict[str, Any]]:
    entries = []
    for section, key in FILE_SECTIONS.items():
        folder = Path(app.config[key])
        for path in _files_of(folder, skip):
            relative = Path(section) / path.relative_to(folder)
            destination = target / "files" / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(path, destination)
            except FileNotFoundError:  # removed since it was listed: nothing names it now
                continue
            entries.append({"path": relative.as_posix(), "size": destination.stat().st_size,
                            "sha256": sha256_of(destination)})
    return entries


def create_backup(app: Flask, destination: Path) -> BackupResult:
    """Write a backup of `app`'s database and files into a new folder under `destination`
    (named by the moment, in UTC) and return it. The folder appears only when complete."""
    url = _url(app)
    backend = _backend(url)
    destination.mkdir(parents=True, exist_ok=True)
    moment = datetime.now(UTC)
    final = destination / f"vektor-backup-{moment:%Y%m%dT%H%M%S%fZ}"
    partial = destination / f".{final.name}.partial"
    partial.mkdir()
    try:
        revision = _schema_revision(_engine(app))
        if backend == "sqlite":
            database_file = SQLITE_FILE
            method = _backup_sqlite(url, partial / database_file,
                                    app.config["SQLITE_BUSY_TIMEOUT_MS"])
        else:
            database_file = PG_DUMP_FILE
            method = _backup_postgresql(url, partial / database_file)
        files = _copy_files(app, partial, destination.resolve())
        manifest = {
            "format": FORMAT,
            "created_at": moment.isoformat(),
            "engine": backend,
            "schema_revision": revision,
            "database": {"file": database_file, "method": method,
                         "size": (partial / database_file).stat().st_size,
                         "sha256": sha256_of(partial / database_file)},
            "files": files,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False),
                                        encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupResult(final, method, len(files), sum(f["size"] for f in files))


# --- restoring ----------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    """The backup's manifest, after checking that every file it lists is there, inside the
    backup, with its checksum."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{source} is not a backup of the portal: it has no {MANIFEST}.") \
            from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} was written in another backup format.")
    listed = [(manifest["database"]["file"], manifest["database"]["sha256"])]
    listed += [(f"files/{entry['path']}", entry["sha256"]) for entry in manifest["files"]]
    for relative, checksum in listed:
        path = Path(relative)
        if path.is_absolute() or ".." in path.parts:
            raise BackupError(f"The manifest names a file outside the backup: {relative}")
        if not (source / path).is_file() or sha256_of(source / path) != checksum:
            raise BackupError(f"{relative} is missing from the backup or has changed since it "
                              f"was written; the backup cannot be trusted.")
    return manifest


def database_has_data(engine: Engine) -> bool:
    """Whether any table holds a row (the schema alone, as `portal migrate` leaves it, does
    not count)."""
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            if name != "alembic_version" and conn.execute(
                select(text("1")).select_from(table(name)).limit(1)
            ).first():
                return True
    return False


def _folder_has_files(folder: Path) -> bool:
    return folder.is_dir() and any(path.is_file() for path in folder.rglob("*"))


def _restore_sqlite(url: URL, dump: Path) -> str:
    target_path = _sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(dump)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return "SQLite online backup"


def _restore_postgresql(url: URL, dump: Path) -> str:
    """pg_restore in one transaction: the database ends as the backup, or as it was."""
    tool = _pg_tool("pg_restore")
    dsn, env = _pg_connection(url)
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", "--dbname", dsn, str(dump)],
         env, "pg_restore")
    return f"pg_restore ({_tool_version(tool)})"


def _restore_files(app: Flask, source: Path, entries: list[dict[str, Any]]) -> int:
    for entry in entries:
        relative = Path(entry["path"])
        section, rest = relative.parts[0], Path(*relative.parts[1:])
        if section not in FILE_SECTIONS:
            raise BackupError(f"The manifest names an unknown folder: {entry['path']}")
        destination = Path(app.config[FILE_SECTIONS[section]]) / rest
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "files" / relative, destination)
    return len(entries)


def restore_backup(app: Flask, source: Path, *, force: bool = False) -> RestoreResult:
    """Put the backup in `source` back into `app`'s database and folders. Refuses a database
    that holds data, or folders that hold files, unless `force`; the portal and its workers
    must be stopped meanwhile."""
    manifest = read_manifest(source)
    url = _url(app)
    backend = _backend(url)
    if manifest["engine"] != backend:
        raise BackupError(f"The backup is of a {manifest['engine']} database; the portal is "
                          f"configured for {backend}.")
    engine = _engine(app)
    if not force:
        if database_has_data(engine):
            raise BackupError("The database already holds data. Restore into an empty "
                              "database, or add --force to replace what it holds.")
        full = [key for key in FILE_SECTIONS.values() if _folder_has_files(Path(app.config[key]))]
        if full:
            raise BackupError(f"{', '.join(app.config[k] for k in full)} already hold files. "
                              f"Restore into empty folders, or add --force.")
    engine.dispose()  # no connection of ours may hold a lock the restore needs
    dump = source / manifest["database"]["file"]
    if backend == "sqlite":
        method = _restore_sqlite(url, dump)
    else:
        method = _restore_postgresql(url, dump)
    count = _restore_files(app, source, manifest["files"])
    return RestoreResult(method, count, manifest.get("schema_revision"))
