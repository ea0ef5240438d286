"""Forms: the shape of input and per-field checks; rules that span records live in services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError

from portal.errors import DomainError
from portal.passwords import PasswordPolicyError, check_password_policy
from portal.validators import InvalidNumber


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


class NumberCheck:
    """Run one of portal.validators' checks on a field and show its message."""

    def __init__(self, check: Callable[..., str], depends_on: str | None = None) -> None:
        self.check = check
        self.depends_on = depends_on

    def __call__(self, form: FlaskForm, field: Field) -> None:
        args: list[Any] = [field.data or ""]
        if self.depends_on is not None:
            other = form[self.depends_on]
            if other.errors or not other.data:
                return  # the account is checked against a valid BIK only
            args.append(other.data.strip())
        try:
            field.data = self.check(*args)
        except InvalidNumber as exc:
            raise ValidationError(str(exc)) from exc


class PasswordPolicy:
    """The portal's password policy as a field validator."""

    def __init__(self, email_field: str | None = None) -> None:
        self.email_field = email_field

    def __call__(self, form: FlaskForm, field: Field) -> None:
        email = form[self.email_field].data if self.email_field else None
        try:
            check_password_policy(field.data or "", email=email)
        except PasswordPolicyError as exc:
            raise ValidationError(str(exc)) from exc


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's error beside its field, or at the top of the form."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        form.form_errors.append(error.message)


REQUIRED = _l("This field is required.")
