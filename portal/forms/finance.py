"""Finance's forms: a payment recorded against a tranche (the rules that span records, such
as what is left of the tranche and of the agreement, live in portal.services.payments)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.forms import REQUIRED
from portal.forms.fields import DecimalTextField
from portal.services.payments import ORDER_NUMBER_MAX

MONEY_MAX = Decimal("999999999.99")


class PaymentForm(FlaskForm):
    """One payment; the dashboard holds one per payable tranche, each with its own prefix
    so that field ids stay unique."""

    paid_on = DateField(_l("Payment date"), validators=[InputRequired(REQUIRED)])
    amount = DecimalTextField(
        _l("Amount paid, ₽"), validators=[InputRequired(REQUIRED)], places=2,
        maximum=MONEY_MAX,
        description=_l("At most what is left of the tranche."),
    )
    order_number = StringField(
        _l("Payment order number"),
        validators=[DataRequired(REQUIRED), Length(max=ORDER_NUMBER_MAX)],
    )
