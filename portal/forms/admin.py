"""The admin's forms: users and their roles, organisations, rejection, audit-log filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import REQUIRED, PasswordPolicy
from portal.forms.organisation import OrganisationFieldsMixin
from portal.labels import ROLE_LABELS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(REQUIRED), Email(_l("Enter a valid e-mail address.")),
                    Length(max=254)],
    )
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[Optional()])
    roles = MultiCheckboxField(
        _l("Roles"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
    )


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Initial password"),
        description=_l("At least 10 characters; give it to the person through a safe channel."),
        validators=[DataRequired(REQUIRED), PasswordPolicy(email_field="email")],
    )


class OrganisationForm(OrganisationFieldsMixin, FlaskForm):
    parent_id = SelectField(_l("Branch of"), coerce=int, validators=[Optional()])


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(REQUIRED), Length(max=2000)]
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a search form sent by GET; it changes nothing

    user = StringField(_l("User (e-mail)"), validators=[Optional(), Length(max=254)])
    object_type = StringField(_l("Record type"), validators=[Optional(), Length(max=40)])
    object_id = StringField(_l("Record id"), validators=[Optional(), Length(max=40)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
