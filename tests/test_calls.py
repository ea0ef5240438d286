"""Calls: the chair creates, edits and publishes a call with its rules and criteria;
applicants read open, upcoming and closed calls; rules lock after the first submission."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.errors import ConflictError
from portal.models import ApplicationStatus, AuditEvent, BudgetCategory, Call, CallStatus, Role
from portal.services.calls import DEFAULT_CRITERIA, replace_criteria, update_call
from tests.conftest import call_data


def form_data(**overrides):
    now = utcnow() + timedelta(hours=3)  # Moscow wall-clock time
    data = {
        "title": "Читающий город 2027", "description": "Конкурс",
        "directions": "Продвижение чтения\nЦифровизация\n",
        "timezone": "Europe/Moscow",
        "opens_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "implementation_start": (now + timedelta(days=60)).date().isoformat(),
        "implementation_end": (now + timedelta(days=400)).date().isoformat(),
        "fund_amount": "10 000 000", "max_grant_amount": "1 000 000,00",
        "min_cofinancing_percent": "20", "reviewers_per_application": "2",
        "disagreement_threshold_percent": "30", "review_deadline": "",
        "reporting_dates": "2027-06-30\n2027-12-15",
    }
    for n, _category in enumerate(BudgetCategory):
        data[f"categories-{n}-allowed"] = "y"
        data[f"categories-{n}-cap_basis"] = "total"
    data["categories-5-cap_percent"] = "30"
    data["categories-5-cap_basis"] = "requested"
    data.update(overrides)
    return data


def test_chair_creates_a_call_with_default_criteria(client, db, create_user, login_as):
    chair = create_user(Role.CHAIR)
    login_as(chair)
    assert client.get("/calls/new").status_code == 200
    response = client.post("/calls/new", data=form_data())
    assert response.status_code == 302, response.get_data(as_text=True)
    call = db.scalars(select(Call)).one()
    assert call.status == CallStatus.DRAFT
    assert call.directions == ["Продвижение чтения", "Цифровизация"]
    assert call.fund_amount == Decimal("10000000.00")
    assert call.min_cofinancing_percent == Decimal("20.00")
    assert call.timezone == "Europe/Moscow"
    assert call.closes_at.utcoffset() == timedelta(0)  # stored in UTC
    assert [c.name for c in call.criteria] == [c[0] for c in DEFAULT_CRITERIA]
    fees = call.category_rule(BudgetCategory.FEES)
    assert (fees.cap_percent, fees.cap_basis.value) == (Decimal("30.00"), "requested")
    assert call.reporting_dates == ["2027-06-30", "2027-12-15"]
    # Drafts are invisible to libraries.
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "draft" in page.lower()


def test_closing_time_is_entered_in_the_calls_zone_and_shown_with_it(client, db, create_user,
                                                                      login_as):
    login_as(create_user(Role.CHAIR))
    client.post("/calls/new", data=form_data(closes_at="2030-03-01T18:00"))
    call = db.scalars(select(Call)).one()
    assert call.closes_at.hour == 15  # 18:00 MSK is 15:00 UTC
    assert "01.03.2030 18:00 MSK" in client.get(f"/calls/{call.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("override", "message"),
    [({"closes_at": "2020-01-01T00:00"}, "must close after it opens"),
     ({"max_grant_amount": "20 000 000"}, "cannot exceed the fund"),
     ({"fund_amount": "-5"}, "cannot be negative"),
     ({"min_cofinancing_percent": "150"}, "at most"),
     ({"reporting_dates": "31.02.2027"}, "is not a date"),
     ({"directions": ""}, "This field is required")],
)
def test_bad_rules_are_refused_with_a_message(client, db, create_user, login_as, override,
                                              message):
    login_as(create_user(Role.CHAIR))
    response = client.post("/calls/new", data=form_data(**override))
    assert response.status_code in (200, 422)
    assert message in response.get_data(as_text=True)
    assert db.scalars(select(Call)).all() == []


def test_publish_makes_the_call_visible(client, db, create_user, create_call, login_as):
    call = create_call(published=False)
    applicant = create_user(Role.APPLICANT)
    login_as(applicant)
    assert client.get(f"/calls/{call.id}").status_code == 404
    assert call.title not in client.get("/calls/").get_data(as_text=True)
    login_as(create_user(Role.CHAIR))
    assert client.post(f"/calls/{call.id}/publish").status_code == 302
    db.expire_all()
    assert call.status == CallStatus.PUBLISHED and call.published_at
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "call.published"))
    login_as(applicant)
    assert client.get(f"/calls/{call.id}").status_code == 200


def test_call_list_groups_open_upcoming_and_closed(client, db, create_call):
    now = utcnow()
    create_call(title="Открытый")
    create_call(title="Будущий", opens_at=now + timedelta(days=5),
                closes_at=now + timedelta(days=50))
    closed = create_call(title="Прошедший", opens_at=now - timedelta(days=50),
                         closes_at=now - timedelta(days=5))
    html = client.get("/calls/").get_data(as_text=True)
    assert html.index("Открытый") < html.index("Будущий") < html.index("Прошедший")
    page = client.get(f"/calls/{closed.id}").get_data(as_text=True)
    assert "Applications closed on" in page  # closed calls stay readable
    assert "Time left" in client.get(f"/calls/{closed.id - 2}").get_data(as_text=True)


def test_rules_lock_after_the_first_submission(client, ctx, db, create_application, create_user):
    app = create_application(status=ApplicationStatus.SUBMITTED)
    call, chair = app.call, create_user(Role.CHAIR)
    for key, value in (("min_cofinancing_percent", Decimal("5")),
                       ("max_grant_amount", Decimal("5000000")),
                       ("implementation_end", call.implementation_end + timedelta(days=1))):
        data = {k: getattr(call, k) for k in call_data()}
        data[key] = value
        with pytest.raises(ConflictError):
            update_call(db, call, data, actor=chair)  # refuses before changing anything
    with pytest.raises(ConflictError):
        replace_criteria(db, call, [("Одно", "", 10, Decimal("1"))], actor=chair)
    # What does not decide validity or score may still change.
    data = {k: getattr(call, k) for k in call_data()}
    data["fund_amount"] = Decimal("20000000")
    data["closes_at"] = call.closes_at + timedelta(days=3)
    assert set(update_call(db, call, data, actor=chair)) == {"fund_amount", "closes_at"}


def test_edit_page_shows_why_fields_are_locked(client, db, create_application, create_user,
                                               login_as):
    app = create_application(status=ApplicationStatus.SUBMITTED)
    login_as(create_user(Role.CHAIR))
    html = client.get(f"/calls/{app.call.id}/edit").get_data(as_text=True)
    assert "Locked: applications have been submitted under this rule." in html
    assert 'id="min_cofinancing_percent" name="min_cofinancing_percent"' in html
    before = app.call.min_cofinancing_percent
    # A crafted request changing a locked rule is ignored; the other fields are saved.
    data = form_data(min_cofinancing_percent="1", title="Новое название")
    response = client.post(f"/calls/{app.call.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.expire_all()
    assert app.call.min_cofinancing_percent == before and app.call.title == "Новое название"


def test_chair_edits_the_criteria(client, db, create_call, create_user, login_as):
    call = create_call(published=False)
    login_as(create_user(Role.CHAIR))
    assert client.get(f"/calls/{call.id}/criteria").status_code == 200
    response = client.post(f"/calls/{call.id}/criteria", data={
        "rows-0-name": "Актуальность", "rows-0-description": "…", "rows-0-scale_max": "10",
        "rows-0-weight": "1,5", "rows-1-name": "", "rows-2-name": "Бюджет",
        "rows-2-scale_max": "5", "rows-2-weight": "1"})
    assert response.status_code == 302
    db.expire_all()
    assert [(c.name, c.scale_max, c.weight) for c in call.criteria] == [
        ("Актуальность", 10, Decimal("1.50")), ("Бюджет", 5, Decimal("1.00"))]


CHAIR_ROUTES = [("GET", "/calls/new"), ("POST", "/calls/new"), ("GET", "/calls/{id}/edit"),
                ("POST", "/calls/{id}/edit"), ("GET", "/calls/{id}/criteria"),
                ("POST", "/calls/{id}/criteria"), ("POST", "/calls/{id}/publish")]


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER, Role.FINANCE])
@pytest.mark.parametrize(("method", "route"), CHAIR_ROUTES)
def test_only_the_chair_and_admin_manage_calls(client, db, create_call, create_user, login_as,
                                               role, method, route):
    call = create_call(published=False)
    login_as(create_user(role))
    assert client.open(route.format(id=call.id), method=method).status_code == 403
    db.expire_all()
    assert call.status == CallStatus.DRAFT


@pytest.mark.parametrize(("method", "route"), CHAIR_ROUTES)
def test_anonymous_managing_calls_is_sent_to_sign_in(client, db, create_call, method, route):
    call = create_call(published=False)
    response = client.open(route.format(id=call.id), method=method)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_may_manage_calls(client, db, create_user, login_as):
    login_as(create_user(Role.ADMIN))
    assert client.get("/calls/new").status_code == 200
