"""The unbound extension objects; `create_app` binds them to the application."""

from flask import request
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
mail = Mail()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def account_and_address() -> str:
    """Rate-limit key for sign-in: the account tried together with the client address."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{email}|{get_remote_address()}"
