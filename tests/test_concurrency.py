"""Many people at once, through the pages, with real commits on a database of its own (a
SQLite file, or a PostgreSQL database beside the test one): twenty saves of one draft (no
update lost, every stale save told so), submissions racing the closing moment (unique,
gapless registration numbers; nothing half-submitted), decisions and reserve funding
against the fund, and reviewers scoring the same application or the same review at once
(one review per reviewer and application, the application completed once, no 500).

The fund under plain concurrent decisions is tested in test_decisions.py. On SQLite every
writing request begins with BEGIN IMMEDIATE, so writers run one at a time there whatever the
code does; the same tests on PostgreSQL show that the row locks and version checks do it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import portal.permissions
import portal.services.applications
import portal.services.reviews
import portal.workflow
from portal.db import utcnow
from portal.extensions import limiter
from portal.i18n import LANGUAGE_COOKIE
from portal.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Call,
    Decision,
    DecisionOutcome,
    OutboxMessage,
    Partner,
    Review,
    ReviewScore,
    ReviewStatus,
    Role,
    User,
)
from portal.services import decisions
from tests.assurance import record
from tests.conftest import live_database_url, make_test_app, reset_schema, run_together

S = ApplicationStatus
D = Decimal
PEOPLE = 20  # simultaneous saves of one draft
SUBMITTERS = 12  # applications submitted around the closing moment, half before it
TABS = 4  # one reviewer's browser tabs posting the same review


# --- a database of its own, committed for real ------------------------------------------------


def live_portal(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The portal on a database of the test module's own, for a module-scoped `app` that
    overrides the shared one, so that every request commits for real (and other processes
    see it)."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    flask_app = make_test_app(live_database_url(tmp_path_factory, name),
                              str(tmp_path_factory.mktemp(f"{name}-instance")))
    reset_schema(flask_app)
    yield flask_app
    flask_app.extensions["vektor.db"]["engine"].dispose()


def committing_session(app: Flask) -> Iterator[Session]:
    """A plain session whose commits are real, for a `db` that overrides the shared one, so
    that the shared factories (create_application, assign, ...) set up data the requests
    can see."""
    limiter.reset()
    session = app.extensions["vektor.db"]["sessionmaker"]()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from live_portal(request, tmp_path_factory)


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    yield from committing_session(app)


def signed_in(app: Flask, user: User) -> FlaskClient:
    """A client of its own (one per thread), signed in as `user`, reading English."""
    client = app.test_client()
    client.set_cookie(LANGUAGE_COOKIE, "en")
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


def fresh(db: Session, model: type, ident: int) -> Any:
    """The row as committed now."""
    db.expire_all()
    return db.get(model, ident)


def count_events(session: Session, action: str, object_id: int) -> int:
    """How many audit rows record `action` on the object with that id."""
    return int(session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == action, AuditEvent.object_id == str(object_id))) or 0)


def together(db: Session, work: Callable[[int], Any], count: int) -> list[Any]:
    """run_together, once the test's own session has ended its transaction: on SQLite even
    a read outside a GET request holds the write lock, and the threads would wait for it."""
    db.commit()
    record("concurrency runs")
    record("simultaneous requests in the concurrency runs", count)
    results = run_together(work, count)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures
    return results


class FormFields(HTMLParser):
    """The fields of a page's forms and their values, as a browser would send them back:
    inputs, text areas, and the selected option of each select."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._textarea_started = False
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        name = attr.get("name")
        kind = attr.get("type")
        if tag == "input" and name and kind not in ("submit", "button", "reset"):
            if kind not in ("checkbox", "radio") or "checked" in attr:
                self.values[name] = attr.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self._textarea_started = name, False
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and ("selected" in attr
                                                   or self._select not in self.values):
            self.values[self._select] = attr.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            if not self._textarea_started:  # a browser drops the newline after <textarea>
                data, self._textarea_started = data.removeprefix("\r\n").removeprefix("\n"), True
            self.values[self._textarea] += data


def version_on(html: str) -> str:
    return FormFields(html).values["version"]


# --- twenty saves of one draft ----------------------------------------------------------------

STALE = "saved this application after you opened this page"

# What each person changes: everyone the same field, or each a section of their own choice.
SAME_FIELD = [("problem", ("problem",))] * PEOPLE
OWN_SECTIONS = [(("problem", ("problem",)), ("goals", ("goals", "tasks")),
                 ("target_groups", ("target_groups",)))[n % 3] for n in range(PEOPLE)]


