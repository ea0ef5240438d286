"""Calls: creating and editing a call with its rules, the default criteria, publishing.
Once an application has been submitted, the rules that decide its validity or score are
locked."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.models import (
    Application,
    ApplicationStatus,
    BudgetCategory,
    Call,
    CallCategory,
    CallStatus,
    CapBasis,
    Criterion,
    User,
)
from portal.services.audit import record_event

# The default criteria, after the federal presidential grants competition adapted to library
# projects (see DESIGN.md): name, what low and high marks mean, weight.
DEFAULT_CRITERIA: tuple[tuple[str, str, Decimal], ...] = (
    ("Актуальность и социальная значимость проекта",
     "0–3: проблема не обоснована, нет данных о потребностях читателей; 8–10: проблема "
     "подтверждена данными, проект отвечает приоритетам конкурса и нуждам территории.",
     Decimal("1")),
    ("Логичность, взаимосвязь и реализуемость проекта",
     "0–3: мероприятия не ведут к целям и результатам; 8–10: цели, задачи, мероприятия, "
     "сроки и результаты согласованы, план выполним.", Decimal("1")),
    ("Инновационность, уникальность проекта",
     "0–3: повторяет обычную деятельность библиотеки; 8–10: новые для территории форматы, "
     "технологии или партнёрства.", Decimal("1")),
    ("Соотношение затрат и результатов, измеримость результатов",
     "0–3: результаты не измеримы или несоразмерны затратам; 8–10: конкретные показатели с "
     "целевыми значениями, затраты оправданы результатами.", Decimal("1")),
    ("Реалистичность и обоснованность бюджета",
     "0–3: расходы не обоснованы, цены завышены; 8–10: каждая статья обоснована, цены "
     "подтверждены коммерческими предложениями.", Decimal("1")),
    ("Масштаб реализации проекта",
     "0–3: охват минимален; 8–10: значительный охват жителей, в том числе удалённых "
     "населённых пунктов и разных групп читателей.", Decimal("1")),
    ("Собственный вклад, ресурсы партнёров и перспективы развития",
     "0–3: софинансирование на минимуме, нет плана продолжения; 8–10: существенный вклад "
     "библиотеки и партнёров, проект будет жить после окончания финансирования.",
     Decimal("1")),
    ("Опыт библиотеки в реализации проектов",
     "0–3: нет опыта; 8–10: успешно реализованные проекты сопоставимого масштаба.",
     Decimal("1")),
    ("Компетентность команды проекта",
     "0–3: команда не представлена; 8–10: у исполнителей есть опыт и квалификация для "
     "всех задач проекта.", Decimal("1")),
    ("Информационная открытость",
     "0–3: библиотека и проект не освещаются; 8–10: план информирования жителей, "
     "публикации о ходе и итогах проекта.", Decimal("1")),
)

# Categories a new call allows, with caps that municipalities commonly set.
DEFAULT_CATEGORY_CAPS: dict[BudgetCategory, tuple[Decimal | None, CapBasis]] = {
    BudgetCategory.EQUIPMENT: (None, CapBasis.TOTAL),
    BudgetCategory.INFORMATISATION: (None, CapBasis.TOTAL),
    BudgetCategory.ACQUISITIONS: (None, CapBasis.TOTAL),
    BudgetCategory.DIGITISATION: (None, CapBasis.TOTAL),
    BudgetCategory.TRAINING: (None, CapBasis.TOTAL),
    BudgetCategory.FEES: (Decimal("30"), CapBasis.REQUESTED),
    BudgetCategory.EVENTS: (None, CapBasis.TOTAL),
    BudgetCategory.OTHER: (Decimal("10"), CapBasis.TOTAL),
}

# What a submitted application's validity or score depends on.
LOCKED_AFTER_SUBMISSION = (
    "directions",
    "score_aggregation",
    "tie_break",
    "max_applications_per_organisation",
    "implementation_start",
    "implementation_end",
    "max_grant_amount",
    "min_cofinancing_percent",
    "categories",
    "criteria",
)
CALL_FIELDS = (
    "title", "description", "directions", "opens_at", "closes_at", "timezone",
    "implementation_start", "implementation_end", "fund_amount", "max_grant_amount",
    "min_cofinancing_percent", "reviewers_per_application", "disagreement_threshold_percent",
    "review_deadline", "reporting_dates", "score_aggregation", "tie_break",
    "max_applications_per_organisation", "results_public",
)


def has_submissions(session: Session, call: Call) -> bool:
    """Whether any application of the call has gone past the draft."""
    if call.id is None:
        return False
    return bool(session.scalar(select(exists().where(
        Application.call_id == call.id, Application.status != ApplicationStatus.DRAFT
    ))))


def locked_fields(session: Session, call: Call) -> set[str]:
    return set(LOCKED_AFTER_SUBMISSION) if has_submissions(session, call) else set()


def _check_rules(data: dict[str, Any]) -> None:
    opens, closes = data["opens_at"], data["closes_at"]
    if closes <= opens:
        raise DomainError(_l("The call must close after it opens."), field="closes_at")
    if data["implementation_end"] < data["implementation_start"]:
        raise DomainError(_l("The implementation period ends before it starts."),
                          field="implementation_end")
    if data["max_grant_amount"] > data["fund_amount"]:
        raise DomainError(_l("The largest grant cannot exceed the fund."),
                          field="max_grant_amount")
    if not data["directions"]:
        raise DomainError(_l("Give at least one priority direction."), field="directions")
    for value in data.get("reporting_dates") or []:
        date.fromisoformat(value)


def _next_number(session: Session, year: int) -> int:
    current = session.scalar(select(func.max(Call.number)).where(Call.year == year))
    return (current or 0) + 1


def _apply_categories(
    call: Call, categories: dict[BudgetCategory, tuple[Decimal | None, CapBasis]]
) -> None:
    existing = {c.category: c for c in call.categories}
    for category in BudgetCategory:
        if category not in categories:
            if category in existing:
                call.categories.remove(existing[category])
            continue
        cap, basis = categories[category]
        row = existing.get(category) or CallCategory(category=category)
        row.cap_percent, row.cap_basis = cap, basis
        if category not in existing:
            call.categories.append(row)


def create_call(
    session: Session,
    data: dict[str, Any],
    *,
    actor: User | None,
    categories: dict[BudgetCategory, tuple[Decimal | None, CapBasis]] | None = None,
) -> Call:
    """Create a draft call from checked data; it starts with the default criteria and
    budget categories, which the chair may edit until the first submission."""
    _check_rules(data)
    zone = ZoneInfo(data.get("timezone") or "Europe/Moscow")
    year = data["opens_at"].astimezone(zone).year
    call = Call(**{k: v for k, v in data.items() if k in CALL_FIELDS},
                year=year, number=_next_number(session, year),
                created_by_id=actor.id if actor else None)
    _apply_categories(call, categories if categories is not None else DEFAULT_CATEGORY_CAPS)
    call.criteria = [
        Criterion(position=n, name=name, description=description, weight=weight, scale_max=10)
        for n, (name, description, weight) in enumerate(DEFAULT_CRITERIA, start=1)
    ]
    session.add(call)
    session.flush()
    record_event(session, actor=actor, action="call.created", obj=call, to_state=call.status)
    return call


def update_call(
    session: Session,
    call: Call,
    data: dict[str, Any],
    *,
    actor: User,
    categories: dict[BudgetCategory, tuple[Decimal | None, CapBasis]] | None = None,
) -> list[str]:
    """Change the call's rules. After the first submission the rules that decide validity
    or score are locked: changing one raises ConflictError naming it. Returns what changed."""
    _check_rules(data)
    locked = locked_fields(session, call)
    changed = [k for k in CALL_FIELDS if k in data and getattr(call, k) != data[k]]
    current_categories = {c.category: (c.cap_percent, c.cap_basis) for c in call.categories}
    categories_changed = categories is not None and categories != current_categories
    if categories_changed:
        changed.append("categories")
    blocked = [k for k in changed if k in locked]
    if blocked:
        raise ConflictError(
            _l("Applications have already been submitted to this call, so its rules that "
               "decide their validity cannot change."),
            field=blocked[0],
        )
    for key in CALL_FIELDS:
        if key in data:
            setattr(call, key, data[key])
    if categories_changed and categories is not None:
        _apply_categories(call, categories)
    if changed:
        record_event(session, actor=actor, action="call.updated", obj=call,
                     details={"fields": changed})
    return changed


def replace_criteria(
    session: Session,
    call: Call,
    rows: list[tuple[str, str, int, Decimal]],
    *,
    actor: User,
) -> None:
    """Set the call's criteria (name, description, scale maximum, weight), in order."""
    if "criteria" in locked_fields(session, call):
        raise ConflictError(_l("Applications have already been submitted to this call, so its "
                               "criteria cannot change."))
    if not rows:
        raise DomainError(_l("A call needs at least one criterion."))
    call.criteria = [
        Criterion(position=n, name=name, description=description, scale_max=scale, weight=w)
        for n, (name, description, scale, w) in enumerate(rows, start=1)
    ]
    record_event(session, actor=actor, action="call.criteria_changed", obj=call,
                 details={"count": len(rows)})


def publish_call(session: Session, call: Call, *, actor: User, now: datetime | None = None) -> None:
    """Make a draft call visible to libraries; it needs criteria and budget categories."""
    if call.status == CallStatus.PUBLISHED:
        raise ConflictError(_l("The call is already published."))
    if not call.criteria or not call.categories:
        raise DomainError(_l("A call needs criteria and budget categories before publishing."))
    call.status = CallStatus.PUBLISHED
    call.published_at = now or utcnow()
    record_event(session, actor=actor, action="call.published", obj=call,
                 from_state=CallStatus.DRAFT, to_state=CallStatus.PUBLISHED)
