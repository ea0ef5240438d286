"""Flask-Login wiring: users are loaded by their alternative id (user id and session token),
so replacing the token ends every session and remember cookie of that user."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal.db import session
from portal.extensions import login_manager
from portal.models import User


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(alternative_id: str) -> User | None:
        user_id, _sep, token = alternative_id.partition(":")
        if not user_id.isdigit() or not token:
            return None
        # With the roles and the library every page asks about, in the same statement.
        user = session.get(User, int(user_id), options=[
            joinedload(User.role_rows), joinedload(User.organisation)])
        if user is None or user.session_token != token or not user.is_enabled:
            return None
        return user
