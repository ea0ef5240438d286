"""Blueprints, one per audience; each view loads, checks permission, validates, calls one
service, commits once and redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None) -> str | None:
    """Return `target` when it is a path inside the portal, None otherwise (an absolute URL,
    a scheme-relative `//host`, or a backslash trick is refused)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def page_arg() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1