@pytest.fixture
def draft_and_colleagues(
    db: Session, create_application: Callable[..., Any], create_user: Callable[..., User],
) -> tuple[Application, list[User]]:
    """A draft and twenty people of its library, each with a name of their own."""
    draft = create_application()
    people = [create_user(Role.APPLICANT, organisation=draft.organisation,
                          full_name=f"Сотрудник №{n:02d}") for n in range(PEOPLE)]
    db.commit()
    return draft, people


@pytest.mark.parametrize("changes", [SAME_FIELD, OWN_SECTIONS],
                         ids=["the same field", "sections of their own"])
def test_twenty_simultaneous_saves_of_one_draft(app, db, draft_and_colleagues, changes):
    """All twenty opened the page at the same version: one save wins, each of the nineteen
    others is answered 409 naming the winner, with its own text kept on the page, and the
    saved row is exactly the winner's, nothing of the others mixed in."""
    draft, people = draft_and_colleagues
    before = {f: getattr(draft, f) for _s, fields in OWN_SECTIONS[:3] for f in fields}
    version = draft.version
    clients = [signed_in(app, person) for person in people]
    pages = together(
        db, lambda n: clients[n].get(f"/applications/{draft.id}/edit/{changes[n][0]}"), PEOPLE)
    versions = [version_on(page.get_data(as_text=True)) for page in pages]
    assert set(versions) == {str(version)}

    def typed(n: int) -> dict[str, str]:
        return {field: f"Текст сотрудника №{n:02d}, поле {field}" for field in changes[n][1]}

    def save(n: int) -> tuple[int, str]:
        response = clients[n].post(f"/applications/{draft.id}/edit/{changes[n][0]}",
                                   data={"version": versions[n], **typed(n)})
        return response.status_code, response.get_data(as_text=True)

    results = together(db, save, PEOPLE)
    winners = [n for n, (status, _body) in enumerate(results) if status == 302]
    assert len(winners) == 1, [status for status, _body in results]
    winner = winners[0]
    for n, (status, body) in enumerate(results):
        if n == winner:
            continue
        assert status == 409
        assert STALE in body and people[winner].full_name in body
        for text_ in typed(n).values():
            assert text_ in body  # what this person typed stays on the page

    saved = fresh(db, Application, draft.id)
    assert saved.version == version + 1
    assert saved.updated_by_id == people[winner].id
    expected = {**before, **typed(winner)}
    assert {f: getattr(saved, f) for f in before} == expected


def test_twenty_people_who_reload_after_a_conflict_all_get_their_rows_in(
        app, db, draft_and_colleagues):
    """Each adds a partner of their own; told of a newer save, they reload the page (now
    showing the others' partners) and add theirs again. In the end all twenty partners are
    there, each once, beside the one the draft had: no update was lost."""
    draft, people = draft_and_colleagues
    original = [p.name for p in draft.partners]
    version = draft.version
    clients = [signed_in(app, person) for person in people]
    attempts = [0] * PEOPLE

    def add_own_partner(n: int) -> int:
        url = f"/applications/{draft.id}/edit/partners"
        while attempts[n] < 10 * PEOPLE:
            attempts[n] += 1
            page = clients[n].get(url)
            assert page.status_code == 200
            fields = FormFields(page.get_data(as_text=True)).values
            form = {k: v for k, v in fields.items() if k == "version" or k.startswith("rows-")}
            row = next(i for i in range(200) if not form.get(f"rows-{i}-name"))
            form.update({f"rows-{row}-name": f"Партнёр №{n:02d}",
                         f"rows-{row}-role": "Площадка", f"rows-{row}-contribution": "Зал"})
            response = clients[n].post(url, data=form)
            if response.status_code == 302:
                return attempts[n]
            assert response.status_code == 409, response.status_code
            assert STALE in response.get_data(as_text=True)
        raise AssertionError(f"person {n} never got a save in")

    results = together(db, add_own_partner, PEOPLE)
    db.expire_all()
    names = list(db.scalars(select(Partner.name).where(Partner.application_id == draft.id)
                            .order_by(Partner.position)))
    assert sorted(names) == sorted(original + [f"Партнёр №{n:02d}" for n in range(PEOPLE)])
    assert fresh(db, Application, draft.id).version == version + PEOPLE
    assert sum(results) > PEOPLE  # some did have to reload: the saves really collided


# --- submissions at the closing moment --------------------------------------------------------


