"""Sign-in, passwords and a library's self-registration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.forms import REQUIRED, PasswordPolicy
from portal.forms.organisation import OrganisationFieldsMixin


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class NewPasswordForm(FlaskForm):
    """A new password typed twice, checked against the policy."""

    password = PasswordField(
        _l("New password"),
        description=_l("At least 10 characters. A phrase of several words is easy to remember."),
        validators=[DataRequired(REQUIRED), PasswordPolicy()],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords differ."))],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(REQUIRED)]
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(REQUIRED), Email(_l("Enter a valid e-mail address.")),
                    Length(max=254)],
    )


class ResetPasswordForm(NewPasswordForm):
    pass


class RegistrationForm(OrganisationFieldsMixin, FlaskForm):
    contact_name = StringField(
        _l("Your full name"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    contact_email = EmailField(
        _l("Your e-mail (used to sign in)"),
        validators=[DataRequired(REQUIRED), Email(_l("Enter a valid e-mail address.")),
                    Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters. A phrase of several words is easy to remember."),
        validators=[DataRequired(REQUIRED), PasswordPolicy(email_field="contact_email")],
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords differ."))],
    )
