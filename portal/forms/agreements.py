"""Finance's forms for agreements: the payment schedule as rows (a blank row is ignored),
signing with an optional scan, a scan on its own, and the administration's details. Whether
the tranches add up, and the scan's type by content, are the service's checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FieldList, FormField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.forms import REQUIRED, NumberCheck
from portal.forms.applications import RowForm
from portal.forms.fields import DecimalTextField
from portal.labels import TRANCHE_CONDITION_LABELS
from portal.models import TrancheCondition
from portal.services.agreements import ADMINISTRATION_FIELDS, MAX_TRANCHES
from portal.validators import (
    check_bik,
    check_correspondent_account,
    check_inn,
    check_kpp,
    check_ogrn,
    check_settlement_account,
)

MONEY_MAX = Decimal("999999999.99")


class TrancheRow(RowForm):
    required = ("due_date", "amount")
    due_date = DateField(_l("Due date"))
    amount = DecimalTextField(_l("Amount, ₽"), places=2, minimum=Decimal("0.01"),
                              maximum=MONEY_MAX)
    condition = SelectField(
        _l("Condition"),
        choices=[SelectChoice(c.value, label) for c, label in TRANCHE_CONDITION_LABELS.items()],
    )

    def is_blank(self) -> bool:
        # What was typed, not what was understood: a mistyped date keeps its row.
        return all(
            not (value or "").strip()
            for field in self if field.type != "SelectField"
            for value in (field.raw_data or [""])
        )


class ScheduleForm(FlaskForm):
    rows = FieldList(FormField(TrancheRow), min_entries=0, max_entries=MAX_TRANCHES)

    def schedule(self) -> list[tuple[date, Decimal, TrancheCondition]]:
        """The filled rows as (due date, amount, condition), in the order shown."""
        return [
            (entry.form.due_date.data, entry.form.amount.data,
             TrancheCondition(entry.form.condition.data))
            for entry in self.rows.entries if not entry.form.is_blank()
        ]


class SignForm(FlaskForm):
    file = FileField(
        _l("Scan of the signed agreement (optional)"),
        description=_l("PDF, JPEG or PNG. You can also upload it later."),
    )


class ScanForm(FlaskForm):
    file = FileField(
        _l("Scan of the signed agreement"),
        description=_l("PDF, JPEG or PNG. It replaces the scan uploaded before, if any."),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )


class AdministrationForm(FlaskForm):
    """The grantor's details as agreements print them; the numbers are checked as an
    organisation's are."""

    full_name = StringField(_l("Full name of the administration"),
                            validators=[DataRequired(REQUIRED), Length(max=500)])
    short_name = StringField(_l("Short name"), validators=[DataRequired(REQUIRED),
                                                           Length(max=200)])
    inn = StringField(_l("INN"), description=_l("10 digits"),
                      validators=[DataRequired(REQUIRED), NumberCheck(check_inn)])
    kpp = StringField(_l("KPP"), description=_l("9 characters"),
                      validators=[DataRequired(REQUIRED), NumberCheck(check_kpp)])
    ogrn = StringField(_l("OGRN"), description=_l("13 digits"),
                       validators=[DataRequired(REQUIRED), NumberCheck(check_ogrn)])
    address = StringField(_l("Address"), validators=[DataRequired(REQUIRED), Length(max=500)])
    head_name = StringField(_l("Who signs agreements (full name)"),
                            validators=[DataRequired(REQUIRED), Length(max=200)])
    head_position = StringField(_l("Signatory's position"),
                                validators=[DataRequired(REQUIRED), Length(max=200)])
    bank_name = StringField(_l("Bank"), validators=[Length(max=300)])
    bik = StringField(_l("BIK"), description=_l("9 digits"),
                      validators=[DataRequired(REQUIRED), NumberCheck(check_bik)])
    settlement_account = StringField(
        _l("Settlement account"), description=_l("20 digits"),
        validators=[DataRequired(REQUIRED), NumberCheck(check_settlement_account, "bik")],
    )
    correspondent_account = StringField(
        _l("Correspondent account"), description=_l("20 digits"),
        validators=[DataRequired(REQUIRED), NumberCheck(check_correspondent_account, "bik")],
    )

    def details_data(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in ADMINISTRATION_FIELDS}
