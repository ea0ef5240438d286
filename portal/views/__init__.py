"""Blueprints, one per audience; each view loads, checks permission, validates, calls one
service, commits once and redirects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, request


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


def pdf_response(render: Callable[[], bytes], filename: str) -> Any:
    """Answer with a PDF shown in the browser, or the 503 page when rendering failed or ran
    past its limits. Documents hold organisations' figures and people's names: no cache
    may keep them."""
    from portal import pdf
    from portal.views.errors import render_error

    try:
        content = render()
    except pdf.PdfRenderError as exc:
        current_app.logger.warning("PDF %s: %s", filename, exc)
        page, status = render_error(503)
        return page, status, {"Retry-After": "60"}
    response = Response(content, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline", filename=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
