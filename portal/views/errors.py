"""Error pages in the user's language, without stack traces."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.db import session
from portal.errors import DomainError

MESSAGES = {
    400: (_l("The request could not be understood"),
          _l("Something in the request was wrong or incomplete. Go back and try again.")),
    403: (_l("Access denied"), _l("Your account does not have the right to open this page.")),
    404: (_l("Page not found"),
          _l("There is no such page, or you do not have access to it. Check the address.")),
    405: (_l("Method not allowed"), _l("This address does not accept this kind of request.")),
    409: (_l("Conflict"),
          _l("The record has changed or is in a state where this action no longer applies.")),
    413: (_l("The file is too large"),
          _l("The upload is larger than the portal accepts. Choose a smaller file.")),
    422: (_l("The data could not be accepted"),
          _l("The data sent breaks a rule of the portal. Go back and correct it.")),
    429: (_l("Too many attempts"),
          _l("There have been too many attempts in a short time. Wait a few minutes and try "
             "again.")),
    503: (_l("The document could not be produced"),
          _l("The portal could not prepare this PDF in time. Try again in a few minutes; if "
             "it happens again, tell the administrator.")),
    500: (_l("Something went wrong on our side"),
          _l("The portal could not complete the request. Nothing you saved before has been "
             "lost. Try again in a few minutes.")),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template(
        "errors/error.html", code=code, title=title, message=message, detail=detail
    ), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(
            400, _l("The form has expired or was sent from another site. Reload the page "
                    "and send it again.")
        )

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        session.rollback()
        return render_error(error.status_code, error.message)

    @app.errorhandler(PermissionError)
    def _forbidden(error: PermissionError):
        session.rollback()
        return render_error(403)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if error.code not in MESSAGES:
            return error.get_response()
        return render_error(error.code)

    @app.errorhandler(InternalServerError)
    def _internal(error: InternalServerError):
        session.rollback()
        return render_error(500)
