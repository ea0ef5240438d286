"""The chair's forms for screening applications and choosing and assigning reviewers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.forms import REQUIRED
from portal.forms.admin import MultiCheckboxField
from portal.forms.fields import IntegerField


class ScreeningForm(FlaskForm):
    """One application's screening decision; each has its own prefix on the page."""

    decision = SelectField(
        _l("Decision"), choices=[SelectChoice("admit", _l("Admit")),
                                 SelectChoice("reject", _l("Do not admit"))],
        validators=[InputRequired(REQUIRED)],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Required not to admit; optional to admit. It appears in the admission "
                       "list."),
        validators=[Optional(), Length(max=2000)],
    )


class ReviewersForm(FlaskForm):
    reviewers = MultiCheckboxField(_l("Reviewers of this call"), coerce=int)
    max_assignments_per_reviewer = IntegerField(
        _l("Most assignments per reviewer"),
        description=_l("Leave empty for no limit. Automatic assignment never goes above it, "
                       "and neither can the chair by hand."),
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )


class ReviewerChoiceForm(FlaskForm):
    """The reviewer to add or to swap in; the service decides whether they may be."""

    # An id, so within a database integer: a larger number was a 500 on SQLite.
    reviewer_id = IntegerField(_l("Reviewer"), validators=[InputRequired(REQUIRED),
                                                           NumberRange(min=1, max=2**31 - 1)])
