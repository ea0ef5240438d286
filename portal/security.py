"""Security headers on every response, Secure cookies over HTTPS, the client address
handed to the audit log for the duration of a request, and the refusal of NUL characters."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from portal.services.audit import current_address
from portal.views.errors import render_error

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
# On every response unless the view set its own.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


class SecureCookiesOverHttps:
    """WSGI middleware: over HTTPS every cookie the portal sets (the session, the remember
    cookie, the language) carries the Secure flag. It wraps the whole application because
    Flask writes the session cookie after the last after_request hook has run."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            fixed = [
                (name, f"{value}; Secure")
                if name.lower() == "set-cookie" and "; secure" not in value.lower()
                else (name, value)
                for name, value in headers
            ]
            return start_response(status, fixed, exc_info)

        return self.wsgi_app(environ, secure_start_response)


def carries_nul(values: MultiDict[str, str]) -> bool:
    """Whether a name or a value of a query or form holds a NUL character."""
    return any(isinstance(text, str) and "\x00" in text
               for item in values.items(multi=True) for text in item)


def init_security(app: Flask) -> None:
    app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)  # type: ignore[method-assign]

    @app.before_request
    def _remember_address() -> None:
        request.environ["vektor.audit_token"] = current_address.set(request.remote_addr)

    @app.before_request
    def _refuse_nul() -> Any:
        """No keyboard types a NUL character and PostgreSQL refuses to store one: a query or
        form carrying it is answered 400 with a message, before a view tries to save it or
        to search with it (which was a 500 on PostgreSQL)."""
        if carries_nul(request.args) or carries_nul(request.form):
            return render_error(400, _("The request contains a NUL character, which cannot "
                                       "be saved. Remove it and send the form again."))
        return None

    @app.teardown_request
    def _forget_address(exc: BaseException | None) -> None:
        token = request.environ.pop("vektor.audit_token", None)
        if token is not None:
            current_address.reset(token)

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # one pass, not one per header
        headers.extend([(name, value) for name, value in SECURITY_HEADERS
                        if name.lower() not in present])
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype == "text/html":
            # Pages can show personal data: never keep them in shared caches.
            headers.setdefault("Cache-Control", "no-store")
        return response
