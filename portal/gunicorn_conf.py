"""gunicorn's settings for running the portal in production, read when gunicorn starts with
`gunicorn --config python:portal.gunicorn_conf wsgi:app` (what `make serve` runs). Run as
`python -m portal.gunicorn_conf` it checks the environment only: it refuses, with what to
set, a secret key that is missing or the development one, and a missing database URL.

Every setting comes from the PORTAL_* environment, as the portal's own do:
PORTAL_BIND (127.0.0.1:8000), PORTAL_WEB_CONCURRENCY (worker processes; twice the cores plus
one by default), PORTAL_PDF_TIME_LIMIT (the worker timeout is the time a PDF may take plus
a margin), PORTAL_LOG_FORMAT and PORTAL_LOG_LEVEL."""

from __future__ import annotations

import os
import sys
from typing import Any

from portal.config import ConfigError, _env, _env_int, check_production, load_config

DEFAULT_BIND = "127.0.0.1:8000"
# A request may wait this long beyond the PDF time limit (the render is stopped at the
# limit and the page answers 503) before gunicorn kills the worker.
TIMEOUT_MARGIN = 30


def available_cores() -> int:
    """The cores this process may run on (a container's or a cpuset's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(cores: int) -> int:
    """gunicorn's rule of thumb: while one worker waits for the database, another computes."""
    return 2 * max(cores, 1) + 1


def worker_count() -> int:
    configured = _env_int("WEB_CONCURRENCY", 0)
    return configured if configured > 0 else default_workers(available_cores())


def portal_config() -> dict[str, Any]:
    """The portal's settings, read as the portal reads them."""
    return load_config(_env("INSTANCE_PATH") or "instance")


def check_serving() -> None:
    """Raise ConfigError unless the environment can serve production: gunicorn is the
    production server, so its rules apply whatever PORTAL_ENV says."""
    check_production({**portal_config(), "PORTAL_ENV": "production"})


def gunicorn_logconfig(log_format: str, level: str) -> dict[str, Any]:
    """gunicorn's own lines (workers booting, timeouts) in the portal's JSON; its access
    log is off, as the portal writes one line per request without paths or addresses."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "WARNING", "handlers": []},
        "formatters": {"portal": {"()": "portal.logging.make_formatter",
                                  "log_format": log_format}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "portal",
                       "stream": "ext://sys.stderr"},
            "null": {"class": "logging.NullHandler"},
        },
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": ["null"],
                                "propagate": False},
        },
    }


def on_starting(server: Any) -> None:
    """Refuse to start before any worker is forked, with the message, not a traceback."""
    try:
        check_serving()
    except ConfigError as exc:
        server.log.error("Vektor cannot start: %s", exc)
        sys.exit(1)


try:
    _config = portal_config()
except ConfigError:  # on_starting refuses to start, with the message
    _config = {}
_log_format: str = _config.get("LOG_FORMAT", "text")
_log_level: str = _config.get("LOG_LEVEL", "INFO")

bind = _env("BIND", DEFAULT_BIND)
workers = worker_count()
worker_class = "sync"  # slow clients wait at the reverse proxy, not in a worker
timeout = int(_config.get("PDF_TIME_LIMIT", 60)) + TIMEOUT_MARGIN
graceful_timeout = 30
keepalive = 5
# Recycle each worker after about a thousand requests (at different moments, so they never
# restart together): what PDF rendering leaves behind in memory goes with it.
max_requests = 1000
max_requests_jitter = 100
# The portal trusts X-Forwarded-* itself, for PORTAL_PROXY_HOPS proxies (werkzeug's
# ProxyFix); gunicorn must not trust them a second time on its own terms.
secure_scheme_headers: dict[str, str] = {}
accesslog = None
errorlog = "-"
loglevel = _log_level.lower()
logconfig_dict = gunicorn_logconfig(_log_format, _log_level) if _log_format == "json" else {}
# gunicorn's control socket lives in the home directory by default: two portals on one
# machine would fight over it, and systemd's signals already do its work.
control_socket_disable = True
proc_name = "vektor"


def main() -> int:
    try:
        check_serving()
    except ConfigError as exc:
        print(f"Vektor cannot start: {exc}", file=sys.stderr)
        return 1
    print(f"Serving on {bind} with {workers} worker(s), timeout {timeout} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
