"""Configuration: defaults, the PORTAL_* environment, and the refusal to start a production
instance without a secret key or a database URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production, see check_production


class ConfigError(RuntimeError):
    """The configuration cannot run the portal; the message says what to set."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"PORTAL_{name}")
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return default if value is None else int(value)


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "vektor.sqlite3")


def load_config(instance_path: str) -> dict[str, Any]:
    """Read the settings from the environment; every key is documented in the README."""
    env = _env("ENV", "development")
    redis_url = _env("REDIS_URL")
    # The folder every portal process and worker must share (attachments, generated
    # archives); each of the two can still be placed on its own.
    data_dir = Path(_env("DATA_DIR", instance_path))
    log_format = (_env("LOG_FORMAT", "text") or "text").lower()
    if log_format not in ("text", "json"):
        raise ConfigError("PORTAL_LOG_FORMAT must be text or json.")
    log_level = (_env("LOG_LEVEL", "INFO") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError("PORTAL_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    return {
        "PORTAL_ENV": env,
        "SECRET_KEY": _env("SECRET_KEY", DEV_SECRET_KEY),
        "DATABASE_URL": _env("DATABASE_URL", default_database_url(instance_path)),
        "REDIS_URL": redis_url,
        "SQLITE_BUSY_TIMEOUT_MS": _env_int("SQLITE_BUSY_TIMEOUT_MS", 15000),
        # Mail: SMTP when a server is named, the in-portal outbox otherwise.
        "MAIL_SERVER": _env("MAIL_SERVER"),
        "MAIL_PORT": _env_int("MAIL_PORT", 587),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_TIMEOUT": _env_int("MAIL_TIMEOUT", 20),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "Vektor <noreply@vektor.local>"),
        # Links in e-mails are absolute; behind a proxy set the public address.
        "PUBLIC_URL": _env("PUBLIC_URL"),
        # Sign-in throttling (Flask-Limiter notation), counted per account and address.
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "5 per minute;20 per hour"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "PASSWORD_RESET_MAX_AGE": _env_int("PASSWORD_RESET_MAX_AGE", 3600),
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 32 * 1024 * 1024),
        # Attachments: kept outside static/, never served except through a permission check.
        "DATA_DIR": str(data_dir),
        "UPLOAD_DIR": _env("UPLOAD_DIR", str(data_dir / "uploads")),
        "ATTACHMENT_MAX_BYTES": _env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "ATTACHMENTS_MAX_TOTAL_BYTES": _env_int("ATTACHMENTS_MAX_TOTAL_BYTES", 30 * 1024 * 1024),
        "PROXY_HOPS": _env_int("PROXY_HOPS", 0),
        "BABEL_DEFAULT_LOCALE": "ru",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Moscow",
        "LANGUAGES": ("ru", "en"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "vektor_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_NAME": "vektor_remember",
        "WTF_CSRF_TIME_LIMIT": None,
        "ADMIN_PAGE_SIZE": 50,
        # A PDF is rendered in a child process that is stopped past these limits.
        "PDF_TIME_LIMIT": _env_int("PDF_TIME_LIMIT", 60),
        "PDF_MEMORY_LIMIT_MB": _env_int("PDF_MEMORY_LIMIT_MB", 512),
        # Archives made by background jobs (all budgets of a call), under names the portal
        # makes; outside static/, served only through a permission check.
        "JOBS_DIR": _env("JOBS_DIR", str(data_dir / "jobs")),
        # Final documents (PDFs), rendered once and kept under a key made from their content.
        "DOCUMENTS_DIR": _env("DOCUMENTS_DIR", str(data_dir / "documents")),
        # Render final documents on the background worker as soon as they become final.
        "DOCUMENT_PRERENDER": _env_bool("DOCUMENT_PRERENDER", True),
        # One line per request; "json" writes one JSON object a line for log collectors.
        "LOG_FORMAT": log_format,
        "LOG_LEVEL": log_level,
        # Where `flask portal backup` writes when no folder is given.
        "BACKUP_DIR": _env("BACKUP_DIR", str(Path(instance_path) / "backups")),
    }


def check_production(config: dict[str, Any]) -> None:
    """Refuse to start a production instance that would run with a guessable secret key or
    the throw-away SQLite default."""
    if config.get("PORTAL_ENV") != "production":
        return
    if config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY):
        raise ConfigError(
            "PORTAL_SECRET_KEY must be set to a long random value in production "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if not os.environ.get("PORTAL_DATABASE_URL"):
        raise ConfigError(
            "PORTAL_DATABASE_URL must name the production database "
            "(for example postgresql+psycopg://vektor@db/vektor)."
        )
