"""The application's sections: plain fields, and the lists (activities, partners, results,
budget lines) as rows where a blank row is ignored and a filled one is checked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from portal.forms import REQUIRED
from portal.forms.fields import DecimalTextField
from portal.labels import BUDGET_CATEGORY_LABELS
from portal.models import BudgetCategory

LONG_TEXT = 20000
MONEY_MAX = Decimal("999999999.99")


class VersionedForm(FlaskForm):
    """Every section form carries the version it was opened at (optimistic locking)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class GeneralForm(VersionedForm):
    title = StringField(_l("Project title"), validators=[Length(max=300)])
    direction = SelectField(_l("Direction"), validators=[Optional()])
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=LONG_TEXT)],
                            description=_l("What the project does, for whom, in a few sentences."))

    def validate_end_date(self, field: Any) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The project cannot end before it starts."))


class ProblemForm(VersionedForm):
    problem = TextAreaField(_l("Problem and relevance"), validators=[Length(max=LONG_TEXT)],
                            description=_l("What problem of your readers or territory the "
                                           "project solves, and how you know."))


class GoalsForm(VersionedForm):
    goals = TextAreaField(_l("Goals"), validators=[Length(max=LONG_TEXT)])
    tasks = TextAreaField(_l("Tasks"), validators=[Length(max=LONG_TEXT)])


class TargetGroupsForm(VersionedForm):
    target_groups = TextAreaField(_l("Target groups"), validators=[Length(max=LONG_TEXT)],
                                  description=_l("Who takes part, and how many people."))


class RowForm(Form):
    """A row of a list section. `required` names the fields a filled row must have."""

    required: tuple[str, ...] = ()

    def is_blank(self) -> bool:
        for field in self:
            raw = getattr(field, "raw_text", None)
            value = raw if raw is not None else field.data
            if field.type == "SelectField":
                continue
            if value not in (None, "", []):
                return False
        return True

    def validate(self, extra_validators: Any = None) -> bool:
        if self.is_blank():
            return True
        ok = super().validate(extra_validators)
        for name in self.required:
            field = self[name]
            if field.data in (None, "") and not field.errors:
                field.errors = [*field.errors, str(REQUIRED)]
                ok = False
        return ok

    def row_data(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items()}


class ActivityRow(RowForm):
    required = ("title",)
    title = StringField(_l("Activity"), validators=[Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    start_date = DateField(_l("From"), validators=[Optional()])
    end_date = DateField(_l("To"), validators=[Optional()])


class PartnerRow(RowForm):
    required = ("name",)
    name = StringField(_l("Partner"), validators=[Length(max=300)])
    role = TextAreaField(_l("Role in the project"), validators=[Length(max=5000)])
    contribution = TextAreaField(_l("Contribution"), validators=[Length(max=5000)])


class IndicatorRow(RowForm):
    required = ("name", "unit", "target")
    name = StringField(_l("Indicator"), validators=[Length(max=300)])
    unit = StringField(_l("Unit"), validators=[Length(max=50)])
    baseline = DecimalTextField(_l("Baseline"), places=2, maximum=Decimal("9999999999"))
    target = DecimalTextField(_l("Target"), places=2, maximum=Decimal("9999999999"))


class BudgetRow(RowForm):
    required = ("item", "quantity", "unit_price")
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice(c.value, label) for c, label in BUDGET_CATEGORY_LABELS.items()],
    )
    item = StringField(_l("Item"), validators=[Length(max=300)])
    justification = TextAreaField(_l("Justification"), validators=[Length(max=5000)])
    unit = StringField(_l("Unit"), validators=[Length(max=50)])
    quantity = DecimalTextField(_l("Quantity"), places=3, minimum=Decimal("0.001"),
                                maximum=Decimal("99999999"))
    unit_price = DecimalTextField(_l("Unit price, ₽"), maximum=MONEY_MAX)
    requested_amount = DecimalTextField(_l("Requested, ₽"), maximum=MONEY_MAX)
    own_amount = DecimalTextField(_l("Own funds, ₽"), maximum=MONEY_MAX)
    partner_amount = DecimalTextField(_l("Partners' funds, ₽"), maximum=MONEY_MAX)

    def row_data(self) -> dict[str, Any]:
        data = super().row_data()
        data["category"] = BudgetCategory(data["category"])
        for name in ("requested_amount", "own_amount", "partner_amount"):
            data[name] = data[name] if data[name] is not None else Decimal("0.00")
        return data


class RowsForm(VersionedForm):
    row_class: type[RowForm]

    def rows_data(self) -> list[dict[str, Any]]:
        return [e.form.row_data() for e in self.rows.entries if not e.form.is_blank()]


def rows_form(row_class: type[RowForm], max_rows: int = 200) -> type[RowsForm]:
    class _Form(RowsForm):
        rows = FieldList(FormField(row_class), min_entries=0, max_entries=max_rows)

    _Form.row_class = row_class
    _Form.__name__ = f"{row_class.__name__}sForm"
    return _Form


ActivitiesForm = rows_form(ActivityRow, 60)
PartnersForm = rows_form(PartnerRow, 60)
IndicatorsForm = rows_form(IndicatorRow, 60)
BudgetForm = rows_form(BudgetRow, 200)

FIELD_FORMS = {
    "general": GeneralForm,
    "problem": ProblemForm,
    "goals": GoalsForm,
    "target_groups": TargetGroupsForm,
}
ROW_FORMS = {
    "activities": ActivitiesForm,
    "partners": PartnersForm,
    "results": IndicatorsForm,
    "budget": BudgetForm,
}
