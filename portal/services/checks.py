"""“Check my application”: every missing field and every broken rule at once, each with the
section it belongs to and a message that gives the figure and the rule."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.i18n import current_locale
from portal.labels import BUDGET_CATEGORY_LABELS
from portal.models import Application, BudgetCategory, CapBasis
from portal.money import (
    BudgetSummary,
    format_money,
    format_percent,
    percent_of,
    sources_add_up,
    summarise_budget,
)

# The sections of the form, in order, with their headings.
SECTIONS: dict[str, object] = {
    "general": _l("General information"),
    "problem": _l("Problem and relevance"),
    "goals": _l("Goals and tasks"),
    "target_groups": _l("Target groups"),
    "activities": _l("Activities and timeline"),
    "partners": _l("Partners"),
    "results": _l("Expected results"),
    "budget": _l("Budget"),
    "attachments": _l("Attachments"),
}


@dataclass(frozen=True)
class Issue:
    section: str
    anchor: str  # the id of the field or row on the section's page
    message: str


def _missing(section: str, anchor: str, label: object) -> Issue:
    return Issue(section, anchor, str(_l("%(field)s is not filled in.", field=label)))


def check_application(app: Application, summary: BudgetSummary | None = None) -> list[Issue]:
    """All problems that stop `app` from being submitted, in the order of the form.
    `summary` is summarise_budget(app.budget_lines) when the caller has it already."""
    loc = current_locale()
    call = app.call
    issues: list[Issue] = []

    # General
    for anchor, label in (("title", _l("Project title")), ("direction", _l("Direction")),
                          ("summary", _l("Summary"))):
        if not (getattr(app, anchor) or "").strip():
            issues.append(_missing("general", anchor, label))
    if app.direction and call.directions and app.direction not in call.directions:
        issues.append(Issue("general", "direction", str(_l(
            "The direction “%(direction)s” is not one of this call's directions.",
            direction=app.direction))))
    if app.start_date is None:
        issues.append(_missing("general", "start_date", _l("Start date")))
    if app.end_date is None:
        issues.append(_missing("general", "end_date", _l("End date")))
    period = (call.implementation_start, call.implementation_end)
    for anchor, value, label in (("start_date", app.start_date, _l("The project's start")),
                                 ("end_date", app.end_date, _l("The project's end"))):
        if value is not None and not period[0] <= value <= period[1]:
            issues.append(Issue("general", anchor, str(_l(
                "%(what)s (%(date)s) is outside the call's implementation period, "
                "%(start)s to %(end)s.", what=label, date=value.strftime("%d.%m.%Y"),
                start=period[0].strftime("%d.%m.%Y"), end=period[1].strftime("%d.%m.%Y")))))

    for section, anchor, label in (
        ("problem", "problem", _l("Problem and relevance")),
        ("goals", "goals", _l("Goals")),
        ("goals", "tasks", _l("Tasks")),
        ("target_groups", "target_groups", _l("Target groups")),
    ):
        if not (getattr(app, anchor) or "").strip():
            issues.append(_missing(section, anchor, label))

    # Activities
    if not app.activities:
        issues.append(Issue("activities", "activities",
                            str(_l("Add at least one activity with its dates."))))
    for n, activity in enumerate(app.activities, start=1):
        anchor = f"activity-{n}"
        if activity.start_date is None or activity.end_date is None:
            issues.append(Issue("activities", anchor, str(_l(
                "Activity %(n)d (%(title)s) needs a start and an end date.", n=n,
                title=activity.title))))
            continue
        if activity.end_date < activity.start_date:
            issues.append(Issue("activities", anchor, str(_l(
                "Activity %(n)d (%(title)s) ends before it starts.", n=n,
                title=activity.title))))
        if not (period[0] <= activity.start_date and activity.end_date <= period[1]):
            issues.append(Issue("activities", anchor, str(_l(
                "Activity %(n)d (%(title)s) falls outside the call's implementation period, "
                "%(start)s to %(end)s.", n=n, title=activity.title,
                start=period[0].strftime("%d.%m.%Y"), end=period[1].strftime("%d.%m.%Y")))))

    # Results
    if not app.indicators:
        issues.append(Issue("results", "indicators", str(_l(
            "Add at least one expected result with its unit and target value."))))

    # Budget
    if summary is None:
        summary = summarise_budget(app.budget_lines)
    if not app.budget_lines:
        issues.append(Issue("budget", "budget", str(_l("Add the budget lines."))))
    for n, line in enumerate(app.budget_lines, start=1):
        anchor = f"line-{n}"
        if call.category_rule(line.category) is None:
            issues.append(Issue("budget", anchor, str(_l(
                "Line %(n)d (%(item)s): this call does not fund the category “%(category)s”.",
                n=n, item=line.item, category=category_label(line.category)))))
        if not sources_add_up(line):
            sources = line.requested_amount + line.own_amount + line.partner_amount
            issues.append(Issue("budget", anchor, str(_l(
                "Line %(n)d (%(item)s): the sources add up to %(sources)s, but the line's "
                "total is %(total)s.", n=n, item=line.item,
                sources=format_money(sources, loc),
                total=format_money(summary.line_totals[n - 1], loc)))))
    if app.budget_lines:
        if not summary.meets_cofinancing(call.min_cofinancing_percent):
            issues.append(Issue("budget", "cofinancing", str(_l(
                "Co-financing is %(share)s; this call requires at least %(minimum)s.",
                share=format_percent(summary.cofinancing_percent, loc),
                minimum=format_percent(call.min_cofinancing_percent, loc)))))
        if summary.requested > call.max_grant_amount:
            issues.append(Issue("budget", "requested", str(_l(
                "The amount requested is %(requested)s; this call gives at most %(maximum)s "
                "per project.", requested=format_money(summary.requested, loc),
                maximum=format_money(call.max_grant_amount, loc)))))
        if summary.requested <= 0:
            issues.append(Issue("budget", "requested", str(_l(
                "The budget requests nothing from the municipality."))))
        for category, sources in summary.by_category.items():
            rule = call.category_rule(category)
            if rule is None or rule.cap_percent is None:
                continue
            if rule.cap_basis == CapBasis.TOTAL:
                base, amount = summary.total, sources.total
                text = _l("“%(category)s” is %(share)s of the project's total; this call "
                          "allows at most %(cap)s.", category=category_label(category),
                          share=format_percent(percent_of(amount, base), loc),
                          cap=format_percent(rule.cap_percent, loc))
            else:
                base, amount = summary.requested, sources.requested
                text = _l("“%(category)s” takes %(share)s of the amount requested; this call "
                          "allows at most %(cap)s.", category=category_label(category),
                          share=format_percent(percent_of(amount, base), loc),
                          cap=format_percent(rule.cap_percent, loc))
            if amount * 100 > rule.cap_percent * base:
                issues.append(Issue("budget", f"category-{category.value}", str(text)))
        if summary.overall.partner > 0 and not app.partners:
            issues.append(Issue("partners", "partners", str(_l(
                "The budget counts on partners' money, but no partner is listed."))))
    return issues


def complete_sections(app: Application, issues: list[Issue] | None = None) -> dict[str, bool]:
    """Each section with whether it has nothing left to fix (the task list)."""
    issues = check_application(app) if issues is None else issues
    with_issues = {issue.section for issue in issues}
    return {section: section not in with_issues for section in SECTIONS}


def category_label(category: BudgetCategory) -> str:
    return str(BUDGET_CATEGORY_LABELS[category])