@pytest.fixture
def arrival_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """The moment each thread's requests arrive at, as the portal reads the time for the
    deadline (the permission, the page's check and the submission guard); other threads keep
    the real clock. So a dozen requests can arrive a few milliseconds either side of the
    closing moment, deterministically, while racing for the call's numbers for real."""
    here = threading.local()

    def clock() -> datetime:
        return getattr(here, "now", None) or utcnow()

    for module in (portal.services.applications, portal.workflow, portal.permissions):
        monkeypatch.setattr(module, "utcnow", clock)

    def arrive_at(moment: datetime) -> None:
        here.now = moment

    return arrive_at


def test_submissions_at_the_closing_moment(app, db, create_call, create_application,
                                           arrival_clock):
    """Twelve applications of one call submitted at once, arriving from 60 ms before the
    closing moment to 50 ms after it (one exactly at it). Those before it are submitted with
    the numbers 1 to 6, unique and without a gap; those at or after it are refused with the
    deadline message and stay drafts without a number; nothing is half-submitted."""
    call = create_call()
    drafts = [create_application(call=call) for _n in range(SUBMITTERS)]
    db.commit()
    closes_at = call.closes_at
    clients = [signed_in(app, d.created_by) for d in drafts]
    early = SUBMITTERS // 2
    arrivals = [closes_at + timedelta(milliseconds=10 * (n - early)) for n in range(SUBMITTERS)]

    def submit(n: int) -> tuple[int, str]:
        arrival_clock(arrivals[n])
        response = clients[n].post(f"/applications/{drafts[n].id}/submit")
        return response.status_code, response.get_data(as_text=True)

    results = together(db, submit, SUBMITTERS)
    assert [status for status, _body in results] == [302] * early + [409] * (SUBMITTERS - early)
    for _status, body in results[early:]:
        assert "The call closed for applications" in body

    db.expire_all()
    apps = list(db.scalars(select(Application).where(Application.call_id == call.id)))
    submitted = [a for a in apps if a.status == S.SUBMITTED]
    for a in apps:  # a status, its number, its sequence and its time go together
        assert (a.status == S.SUBMITTED) == (a.registration_number is not None) \
            == (a.sequence is not None) == (a.submitted_at is not None)
        assert a.status in (S.SUBMITTED, S.DRAFT)
    assert {a.id for a in submitted} == {d.id for d in drafts[:early]}
    assert sorted(a.sequence for a in submitted) == list(range(1, early + 1))
    assert sorted(a.registration_number for a in submitted) == [
        f"{call.code}-{n:04d}" for n in range(1, early + 1)]
    assert all(a.submitted_at < closes_at for a in submitted)
    assert fresh(db, Call, call.id).last_sequence == early
    ids = [str(d.id) for d in drafts]
    assert db.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "application.submit", AuditEvent.object_id.in_(ids))) == early
    authors = [d.created_by.email for d in drafts]
    assert db.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.recipient.in_(authors))) == early


# --- decisions and the reserve list against the fund ------------------------------------------

FUND = D("1000000.00")  # four grants of 225 000 fit (900 000), a fifth does not
GRANT = D("225000.00")  # what the default budget requests


@pytest.fixture
def reviewed_call(db, create_call, create_application, create_user, close_call):
    """A closed call with a fund of 1 000 000, ten reviewed applications asking 225 000
    each, and its chair."""
    call = create_call(fund_amount=FUND)
    apps = [create_application(call=call, status=S.REVIEWED) for _n in range(10)]
    close_call(call)
    chair = create_user(Role.CHAIR, full_name="Председатель")
    db.commit()
    return call, apps, chair


def decision_form(app_id: int, outcome: str, **values: str) -> dict[str, str]:
    return {f"decision{app_id}-outcome": outcome,
            **{f"decision{app_id}-{k}": v for k, v in values.items()}}


def funded_total(db: Session, call_id: int) -> Decimal:
    db.expire_all()
    return decisions.approved_total(db, call_id)


