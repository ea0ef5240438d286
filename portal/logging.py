"""Logs an operator can read: one line per request (request id, user id, route, status,
duration), as text or as one JSON object a line (PORTAL_LOG_FORMAT=json), and the request id
that ties a line to the error page a user quotes. Requests are logged by their route rule,
never by their path or query string, so reset tokens never reach the log; form data, e-mail
addresses and client addresses are never logged."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy sends (nginx's $request_id is 32 hex digits) is kept when it looks like one;
# anything else is replaced, so a client cannot write arbitrary text into the log.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
REQUEST_LOGGER = "portal.request"
# The fields a request line carries besides its message, in the order JSON shows them.
REQUEST_FIELDS = ("request_id", "user_id", "method", "route", "endpoint", "status",
                  "duration_ms")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

log = logging.getLogger(REQUEST_LOGGER)


def request_id() -> str | None:
    """The current request's id, or None outside a request."""
    if not has_request_context():
        return None
    return g.get("request_id")


def _incoming_request_id() -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def _route() -> str:
    """The route rule (`/password/reset/<token>`), never the path that matched it."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<no route>"


def _user_id() -> int | None:
    """The signed-in user's id, if the request looked the user up (it never loads one just
    for the log, so a failing database does not fail the log line)."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


class RequestContextFilter(logging.Filter):
    """Stamp every record with the request id (or "-"), so any line written while a request
    runs can be matched to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


def _without_paths(message: str) -> str:
    """Flask names the path of a request that failed; put the route rule in its place, so
    a token in a path never reaches the log."""
    if has_request_context() and request.url_rule is not None and request.path in message:
        return message.replace(request.path, request.url_rule.rule)
    return message


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        if not hasattr(record, "request_id"):  # a record that did not pass our filter
            record.request_id = "-"
        return _without_paths(super().formatMessage(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the request fields the
    record carries, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _without_paths(record.getMessage()),
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None and value != "-":
                entry[field] = value
        if record.exc_info:
            entry["exception"] = _without_paths(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the moment of writing (a process manager's pipe,
    or a test's capture), never to a stream that was closed since."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def make_formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(log_format: str, level: str) -> None:
    """Send the portal's records (and those of libraries that warn) to stderr in the chosen
    format. The handler sits on the root logger, once per process: creating a second
    application replaces it instead of doubling every line. The portal's loggers log at
    `level`; libraries keep the root's WARNING, so their chatter stays out."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _StderrHandler):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RequestContextFilter())
    root.addHandler(handler)
    portal_logger = logging.getLogger("portal")
    portal_logger.removeHandler(default_handler)  # Flask's own would write each line twice
    portal_logger.setLevel(level.upper())


def init_logging(app: Flask) -> None:
    """Give each request an id (kept from a sane X-Request-ID, else made), send it back in
    the X-Request-ID header, and log one line when the answer is ready."""
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])

    @app.before_request
    def _start() -> None:
        g.request_id = _incoming_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        if "request_id" not in g:  # an answer made before the first hook ran
            g.request_id = _incoming_request_id()
        response.headers[REQUEST_ID_HEADER] = g.request_id
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        route, user_id = _route(), _user_id()
        log.info(
            "%s %s %s %s ms user %s", request.method, route, response.status_code, duration,
            user_id or "-",
            extra={"request_id": g.request_id, "user_id": user_id,
                   "method": request.method, "route": route, "endpoint": request.endpoint,
                   "status": response.status_code, "duration_ms": duration},
        )
        return response
