"""Blueprints, one per audience; each view loads, checks permission, validates, calls one
service, commits once and redirects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, request, send_file


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


def uploaded_file_response(
    path: Path, *, label: str, content_type: str, name: str, etag: str | None = None,
    modified: datetime | None = None,
) -> Any:
    """A file someone uploaded, as a download under the name it was uploaded with, or 404
    (logged: the database names a file the disk lost) when it is missing. With max_age=0
    the browser asks again each time (no-cache); private keeps it out of shared caches."""
    if not path.is_file():
        current_app.logger.error("%s: file %s is missing", label, path)
        abort(404)
    response = send_file(
        path, mimetype=content_type, as_attachment=True, download_name=name,
        conditional=True, etag=etag if etag is not None else True, last_modified=modified,
        max_age=0,
    )
    response.cache_control.private = True
    return response


def page_arg() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def pdf_response(render: Callable[[], bytes], filename: str) -> Any:
    """Answer with a PDF shown in the browser, or the 503 page when rendering failed or ran
    past its limits. Documents hold organisations' figures and people's names: no shared
    cache may keep them. A draft is not kept at all; a final document (a StoredPdf) carries
    its store key as the ETag, the browser revalidates it on each use, and a conditional
    request for the same content is answered 304 without a body. Call it only after the
    permission check."""
    from portal import pdf
    from portal.views.errors import render_error

    try:
        content = render()
    except pdf.PdfRenderError as exc:
        current_app.logger.warning("PDF %s: %s", filename, exc)
        page, status = render_error(503)
        return page, status, {"Retry-After": "60"}
    key = getattr(content, "key", None)
    if key is None:
        response = Response(content, mimetype="application/pdf")
        response.headers["Cache-Control"] = "private, no-store"
    else:
        if key in request.if_none_match:
            response = Response(status=304)
        else:
            response = Response(bytes(content), mimetype="application/pdf")
        response.set_etag(key)
        response.headers["Cache-Control"] = "private, no-cache"
    if response.status_code == 200:
        response.headers.set("Content-Disposition", "inline", filename=filename)
    return response