def test_mixed_simultaneous_decisions_keep_the_fund_and_the_reserve_places(app, db,
                                                                           reviewed_call):
    """Six grants, three places on the reserve list (no place given: the next free one) and a
    refusal, all at once: four grants fit and two are refused as not fitting the fund, the
    reserve places are 1, 2 and 3, each application has one decision, and the fund holds."""
    call, apps, chair = reviewed_call
    forms = (
        [decision_form(a.id, "funded", approved_amount="225000.00") for a in apps[:6]]
        + [decision_form(a.id, "reserve") for a in apps[6:9]]
        + [decision_form(apps[9].id, "not_funded", reason="Слабое обоснование")]
    )
    clients = [signed_in(app, chair) for _form in forms]

    def decide(n: int) -> tuple[int, str]:
        response = clients[n].post(
            f"/committee/calls/{call.id}/applications/{apps[n].id}/decision", data=forms[n])
        return response.status_code, response.get_data(as_text=True)

    results = together(db, decide, len(forms))
    statuses = [status for status, _body in results]
    assert sorted(statuses[:6]) == [302] * 4 + [409] * 2
    assert statuses[6:] == [302] * 4
    for status, body in results[:6]:
        if status == 409:
            assert "does not fit in the fund" in body

    total = funded_total(db, call.id)
    assert total == 4 * GRANT <= FUND
    rows = list(db.scalars(select(Decision).where(Decision.call_id == call.id)))
    assert len(rows) == len({r.application_id for r in rows}) == 8
    assert sorted(r.reserve_rank for r in rows if r.outcome == DecisionOutcome.RESERVE) == [
        1, 2, 3]
    assert [r.outcome for r in rows if r.application_id == apps[9].id] == [
        DecisionOutcome.NOT_FUNDED]


def test_funding_from_the_reserve_from_several_tabs_at_once(app, db, reviewed_call):
    """After the decisions are final and a funded library declined (325 000 free), the chair
    funds the first of the reserve list from three tabs while two more tabs try the second:
    the first is funded once, the second is refused (its turn comes after the first, and
    then the money does not fit), and the fund holds."""
    call, apps, chair = reviewed_call
    first, second = apps[4], apps[5]
    with app.test_request_context():
        for a in apps[:4]:
            decisions.decide(db, a, DecisionOutcome.FUNDED, approved_amount=GRANT, actor=chair)
        for rank, a in enumerate((first, second), start=1):
            decisions.decide(db, a, DecisionOutcome.RESERVE, reserve_rank=rank, actor=chair)
        for a in apps[6:]:
            decisions.decide(db, a, DecisionOutcome.NOT_FUNDED, reason="Ниже черты",
                             actor=chair)
        decisions.finalise_decisions(db, call, actor=chair)
        decisions.decline(db, apps[0], reason="Проект отменён", actor=chair)
        db.commit()
    targets = [first] * 3 + [second] * 2
    clients = [signed_in(app, chair) for _target in targets]

    def fund(n: int) -> tuple[int, str]:
        target = targets[n]
        response = clients[n].post(
            f"/committee/calls/{call.id}/applications/{target.id}/fund-from-reserve",
            data={f"reserve{target.id}-approved_amount": "225000.00"})
        return response.status_code, response.get_data(as_text=True)

    results = together(db, fund, len(targets))
    assert sorted(status for status, _body in results[:3]) == [302, 409, 409]
    assert [status for status, _body in results[3:]] == [409, 409]
    for status, body in results:
        if status == 409:
            assert ("not on the reserve list" in body or "comes first" in body
                    or "does not fit in the fund" in body), body

    assert funded_total(db, call.id) == 4 * GRANT <= FUND
    assert fresh(db, Application, first.id).status == S.FUNDED
    assert fresh(db, Application, second.id).status == S.NOT_FUNDED
    outcomes = dict(db.execute(select(Decision.application_id, Decision.outcome)
                               .where(Decision.application_id.in_([first.id, second.id]))).all())
    assert outcomes == {first.id: DecisionOutcome.FUNDED, second.id: DecisionOutcome.RESERVE}
    assert count_events(db, "decision.funded_from_reserve", first.id) == 1
    assert count_events(db, "decision.funded_from_reserve", second.id) == 0


# --- reviewers scoring at once ----------------------------------------------------------------


@pytest.fixture
def in_review(db, create_call, create_application, close_call):
    """An application in review in a closed call (three criteria, two reviews asked for)."""
    call = create_call()
    call.criteria = call.criteria[:3]
    application = create_application(call=call, status=S.IN_REVIEW)
    close_call(call)
    db.commit()
    return application


def sheet(application: Application, action: str, comment: str = "Обоснованный проект"
          ) -> dict[str, str]:
    """A complete scoring sheet, to save as a draft or to submit."""
    data = {"overall_comment": comment, "recommendation": "fund", "action": action}
    for criterion in application.call.criteria:
        data[f"score_{criterion.id}"] = "7"
        data[f"comment_{criterion.id}"] = "Комментарий"
    return data


