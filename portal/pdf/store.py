"""The store of final documents: each PDF is kept once in DOCUMENTS_DIR as `<key>.pdf`, where
the key is the SHA-256 of the HTML it is rendered from (which prints every figure and text of
the document) and of RENDERER_VERSION. A changed figure gives another key, so a stored PDF
is never served for content it does not show."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import weasyprint
from flask import current_app

# Raise it when the same HTML would come out as another PDF (the layout code, the fonts).
RENDERER_VERSION = f"weasyprint-{weasyprint.__version__}/1"
_KEY = re.compile(r"[0-9a-f]{64}")


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
    """The stored PDF of `key`, or None when it has not been rendered (or was removed)."""
    try:
        return stored_path(key).read_bytes()
    except FileNotFoundError:
        return None


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
