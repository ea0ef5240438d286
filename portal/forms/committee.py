"""The committee's forms: the simulator of the funding line (a GET form, nothing saved), a
decision on an application, a funded applicant's declining, and funding from the reserve."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.forms import REQUIRED
from portal.forms.fields import DecimalTextField, IntegerField
from portal.labels import DECISION_OUTCOME_LABELS
from portal.models import DecisionOutcome

MONEY_MAX = Decimal("999999999.99")
REASON_MAX = 2000


class SimulatorForm(FlaskForm):
    """What-if figures for the funding line, read from the query string."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    passing_score = DecimalTextField(
        _l("Passing score"), validators=[Optional()], places=2,
        description=_l("Only applications scoring at least this much are funded. Leave empty "
                       "for none."),
    )
    reduction_percent = DecimalTextField(
        _l("Uniform reduction, %"), validators=[Optional()], places=2,
        maximum=Decimal("99.99"),
        description=_l("Every funded application gets its requested amount less this "
                       "percentage, rounded down to the kopeck."),
    )


DECIDABLE_OUTCOMES = (DecisionOutcome.FUNDED, DecisionOutcome.NOT_FUNDED,
                      DecisionOutcome.RESERVE)


class DecisionForm(FlaskForm):
    """A decision on one application; the page holds one per application, each with its own
    prefix so that field ids stay unique."""

    outcome = SelectField(
        _l("Decision"), validators=[DataRequired(REQUIRED)],
        choices=[SelectChoice(o.value, DECISION_OUTCOME_LABELS[o]) for o in DECIDABLE_OUTCOMES],
    )
    approved_amount = DecimalTextField(
        _l("Approved amount, ₽"), validators=[Optional()], places=2, maximum=MONEY_MAX,
        description=_l("For funding: at most the amount requested."),
    )
    reason = TextAreaField(
        _l("Reason"), validators=[Length(max=REASON_MAX)],
        description=_l("Required when not funding, and when funding less than requested; it "
                       "goes into the protocol."),
    )
    reserve_rank = IntegerField(
        _l("Place on the reserve list"), validators=[Optional(), NumberRange(min=1, max=999)],
        description=_l("For the reserve list; empty gives the next free place."),
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Why the applicant declines the grant"),
                           validators=[DataRequired(REQUIRED), Length(max=REASON_MAX)])


class ReserveFundingForm(FlaskForm):
    approved_amount = DecimalTextField(
        _l("Approved amount, ₽"), validators=[InputRequired(REQUIRED)], places=2,
        maximum=MONEY_MAX,
    )
    reason = TextAreaField(
        _l("Reason"), validators=[Length(max=REASON_MAX)],
        description=_l("Required when funding less than requested."),
    )
