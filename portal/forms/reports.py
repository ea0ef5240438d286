"""The report's forms: what was done, the indicators' achieved values and the spending per
budget line (each carrying the version it was opened at), a supporting document, and the
decision of finance or the chair. The report's rules (completeness, the tolerance) live in
portal.services.reports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, Form, FormField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput

from portal.forms import REQUIRED
from portal.forms.applications import LONG_TEXT, MONEY_MAX
from portal.forms.fields import DecimalTextField

SOURCE_FIELDS = ("requested_amount", "own_amount", "partner_amount")


class VersionedReportForm(FlaskForm):
    """Every section form carries the report's version it was opened at."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class NarrativeForm(VersionedReportForm):
    narrative = TextAreaField(
        _l("What was done"), validators=[Length(max=LONG_TEXT)],
        description=_l("The activities carried out, for whom, with what results, and what "
                       "went differently from the plan."),
    )


class IndicatorResultRow(Form):
    indicator_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    achieved = DecimalTextField(_l("Achieved"), places=2, maximum=Decimal("9999999999"))
    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])

    def row_data(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items()}


class IndicatorResultsForm(VersionedReportForm):
    rows = FieldList(FormField(IndicatorResultRow), min_entries=0, max_entries=100)

    def rows_data(self) -> list[dict[str, Any]]:
        return [entry.form.row_data() for entry in self.rows.entries]


class SpendingRow(Form):
    budget_line_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    requested_amount = DecimalTextField(_l("Municipal grant spent, ₽"), maximum=MONEY_MAX)
    own_amount = DecimalTextField(_l("Own funds spent, ₽"), maximum=MONEY_MAX)
    partner_amount = DecimalTextField(_l("Partners' funds spent, ₽"), maximum=MONEY_MAX)
    justification = TextAreaField(_l("Justification of the deviation from the plan"),
                                  validators=[Length(max=5000)])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        nothing_spent = all(self[name].data is None and not self[name].errors
                            for name in SOURCE_FIELDS)
        if ok and nothing_spent and (self.justification.data or "").strip():
            self.requested_amount.errors = [
                *self.requested_amount.errors,
                str(_l("Give the amounts spent on this line (0 when nothing was spent) or "
                       "clear its justification.")),
            ]
            return False
        return ok

    def row_data(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items()}


class SpendingForm(VersionedReportForm):
    rows = FieldList(FormField(SpendingRow), min_entries=0, max_entries=200)

    def rows_data(self) -> list[dict[str, Any]]:
        return [entry.form.row_data() for entry in self.rows.entries]


SECTION_FORMS: dict[str, type[VersionedReportForm]] = {
    "narrative": NarrativeForm,
    "indicators": IndicatorResultsForm,
    "spending": SpendingForm,
}


class DocumentForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])


class AcceptForm(FlaskForm):
    comment = TextAreaField(_l("Comment for the library (optional)"),
                            validators=[Length(max=LONG_TEXT)])


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        _l("What the library should correct"),
        validators=[DataRequired(REQUIRED), Length(max=LONG_TEXT)],
        description=_l("The library sees this comment and the report opens for corrections."),
    )
