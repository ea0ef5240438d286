"""The chair's forms for a call: its rules and budget categories, and its criteria."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.forms import REQUIRED
from portal.forms.fields import DecimalTextField, IntegerField, LinesField
from portal.labels import CAP_BASIS_LABELS, SCORE_AGGREGATION_LABELS, TIE_BREAK_LABELS
from portal.models import BudgetCategory, CapBasis, ScoreAggregation, TieBreak

TIMEZONES = (
    "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg",
    "Asia/Omsk", "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk",
    "Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka",
)
MONEY_MAX = Decimal("999999999999.99")


class CategoryRuleForm(Form):
    allowed = BooleanField(_l("Funded"))
    cap_percent = DecimalTextField(_l("Cap, %"), places=2, minimum=Decimal("0.01"),
                                   maximum=Decimal("100"))
    cap_basis = SelectField(
        _l("Cap applies to"),
        choices=[SelectChoice(b.value, label) for b, label in CAP_BASIS_LABELS.items()],
    )


class CallForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])
    directions = LinesField(
        _l("Priority directions"), description=_l("One per line; applicants choose one."),
        validators=[DataRequired(REQUIRED)],
    )
    timezone = SelectField(_l("Time zone"), choices=[SelectChoice(z, z) for z in TIMEZONES],
                           default="Europe/Moscow")
    opens_at = DateTimeLocalField(_l("Opens at"), format="%Y-%m-%dT%H:%M",
                                  validators=[DataRequired(REQUIRED)],
                                  description=_l("In the call's time zone."))
    closes_at = DateTimeLocalField(_l("Closes at"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired(REQUIRED)],
                                   description=_l("In the call's time zone."))
    implementation_start = DateField(_l("Projects start no earlier than"),
                                     validators=[DataRequired(REQUIRED)])
    implementation_end = DateField(_l("Projects end no later than"),
                                   validators=[DataRequired(REQUIRED)])
    fund_amount = DecimalTextField(_l("Fund, ₽"), validators=[InputRequired(REQUIRED)],
                                   minimum=Decimal("0.01"), maximum=MONEY_MAX)
    max_grant_amount = DecimalTextField(_l("Largest grant per project, ₽"),
                                        validators=[InputRequired(REQUIRED)],
                                        minimum=Decimal("0.01"), maximum=MONEY_MAX)
    min_cofinancing_percent = DecimalTextField(
        _l("Minimum co-financing, %"),
        description=_l("Own plus partner money as a share of the project's total."),
        validators=[Optional()], minimum=Decimal("0"), maximum=Decimal("99.99"),
    )
    reviewers_per_application = IntegerField(
        _l("Reviewers per application"), default=2,
        validators=[DataRequired(REQUIRED), NumberRange(2, 10)],
    )
    disagreement_threshold_percent = DecimalTextField(
        _l("Disagreement threshold (percent of the maximum score)"), default=Decimal("30"),
        validators=[InputRequired(REQUIRED)], minimum=Decimal("1"), maximum=Decimal("100"),
    )
    review_deadline = DateField(_l("Review deadline"), validators=[Optional()])
    score_aggregation = SelectField(
        _l("An application's score is"),
        choices=[SelectChoice(k.value, v) for k, v in SCORE_AGGREGATION_LABELS.items()],
        default=ScoreAggregation.MEAN.value,
    )
    tie_break = SelectField(
        _l("Equal scores are ranked by"),
        choices=[SelectChoice(k.value, v) for k, v in TIE_BREAK_LABELS.items()],
        default=TieBreak.COFINANCING.value,
    )
    max_applications_per_organisation = IntegerField(
        _l("Applications per library, at most"), validators=[Optional(), NumberRange(1, 100)],
        description=_l("Leave empty for no limit."),
    )
    results_public = BooleanField(
        _l("Publish the scores of applications that are not funded"), default=True
    )
    reporting_dates = LinesField(_l("Reporting dates"),
                                 description=_l("One date per line, for example 2027-06-30."))
    categories = FieldList(FormField(CategoryRuleForm), min_entries=len(BudgetCategory),
                           max_entries=len(BudgetCategory))

    def validate_reporting_dates(self, field: Any) -> None:
        from datetime import date

        from wtforms.validators import ValidationError

        for line in field.data or []:
            try:
                date.fromisoformat(line)
            except ValueError:
                raise ValidationError(
                    _l("“%(value)s” is not a date like 2027-06-30.", value=line)
                ) from None

    def call_data(self) -> dict[str, Any]:
        zone = ZoneInfo(self.timezone.data)
        return {
            "title": self.title.data.strip(),
            "description": self.description.data or "",
            "directions": self.directions.data,
            "timezone": self.timezone.data,
            "opens_at": _aware(self.opens_at.data, zone),
            "closes_at": _aware(self.closes_at.data, zone),
            "implementation_start": self.implementation_start.data,
            "implementation_end": self.implementation_end.data,
            "fund_amount": self.fund_amount.data,
            "max_grant_amount": self.max_grant_amount.data,
            "min_cofinancing_percent": self.min_cofinancing_percent.data or Decimal("0"),
            "reviewers_per_application": self.reviewers_per_application.data,
            "disagreement_threshold_percent": self.disagreement_threshold_percent.data,
            "review_deadline": self.review_deadline.data,
            "reporting_dates": self.reporting_dates.data,
            "score_aggregation": ScoreAggregation(self.score_aggregation.data),
            "tie_break": TieBreak(self.tie_break.data),
            "max_applications_per_organisation": self.max_applications_per_organisation.data,
            "results_public": bool(self.results_public.data),
        }

    def category_rules(self) -> dict[BudgetCategory, tuple[Decimal | None, CapBasis]]:
        rules = {}
        for category, entry in zip(BudgetCategory, self.categories.entries, strict=True):
            if entry.form.allowed.data:
                rules[category] = (entry.form.cap_percent.data,
                                   CapBasis(entry.form.cap_basis.data or CapBasis.TOTAL))
        return rules

    def fill_from(self, call: Any) -> None:
        """Show a saved call: times in its own zone, categories in the fixed order."""
        zone = ZoneInfo(call.timezone)
        for name in ("title", "description", "directions", "timezone", "implementation_start",
                     "implementation_end", "fund_amount", "max_grant_amount",
                     "min_cofinancing_percent", "reviewers_per_application",
                     "disagreement_threshold_percent", "review_deadline", "reporting_dates",
                     "max_applications_per_organisation", "results_public"):
            self[name].data = getattr(call, name)
        self.score_aggregation.data = call.score_aggregation.value
        self.tie_break.data = call.tie_break.value
        self.opens_at.data = call.opens_at.astimezone(zone).replace(tzinfo=None)
        self.closes_at.data = call.closes_at.astimezone(zone).replace(tzinfo=None)
        for category, entry in zip(BudgetCategory, self.categories.entries, strict=True):
            rule = call.category_rule(category)
            entry.form.allowed.data = rule is not None
            entry.form.cap_percent.data = rule.cap_percent if rule else None
            entry.form.cap_basis.data = (rule.cap_basis if rule else CapBasis.TOTAL).value


def keep_locked(form: CallForm, call: Any, locked: set[str]) -> None:
    """Locked fields are shown disabled, so browsers do not send them: take their values
    from the call, and ignore whatever a crafted request sends for them."""
    if not locked:
        return
    posted = {name: form[name].data for name in form._fields if name != "categories"}
    form.fill_from(call)  # the categories are among the locked rules
    for name, value in posted.items():
        if name not in locked:
            form[name].data = value


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    return value.replace(tzinfo=zone)


class CriterionRowForm(Form):
    name = StringField(_l("Criterion"), validators=[Length(max=300)])
    description = TextAreaField(_l("What low and high marks mean"),
                                validators=[Length(max=5000)])
    scale_max = IntegerField(_l("Scale: 0 to"), default=10, validators=[Optional(),
                                                                        NumberRange(1, 100)])
    weight = DecimalTextField(_l("Weight"), default=Decimal("1"), minimum=Decimal("0.01"),
                              maximum=Decimal("100"))


class CriteriaForm(FlaskForm):
    rows = FieldList(FormField(CriterionRowForm), min_entries=1, max_entries=40)

    def criteria(self) -> list[tuple[str, str, int, Decimal]]:
        return [
            (row.form.name.data.strip(), row.form.description.data or "",
             row.form.scale_max.data or 10, row.form.weight.data or Decimal("1"))
            for row in self.rows.entries
            if (row.form.name.data or "").strip()
        ]
