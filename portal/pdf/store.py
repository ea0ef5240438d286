"""The store of final documents: each PDF is kept once in DOCUMENTS_DIR as `<key>.pdf`, where
the key is the SHA-256 of what the document prints and of RENDERER_VERSION: either the HTML
it is rendered from (document_key), or, for the documents downloaded most, every column of
every row it prints with the templates, the translations, the code that formats them, the
language and the time zone (rows_key), which needs no rendering. A changed figure gives
another key, so a stored PDF is never served for content it does not show. A PDF not read
for a while is removed by prune (`flask portal prune-documents`)."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import tempfile
import time
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import weasyprint
from flask import current_app
from flask_babel import get_locale, get_timezone, get_translations
from jinja2 import Template, meta
from sqlalchemy import inspect as orm_inspect
from sqlalchemy.orm import Mapper

# Raise it when the same HTML would come out as another PDF (the layout code, the fonts).
RENDERER_VERSION = f"weasyprint-{weasyprint.__version__}/1"
_KEY = re.compile(r"[0-9a-f]{64}")
# A stored PDF's modification time is the last time it was read, to within this interval.
READ_MARK_INTERVAL = timedelta(hours=1)
# A partial file (a render being written, or one a killed process left) older than this is
# no longer being written.
PARTIAL_STALE_AFTER = timedelta(days=1)
# The code that turns the rows of a rows-keyed document into the text it prints (the
# document functions, the formats of amounts and moments, the labels, the sections): it is
# hashed into rows_key, so a release that prints the same rows differently makes new keys.
PRINTING_MODULES = ("portal.pdf", "portal.money", "portal.labels", "portal.templating",
                    "portal.i18n", "portal.services.checks", "portal.models")
# Columns left out of rows_key, by class: bookkeeping no document prints that changes on
# its own. A call's counter of registration numbers moves with every submission, and would
# otherwise give every submitted application of an open call new keys each time.
UNPRINTED_COLUMNS = {"Call": frozenset({"last_sequence"})}


def document_key(html: str) -> str:
    """The key a document rendered from `html` is stored under."""
    digest = hashlib.sha256(RENDERER_VERSION.encode())
    digest.update(b"\0")
    digest.update(html.encode("utf-8"))
    return digest.hexdigest()


def documents_dir() -> Path:
    return Path(current_app.config["DOCUMENTS_DIR"])


def stored_path(key: str) -> Path:
    if not _KEY.fullmatch(key):
        raise ValueError("not a document key")
    return documents_dir() / f"{key}.pdf"


def load(key: str) -> bytes | None:
    """The stored PDF of `key`, or None when it has not been rendered (or was removed). A
    read moves the file's modification time forward (at most once per READ_MARK_INTERVAL,
    so that most reads write nothing): prune keeps what is still read."""
    path = stored_path(key)
    try:
        with path.open("rb") as stored:
            content = stored.read()
            modified = os.fstat(stored.fileno()).st_mtime
    except FileNotFoundError:
        return None
    now = time.time()
    if now - modified > READ_MARK_INTERVAL.total_seconds():
        try:
            os.utime(path, (now, now))
        except OSError:  # removed meanwhile, or a read-only folder: the content is read
            pass
    return content


def save(key: str, content: bytes) -> None:
    """Keep `content` under `key`, written whole or not at all: a reader (another portal
    process or worker) never sees half a file."""
    target = stored_path(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{key}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)


# --- keys made from the rows a document prints ----------------------------------------------

# Per loaded template and catalogue, so that a reloaded one (another object) is hashed anew.
_template_digests: weakref.WeakKeyDictionary[Template, tuple[str, tuple[str, ...]]] = (
    weakref.WeakKeyDictionary())
_translation_digests: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_code_digest: list[str] = []


def _template_digest(name: str) -> tuple[str, tuple[str, ...]]:
    """The hash of a template's source and the templates it extends or includes, for the
    template object the portal renders now (a reloaded template is another object)."""
    env = current_app.jinja_env
    template = env.get_template(name)
    known = _template_digests.get(template)
    if known is None:
        source = env.loader.get_source(env, name)[0]
        references = tuple(sorted(ref for ref in meta.find_referenced_templates(
            env.parse(source)) if ref))
        digest = hashlib.sha256(f"{name}\0{source}".encode()).hexdigest()
        known = _template_digests[template] = (digest, references)
    return known


def templates_digest(template_name: str) -> str:
    """The hash of a template and of every template it extends or includes, as loaded."""
    digest = hashlib.sha256()
    waiting, seen = [template_name], set()
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        source_digest, references = _template_digest(name)
        digest.update(f"{name}\0{source_digest}\0".encode())
        waiting.extend(references)
    return digest.hexdigest()


def _translations_digest() -> str:
    """The hash of the catalogue the current language is translated with (as loaded)."""
    translations = get_translations()
    known = _translation_digests.get(translations)
    if known is None:
        catalogue = getattr(translations, "_catalog", {})
        encoded = json.dumps(sorted((repr(k), v) for k, v in catalogue.items()),
                             ensure_ascii=False)
        known = _translation_digests[translations] = hashlib.sha256(
            encoded.encode("utf-8")).hexdigest()
    return known


def _printing_code_digest() -> str:
    """The hash of the source of PRINTING_MODULES (packages with every module in them), read
    once: the code does not change while the process runs."""
    if not _code_digest:
        digest = hashlib.sha256()
        for name in PRINTING_MODULES:
            origin = Path(importlib.import_module(name).__file__ or "")
            files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" \
                else [origin]
            for path in files:
                digest.update(f"{name}/{path.relative_to(origin.parent)}\0".encode())
                digest.update(path.read_bytes())
        _code_digest.append(digest.hexdigest())
    return _code_digest[0]


def _value(value: Any) -> Any:
    """A column's value as the key holds it, the same whether it was just set or read back
    from the database: a quantity set as 2 reads back as 2.000, a moment in UTC."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    return value


