"""The application factory: `create_app()` and the steps that wire the portal together."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal.config import PROJECT_ROOT, check_production, load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    check_production(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_logging(app)
    register_database(app)
    register_extensions(app)
    register_blueprints(app)
    register_web_hooks(app)
    register_cli(app)
    register_proxy(app)
    return app


def register_proxy(app: Flask) -> None:
    """Trust X-Forwarded-* from the given number of reverse proxies (outermost middleware)."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def register_logging(app: Flask) -> None:
    """First of the request hooks, so the request id exists for everything after it."""
    from portal.logging import init_logging

    init_logging(app)


def register_database(app: Flask) -> None:
    from portal.db import db

    db.init_app(app)


def register_extensions(app: Flask) -> None:
    from portal.auth import init_login
    from portal.extensions import bootstrap, csrf, limiter, mail
    from portal.i18n import init_i18n
    from portal.services.mail import init_mail_delivery

    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    mail.init_app(app)
    init_i18n(app)
    init_login(app)
    init_mail_delivery(app)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: an identifier beyond what the database stores (a 64-bit
    integer; SQLite raises on a larger one) is no page of the portal, so it is a 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    from portal.views import (
        admin,
        agreements,
        applications,
        attachments,
        auth,
        calls,
        committee,
        documents,
        errors,
        finance,
        finance_jobs,
        main,
        public,
        reports,
        review,
        screening,
    )

    for module in (main, auth, admin, calls, applications, attachments, documents, screening,
                   review, committee, finance, finance_jobs, agreements, reports, public):
        app.register_blueprint(module.bp)
    app.register_blueprint(public.api)
    errors.register_error_handlers(app)


def register_web_hooks(app: Flask) -> None:
    from portal.security import init_security
    from portal.templating import init_templating

    init_security(app)
    init_templating(app)


def register_cli(app: Flask) -> None:
    from portal.cli import portal_cli

    app.cli.add_command(portal_cli)
