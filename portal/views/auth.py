"""Signing in and out, passwords (change, forgotten, reset) and a library's registration."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.db import session
from portal.errors import DomainError
from portal.extensions import account_and_address, limiter
from portal.forms import ConfirmForm, show_domain_error
from portal.forms.auth import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegistrationForm,
    ResetPasswordForm,
)
from portal.permissions import Action, require
from portal.services import accounts, organisations
from portal.views import safe_next

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=account_and_address, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(session, form.email.data, form.password.data)
        session.commit()
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
        form.form_errors.append(_("The e-mail or the password is not correct."))
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.index"))
    if current_user.is_authenticated:
        accounts.sign_out(session, current_user)
        session.commit()
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    require(current_user, Action.CHANGE_OWN_PASSWORD)
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                session, current_user, current=form.current_password.data,
                new=form.password.data,
            )
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("auth/password_change.html", form=form), exc.status_code
        session.commit()
        login_user(current_user._get_current_object())  # the new token for this session
        flash(_("Your password has been changed. You have been signed out everywhere else."),
              "success")
        return redirect(url_for("main.index"))
    return render_template("auth/password_change.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            session,
            form.email.data,
            reset_url_for=lambda token: _external_url("auth.reset_password", token=token),
        )
        session.commit()
        flash(
            _("If an account with this address exists, a link to set a new password has been "
              "sent to it. The link works once and for a limited time."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/password_forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if accounts.user_for_reset_token(session, token) is None:
        return render_template("auth/password_reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(session, token, form.password.data)
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("auth/password_reset.html", form=form), exc.status_code
        session.commit()
        logout_user()
        flash(_("Your new password is set. Sign in with it."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_reset.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            _org, user = organisations.register_organisation(
                session,
                form.organisation_data(),
                email=form.contact_email.data,
                full_name=form.contact_name.data,
                password=form.password.data,
            )
        except DomainError as exc:
            session.rollback()
            if exc.field == "email":
                exc.field = "contact_email"
            show_domain_error(form, exc)
            return render_template("auth/register.html", form=form), exc.status_code
        session.commit()
        login_user(user)
        flash(
            _("Your library is registered. The administrator will check the details; you can "
              "apply once the registration is approved."),
            "success",
        )
        return redirect(url_for("main.index"))
    return render_template("auth/register.html", form=form)


def _external_url(endpoint: str, **values: str) -> str:
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