def _row(value: Any) -> Any:
    """A row as the key holds it: a mapped object as its class and every column's value; a
    list of them as a list; None as None."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [_row(item) for item in value]
    state = orm_inspect(value)
    loaded = state.dict  # read directly: an attribute access costs more than the rest here
    return [state.class_.__name__,
            [_value(loaded[key] if key in loaded else getattr(value, key))
             for key in _column_keys(state.mapper)]]


@cache
def _column_keys(mapper: Mapper[Any]) -> tuple[str, ...]:
    unprinted = UNPRINTED_COLUMNS.get(mapper.class_.__name__, frozenset())
    return tuple(column.key for column in mapper.column_attrs if column.key not in unprinted)


def rows_key(template_name: str, rows: Iterable[Any]) -> str:
    """The key of the document templates/pdf/<template_name> rendered from `rows` (mapped
    objects, lists of them, or None for a row it does not have) in the current language and
    time zone. It hashes every column of every row, not only the ones printed today, and
    the templates, the loaded catalogue and the code (PRINTING_MODULES) that print them, so
    that no change to what the document shows keeps its key. Pass every row whose values
    the document's template reaches."""
    content = [
        RENDERER_VERSION, _printing_code_digest(), templates_digest(f"pdf/{template_name}"),
        str(get_locale()), _translations_digest(), str(get_timezone()),
        [_row(row) for row in rows],
    ]
    encoded = json.dumps(content, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(b"rows\0" + encoded.encode("utf-8")).hexdigest()


# --- pruning --------------------------------------------------------------------------------


def prune(unread_for: timedelta) -> int:
    """Remove the stored PDFs not read for `unread_for` (superseded by another key, or no
    longer downloaded) and partial files older than PARTIAL_STALE_AFTER; returns how many
    PDFs were removed. Safe beside running portals sharing the folder: a file being served is
    read from its open handle, each file's age is read just before it is removed, and a
    document removed too early is rendered again on its next download."""
    folder = documents_dir()
    if not folder.is_dir():
        return 0
    now = time.time()
    removed = 0
    for path in folder.iterdir():
        is_partial = path.name.startswith(".") and path.name.endswith(".part")
        if not (is_partial or (path.suffix == ".pdf" and _KEY.fullmatch(path.stem))):
            continue
        limit = PARTIAL_STALE_AFTER if is_partial else unread_for
        try:
            if now - path.stat().st_mtime <= limit.total_seconds():
                continue
            path.unlink()
        except FileNotFoundError:  # removed by another instance meanwhile
            continue
        removed += 0 if is_partial else 1
    return removed