def reviews_of(db: Session, application: Application, reviewer: User) -> list[Review]:
    db.expire_all()
    return list(db.scalars(select(Review).where(Review.application_id == application.id,
                                                Review.reviewer_id == reviewer.id)))


def post_sheets(app: Flask, db: Session, assignment_id: int, reviewer: User,
                sheets: list[dict[str, str]]) -> list[tuple[int, str]]:
    clients = [signed_in(app, reviewer) for _sheet in sheets]

    def post(n: int) -> tuple[int, str]:
        response = clients[n].post(f"/review/assignments/{assignment_id}", data=sheets[n])
        return response.status_code, response.get_data(as_text=True)

    return together(db, post, len(sheets))


LOCKED = "This review has been submitted and is locked"


@pytest.mark.parametrize("with_draft", [True, False], ids=["a saved draft", "no draft yet"])
def test_one_review_submitted_from_several_tabs_at_once(app, db, in_review, assign,
                                                        create_review, with_draft):
    """A double click, or the same sheet submitted from four tabs: it is submitted once (one
    review, its scores once each, one audit row), and every other tab is told it is locked."""
    if with_draft:
        review = create_review(in_review, [7, 7, 7], submitted=False)
        assignment_id, reviewer = review.assignment_id, review.reviewer
    else:
        assignment = assign(in_review)
        assignment_id, reviewer = assignment.id, assignment.reviewer
    db.commit()

    results = post_sheets(app, db, assignment_id, reviewer, [sheet(in_review, "submit")] * TABS)
    assert sorted(status for status, _body in results) == [302] + [409] * (TABS - 1)
    for status, body in results:
        if status == 409:  # the refusal, or the sheet shown as the locked review it now is
            assert LOCKED in body or "You submitted this review on" in body
    (review,) = reviews_of(db, in_review, reviewer)
    assert review.status == ReviewStatus.SUBMITTED
    assert db.scalar(select(func.count(ReviewScore.id)).where(
        ReviewScore.review_id == review.id)) == len(in_review.call.criteria)
    assert count_events(db, "review.submitted", review.id) == 1


def test_first_saves_of_a_review_from_several_tabs_at_once(app, db, in_review, assign):
    """Four tabs save the first draft of the same review at once: each save is kept in turn
    (no 500 for the one that finds the review just created), and there is one review, with
    one score per criterion, holding one of the tabs' texts."""
    assignment = assign(in_review)
    reviewer = assignment.reviewer
    db.commit()
    texts = [f"Черновик вкладки {n}" for n in range(TABS)]

    results = post_sheets(app, db, assignment.id, reviewer,
                          [sheet(in_review, "save", text_) for text_ in texts])
    assert [status for status, _body in results] == [302] * TABS
    (review,) = reviews_of(db, in_review, reviewer)
    assert review.status == ReviewStatus.DRAFT and review.overall_comment in texts
    assert db.scalar(select(func.count(ReviewScore.id)).where(
        ReviewScore.review_id == review.id)) == len(in_review.call.criteria)


@pytest.fixture
def slow_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each submission a moment before it counts the submitted reviews, so that without
    the application's row lock every reviewer would count before any other commits, and
    none would see the review complete."""
    original = portal.services.reviews.review_is_complete

    def slow(*args: Any, **kwargs: Any) -> bool:
        threading.Event().wait(0.05)
        return original(*args, **kwargs)

    monkeypatch.setattr(portal.services.reviews, "review_is_complete", slow)


def test_the_last_reviews_submitted_at_once_complete_the_application_once(
        app, db, in_review, create_review, create_user, slow_count):
    """Three reviewers submit the last reviews at the same moment: whichever commits last
    sees the others and moves the application to reviewed, exactly once."""
    reviewers = [create_user(Role.REVIEWER, full_name=f"Эксперт {n}") for n in range(3)]
    reviews = [create_review(in_review, [7, 7, 7], reviewer=r, submitted=False)
               for r in reviewers]
    db.commit()
    clients = [signed_in(app, r) for r in reviewers]

    def submit(n: int) -> int:
        return clients[n].post(f"/review/assignments/{reviews[n].assignment_id}",
                               data=sheet(in_review, "submit")).status_code

    results = together(db, submit, len(reviewers))
    assert results == [302] * len(reviewers)
    assert fresh(db, Application, in_review.id).status == S.REVIEWED
    assert count_events(db, "application.complete_review", in_review.id) == 1
