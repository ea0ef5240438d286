"""The security matrix: every route of `app.url_map` is classified (tests/route_classes.py),
and every route x role x target answers as classified: anonymous visitors are sent to sign
in, a wrong role gets 403, an object the user may not see 404 with nothing of it in the
body. Refused POSTs change nothing, GETs never change the database, every response carries
the security headers and cookie flags, POSTs without a valid CSRF token are refused, and
fields a role may not set are ignored when posted."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.routing import MapAdapter
from werkzeug.test import TestResponse

import portal.pdf
from portal.db import Base, utcnow
from portal.models import (
    Application,
    ApplicationStatus,
    AttachmentKind,
    Decision,
    DocumentJob,
    OutboxMessage,
    ReviewScore,
    Role,
    User,
)
from portal.security import CONTENT_SECURITY_POLICY
from portal.services import jobs
from portal.services import reports as report_service
from portal.services.accounts import make_reset_token
from portal.services.agreements import upload_scan
from portal.services.applications import submit_application
from portal.services.attachments import add_attachment
from tests.route_classes import (
    ACTS,
    ANONYMOUS,
    LOGIN,
    ROLES,
    ROUTES,
    Access,
    Expect,
    Route,
    Scenario,
)
from tests.test_attachments import PDF_BYTES

REFUSALS = (LOGIN, 403, 404)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CSRF_REFUSAL = "The form has expired or was sent from another site"
PDF_DOCUMENTS = ("application_pdf", "budget_pdf", "agreement_pdf", "admission_pdf",
                 "protocol_pdf", "summary_pdf", "score_sheet_pdf", "report_pdf")


def url_rules(app: Flask) -> dict[tuple[str, str], str]:
    """(endpoint, method) -> rule of every route the portal answers (HEAD and OPTIONS are
    Werkzeug's own)."""
    return {(rule.endpoint, method): rule.rule
            for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}


# --- classification ---------------------------------------------------------------------------


def test_every_route_is_classified(app, assurance):
    """A route added to the portal without a classification fails here, named with what its
    entry needs, so no route escapes the matrix."""
    missing = {key: rule for key, rule in url_rules(app).items() if key not in ROUTES}
    hints = [
        f"{method} {rule} ({endpoint}) is not classified. Add it to ROUTES in "
        f"tests/route_classes.py: (\"{endpoint}\", \"{method}\"): Route(<PUB, SIG, ROL or "
        f"OBJ>, <targets filling {sorted(next(app.url_map.iter_rules(endpoint)).arguments)} "
        f"or NONE>, <roles(chair=200, ...), everyone(200), signed_in(200) or a grid of role "
        f"x target>)."
        for (endpoint, method), rule in sorted(missing.items())
    ]
    assert not hints, "\n".join(hints)
    assurance("routes (endpoint x method) classified", len(url_rules(app)))


def test_the_table_names_only_routes_that_exist(app):
    """An entry for a route that is gone (or renamed) would silently check nothing."""
    stale = sorted(set(ROUTES) - set(url_rules(app)))
    assert not stale, f"classified but no longer in app.url_map, remove them: {stale}"


def test_every_role_and_target_has_an_answer():
    """Every cell of the matrix is written down: each role, for each of the route's
    targets."""
    problems = []
    for key, route in ROUTES.items():
        for role in ROLES:
            answer = route.expect.get(role)
            if answer is None:
                problems.append(f"{key}: no answer for {role}")
            elif not isinstance(answer, int | str) and set(answer) != set(route.targets):
                problems.append(f"{key}: {role}'s targets {sorted(answer)} are not the "
                                f"route's {sorted(route.targets)}")
    assert not problems, "\n".join(problems)


def _class_problem(route: Route) -> str | None:
    """Whether the answers fit the class: public routes never ask to sign in; signed-in
    routes ask anonymous visitors only and refuse no one; role routes refuse some role with
    403; object routes hide some object with 404."""
    answers = route.answers()
    anonymous = {a for role, _t, a in answers if role == ANONYMOUS}
    signed = {a for role, _t, a in answers if role != ANONYMOUS}
    if route.access == Access.PUBLIC and LOGIN in anonymous:
        return "a public route asks anonymous visitors to sign in"
    if route.access != Access.PUBLIC and LOGIN not in anonymous:
        return "a protected route never asks anonymous visitors to sign in"
    if route.access == Access.SIGNED_IN and signed & {403, 404}:
        return "a signed-in route refuses a signed-in role"
    if route.access == Access.ROLE and (403 not in signed or not signed - {403, 404}):
        return "a role route must refuse some role (403) and allow another"
    if route.access == Access.OBJECT and (404 not in signed or len(route.targets) < 2):
        return "an object route must hide (404) some of its several targets"
    return None


def test_each_route_s_answers_fit_its_class():
    """The class said of a route (public, signed-in, per role, per object) is what its
    answers show."""
    problems = [f"{key}: {problem}" for key, route in ROUTES.items()
                if (problem := _class_problem(route))]
    assert not problems, "\n".join(problems)


# --- the scenario ----------------------------------------------------------------------------


@dataclass
class World:
    """The objects every target is made of, the user acting in each role, and the marker
    texts that no refused answer may contain."""

    ids: Scenario
    people: dict[str, User]
    markers: tuple[str, ...]


def _stub_pdf(*args: Any, **kwargs: Any) -> bytes:
    return b"%PDF-1.4 stub"


def _file(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(PDF_BYTES), filename=name, content_type="application/pdf")


def _submit_report(db: Session, report: Any, applicant: User) -> None:
    """Fill the report as planned (every indicator reached, every line spent as budgeted)
    and submit it, as the library would."""
    app = report.agreement.application
    report_service.save_narrative(db, report, "Провели 20 встреч.",
                                  expected_version=report.version, actor=applicant)
    report_service.save_indicator_results(
        db, report, [{"indicator_id": i.id, "achieved": i.target, "comment": ""}
                     for i in app.indicators],
        expected_version=report.version, actor=applicant)
    report_service.save_spending(
        db, report, [{"budget_line_id": line.id, "requested_amount": line.requested_amount,
                      "own_amount": line.own_amount, "partner_amount": line.partner_amount,
                      "justification": ""} for line in app.budget_lines],
        expected_version=report.version, actor=applicant)
    report_service.submit_report(db, report, actor=applicant)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record jobs handed over after a commit instead of running them: a background thread
    may not use the test's rolled-back connection."""
    handed_over: list[Any] = []
    monkeypatch.setattr(jobs, "start_jobs", lambda app, pending: handed_over.append(pending))
    return handed_over


@pytest.fixture
def world(app, db, create_organisation, create_user, create_call, create_application,
          close_call, create_review, create_agreement, tmp_path, monkeypatch,
          started) -> World:
    """Two libraries (A is the applicant's own, B another), each with a draft and a
    submitted application in an open call and a funded one (files, reviews, a signed
    agreement with its scan, a submitted interim and a draft final report with a document)
    in a closed call whose decisions are final; a draft call; a reviewer assigned to A's
    funded application only; a background job and an outbox message. PDFs are stubbed:
    what is checked here is who gets them, not what they hold."""
    upload_dir = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(upload_dir))
    for name in PDF_DOCUMENTS:
        monkeypatch.setattr(portal.pdf, name, _stub_pdf)
    ids = Scenario()
    markers: list[str] = []

    def marked(text: str) -> str:
        markers.append(text)
        return text

    orgs = {side: create_organisation(full_name=marked(f"Библиотека MKR-ORG-{side}-FULL"),
                                      short_name=marked(f"MKR-ORG-{side}"))
            for side in ("own", "other")}
    people = {
        "applicant": create_user(Role.APPLICANT, organisation=orgs["own"]),
        "applicant_other": create_user(Role.APPLICANT, organisation=orgs["other"]),
        "reviewer": create_user(Role.REVIEWER),
        "reviewer_other": create_user(Role.REVIEWER),
        "chair": create_user(Role.CHAIR),
        "finance": create_user(Role.FINANCE),
        "admin": create_user(Role.ADMIN),
        "norole": create_user(),
    }
    authors = {"own": people["applicant"], "other": people["applicant_other"]}
    reviewers = {"own": people["reviewer"], "other": people["reviewer_other"]}
    calls = {"open": create_call(title=marked("MKR-CALL-OPEN")),
             "closed": create_call(title=marked("MKR-CALL-CLOSED")),
             "draft": create_call(published=False, title=marked("MKR-CALL-DRAFT"))}
    with app.test_request_context():
        for side, author in authors.items():
            draft = create_application(call=calls["open"], author=author,
                                       title=marked(f"MKR-APP-DRAFT-{side}"))
            submitted = create_application(call=calls["open"], author=author,
                                           status=ApplicationStatus.SUBMITTED,
                                           title=marked(f"MKR-APP-SUBMITTED-{side}"))
            funded = create_application(call=calls["closed"], author=author,
                                        title=marked(f"MKR-APP-FUNDED-{side}"))
            for state, app_ in (("draft", draft), ("funded", funded)):
                attachment = add_attachment(
                    db, app_, _file(marked(f"MKR-FILE-{state}-{side}") + ".pdf"),
                    AttachmentKind.SUPPORT_LETTER, actor=author, upload_dir=upload_dir)
                ids.attachments[f"{state}_{side}"] = attachment.id
            submit_application(db, funded, actor=author)
            review = create_review(funded, reviewer=reviewers[side])
            agreement = create_agreement(application=funded, signed=True)
            upload_scan(db, agreement, _file("скан.pdf"), actor=people["finance"],
                        upload_dir=upload_dir)
            interim, final = agreement.reports
            _submit_report(db, interim, author)
            document = report_service.add_report_document(
                db, final, _file(marked(f"MKR-DOC-{side}") + ".pdf"), actor=author,
                upload_dir=upload_dir)
            markers.extend([submitted.registration_number, funded.registration_number,
                            orgs[side].inn])
            ids.apps.update({f"draft_{side}": draft.id, f"submitted_{side}": submitted.id,
                             f"funded_{side}": funded.id})
            ids.assignments[side] = review.assignment_id
            ids.reviews[side] = review.id
            ids.agreements[side] = agreement.id
            ids.tranches[side] = agreement.tranches[0].id
            ids.reports.update({f"draft_{side}": final.id, f"submitted_{side}": interim.id})
            ids.documents[f"draft_{side}"] = document.id
            ids.orgs[side] = orgs[side].id
        ids.reset_token = make_reset_token(people["applicant_other"])
    close_call(calls["closed"])
    calls["closed"].decisions_finalised_at = utcnow()
    job = DocumentJob(call_id=calls["closed"].id, kind=jobs.BUDGETS_ZIP,
                      content_key="0" * 64, total_count=2)
    db.add(job)
    db.flush()
    ids.job = job.id
    ids.outbox_message = db.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).first()
    assert ids.outbox_message, "the submissions should have queued e-mails"
    ids.calls = {name: call.id for name, call in calls.items()}
    ids.users = {name: user.id for name, user in people.items()}
    db.commit()
    return World(ids, people, tuple(markers))


# --- requests and judgements ------------------------------------------------------------------


def table_digests(connection: Connection) -> dict[str, str]:
    """A digest of every table's rows in primary-key order."""
    digests = {}
    for table in Base.metadata.sorted_tables:
        rows = connection.execute(select(table).order_by(*table.primary_key.columns))
        digests[table.name] = hashlib.sha256(repr(rows.all()).encode()).hexdigest()
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@contextmanager
def undone(db: Session) -> Iterator[Connection]:
    """Whatever happens inside is rolled back afterwards (a savepoint on the test's
    connection, under the requests' own), so each request meets the same scenario."""
    connection = db.get_bind()
    assert isinstance(connection, Connection)
    savepoint = connection.begin_nested()
    try:
        yield connection
    finally:
        savepoint.rollback()


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    target: str
    url: str
    expected: Expect

    def __str__(self) -> str:
        return f"{self.method} {self.url} ({self.endpoint}, {self.target})"


def cases(app: Flask, world: World, role: str, method: str) -> list[Case]:
    """Every classified route of `method` with each of its targets, for `role`: driven by
    `app.url_map`, so a new route comes in as soon as it is classified."""
    adapter: MapAdapter = app.url_map.bind("localhost")
    found = []
    for endpoint, route_method in sorted(url_rules(app)):
        if route_method != method:
            continue
        route = ROUTES.get((endpoint, route_method))
        if route is None:
            pytest.fail(f"{route_method} {endpoint} is not classified (see "
                        "test_every_route_is_classified)")
        for target, values in route.targets.items():
            url = adapter.build(endpoint, values(world.ids), method=method)
            found.append(Case(endpoint, method, target, url, route.expected(role, target)))
    return found


def act_as(client: FlaskClient, login_as: Callable[[User], FlaskClient], world: World,
           role: str) -> None:
    """A fresh session for `role` (no flashed messages left over from an earlier request,
    signed in again after a sign-out)."""
    with client.session_transaction() as sess:
        sess.clear()
    if role != ANONYMOUS:
        login_as(world.people[role])


def send(client: FlaskClient, login_as: Callable[[User], FlaskClient], world: World,
         role: str, case: Case, data: dict[str, Any] | None = None) -> TestResponse:
    """The request as `role` would send it, from a fresh session."""
    act_as(client, login_as, world, role)
    return client.open(case.url, method=case.method, data=data or {}, buffered=True)


def _is_login(response: TestResponse, case: Case) -> bool:
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    return location.path == "/login" and parse_qs(location.query).get("next") == [case.url]


def status_problem(response: TestResponse, case: Case) -> str | None:
    status = response.status_code
    if case.expected == LOGIN:
        ok = _is_login(response, case)
    elif case.expected == ACTS:
        ok = status < 500 and status not in (403, 404) and not _is_login(response, case)
    else:
        ok = status == case.expected and not (status == 302 and _is_login(response, case))
    if ok:
        return None
    seen = response.headers.get("Location") or response.get_data(as_text=True)[:80]
    return f"{case}: expected {case.expected}, got {status} ({seen!r})"


def leak_problem(response: TestResponse, case: Case, world: World) -> str | None:
    """A refusal says nothing of the objects: none of their marker texts in the body."""
    body = response.get_data(as_text=True)
    leaked = [marker for marker in world.markers if marker in body]
    return f"{case}: the refusal shows {leaked}" if leaked else None


def header_problems(response: TestResponse, case: Case, role: str) -> list[str]:
    problems = [f"{case}: {name} is {response.headers.get(name)!r}"
                for name, value in SECURITY_HEADERS.items()
                if response.headers.get(name) != value]
    cache = response.headers.get("Cache-Control", "")
    if response.mimetype == "text/html" and "no-store" not in cache:
        problems.append(f"{case}: an HTML page without Cache-Control: no-store")
    route = ROUTES[case.endpoint, case.method]
    if (role != ANONYMOUS and route.access != Access.PUBLIC and response.status_code == 200
            and "no-store" not in cache and "private" not in cache):
        problems.append(f"{case}: a protected answer that shared caches may keep ({cache!r})")
    for cookie in response.headers.getlist("Set-Cookie"):
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        if "httponly" not in flags or "samesite=lax" not in flags:
            problems.append(f"{case}: cookie without HttpOnly and SameSite=Lax: {cookie}")
    return problems


def check(response: TestResponse, case: Case, world: World, role: str) -> list[str]:
    problems = header_problems(response, case, role)
    if problem := status_problem(response, case):
        problems.append(problem)
    if case.expected in REFUSALS and (problem := leak_problem(response, case, world)):
        problems.append(problem)
    return problems


def report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


# --- the matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_get_answers_as_classified_and_changes_nothing(app, db, client, login_as, world,
                                                             role, assurance):
    """Each GET route with each target, as `role`: the classified status, nothing of a
    refused object in the body, the headers and cookie flags; and the database as it was
    (a digest of every table before and after the whole crawl)."""
    connection = db.get_bind()
    before = table_digests(connection)
    crawl = cases(app, world, role, "GET")
    problems = []
    for case in crawl:
        problems += check(send(client, login_as, world, role, case), case, world, role)
    after = table_digests(connection)
    assurance("security matrix: GET route x role x object cases", len(crawl))
    if before != after:
        problems.append(f"the crawl of {len(crawl)} pages changed {changed_tables(before, after)}")
    assert not problems, report(problems)


@pytest.mark.parametrize("role", ROLES)
def test_every_post_answers_as_classified_and_refusals_change_nothing(
        app, db, client, login_as, world, role, assurance):
    """Each POST route with each target, as `role`, each undone afterwards: a role that may
    act gets no refusal and no server error; any other gets the classified refusal, with
    nothing of the object in the body and every table as it was."""
    before = table_digests(db.get_bind())  # each request below is undone afterwards
    problems = []
    for case in cases(app, world, role, "POST"):
        with undone(db) as connection:
            response = send(client, login_as, world, role, case)
            problems += check(response, case, world, role)
            assurance("security matrix: POST route x role x object cases")
            if case.expected in REFUSALS and (changed := changed_tables(
                    before, table_digests(connection))):
                problems.append(f"{case}: refused, yet changed {changed}")
    assert not problems, report(problems)


# --- CSRF ---------------------------------------------------------------------------------------


def _csrf_token(client: FlaskClient) -> str:
    """A valid token of the client's session, from a page with a form."""
    html = client.get("/password/forgot").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]* value="([^"]+)"', html).group(1)


def test_posts_without_a_valid_csrf_token_are_refused(app, db, client, login_as, world,
                                                      monkeypatch, assurance):
    """With CSRF protection on, every POST route (from url_map), sent by a role that may
    make the change, is refused with 400 and changes nothing when the token is missing or
    forged; with the session's own token the same request gets past the check."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    problems = []
    acting = {}
    for case in cases(app, world, ANONYMOUS, "POST"):
        route = ROUTES[case.endpoint, case.method]
        role = next((r for r in ROLES if route.expected(r, case.target) == ACTS), None)
        if role is not None and case.endpoint not in acting:
            acting[case.endpoint] = (Case(case.endpoint, case.method, case.target, case.url,
                                          ACTS), role)
    missing = {endpoint for endpoint, method in url_rules(app) if method == "POST"} - set(acting)
    assert not missing, f"no role may act on {sorted(missing)}: nothing to check CSRF with"
    before = table_digests(db.get_bind())  # each request below is undone afterwards
    assurance("POST routes refused without a valid CSRF token", len(acting))
    for case, role in acting.values():
        for label, token in (("no token", None), ("a forged token", "forged.token.value")):
            with undone(db) as connection:
                response = send(client, login_as, world, role, case,
                                data={} if token is None else {"csrf_token": token})
                if (response.status_code != 400
                        or CSRF_REFUSAL not in response.get_data(as_text=True)):
                    problems.append(f"{case} as {role} with {label}: "
                                    f"{response.status_code}, not the CSRF refusal")
                if changed := changed_tables(before, table_digests(connection)):
                    problems.append(f"{case} as {role} with {label}: changed {changed}")
        with undone(db):
            act_as(client, login_as, world, role)
            response = client.post(case.url, data={"csrf_token": _csrf_token(client)})
            if CSRF_REFUSAL in response.get_data(as_text=True) or response.status_code >= 500:
                problems.append(f"{case} as {role} with the session's token: "
                                f"{response.status_code}")
    assert not problems, report(problems)


# --- fields a role may not set -----------------------------------------------------------------


REFUSED_INPUT = (400, 403, 409, 422)


def columns(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def saved(response: TestResponse) -> bool:
    """Whether the form was saved with the fields it does not have ignored (a redirect);
    refusing the whole request is right too. Anything else (a server error) is not."""
    assert response.status_code == 302 or response.status_code in REFUSED_INPUT, (
        response.status_code, response.get_data(as_text=True)[:2000])
    return response.status_code == 302


APPLICATION_DECIDED_BY_THE_PORTAL = (
    "status", "organisation_id", "call_id", "created_by_id", "registration_number",
    "sequence", "submitted_at", "screened_at", "withdrawn_at",
)


def test_an_applicant_cannot_set_what_the_portal_decides_on_an_application(
        client, db, login_as, create_application, create_call, create_user):
    """Status, library, call, author, number and the approved amount posted beside a
    section are ignored: the section is saved, those columns stay as they were, and no
    decision appears."""
    draft = create_application()
    other = create_application(status=ApplicationStatus.SUBMITTED)
    intruder = create_user(Role.APPLICANT)
    protected = columns(draft, APPLICATION_DECIDED_BY_THE_PORTAL)
    other_lines = [(line.id, line.item) for line in other.budget_lines]
    forbidden = {
        "status": "funded", "organisation_id": other.organisation_id,
        "call_id": create_call().id, "created_by_id": intruder.id,
        "registration_number": "2099-99-9999", "sequence": "99",
        "submitted_at": "2026-01-01T00:00:00", "screened_at": "2026-01-01T00:00:00",
        "approved_amount": "999999.00", "score": "100", "version": draft.version,
    }
    login_as(draft.created_by)
    title_saved = saved(client.post(f"/applications/{draft.id}/edit/general", data={
        **forbidden, "title": "Новое название", "direction": draft.direction,
        "start_date": draft.start_date.isoformat(), "end_date": draft.end_date.isoformat(),
        "summary": draft.summary}))
    db.expire_all()
    budget_saved = saved(client.post(f"/applications/{draft.id}/edit/budget", data={
        **forbidden, "version": draft.version,
        "rows-0-category": "equipment", "rows-0-item": "Ноутбук", "rows-0-unit": "шт.",
        "rows-0-quantity": "2", "rows-0-unit_price": "75000", "rows-0-requested_amount":
        "120000", "rows-0-own_amount": "30000", "rows-0-partner_amount": "0",
        "rows-0-application_id": other.id, "rows-0-id": other.budget_lines[0].id,
        "rows-0-total": "1"}))
    db.expire_all()
    assert (draft.title == "Новое название") == title_saved
    assert ([line.item for line in draft.budget_lines] == ["Ноутбук"]) == budget_saved
    assert columns(draft, APPLICATION_DECIDED_BY_THE_PORTAL) == protected
    assert [(line.id, line.item) for line in other.budget_lines] == other_lines
    assert db.scalar(select(Decision.id)) is None


def test_starting_an_application_takes_the_library_and_call_from_the_user_and_address(
        client, db, login_as, create_call, create_user, create_organisation):
    call, elsewhere = create_call(), create_call()
    applicant, intruder = create_user(Role.APPLICANT), create_user(Role.APPLICANT)
    login_as(applicant)
    response = client.post(f"/calls/{call.id}/apply", data={
        "organisation_id": intruder.organisation_id, "call_id": elsewhere.id,
        "created_by_id": intruder.id, "status": "submitted",
        "registration_number": "2099-99-9999"})
    started = db.scalars(select(Application)).all()
    assert len(started) == saved(response)
    for app in started:
        assert (app.organisation_id, app.call_id, app.created_by_id, app.status,
                app.registration_number) == (applicant.organisation_id, call.id,
                                             applicant.id, ApplicationStatus.DRAFT, None)


def test_a_library_cannot_set_its_report_s_status_nor_report_on_another_project(
        client, db, login_as, create_agreement, tmp_path, monkeypatch):
    """A report section posted with a status, an acceptance and other amounts keeps only
    the text; rows naming another project's budget lines or indicators are refused
    (409) and save nothing."""
    agreement = create_agreement(signed=True)
    elsewhere = create_agreement(signed=True).application
    report = agreement.reports[0]
    applicant = agreement.application.created_by
    decision = db.scalars(select(Decision).where(
        Decision.application_id == agreement.application_id)).one()
    money = (agreement.amount, decision.approved_amount, agreement.status)
    login_as(applicant)
    response = client.post(f"/reports/{report.id}/save/narrative", data={
        "narrative-version": report.version, "narrative-narrative": "Провели 20 встреч.",
        "status": "accepted", "narrative-status": "accepted",
        "accepted_at": "2026-01-01T00:00:00", "agreement_id": elsewhere.id,
        "amount": "1.00", "approved_amount": "1.00"})
    narrative_saved = saved(response)
    db.expire_all()
    assert (report.narrative == "Провели 20 встреч.") == narrative_saved
    assert (report.status.value, report.accepted_at, report.agreement_id) == (
        "draft", None, agreement.id)
    assert (agreement.amount, decision.approved_amount, agreement.status) == money
    foreign_line, foreign_indicator = elsewhere.budget_lines[0], elsewhere.indicators[0]
    response = client.post(f"/reports/{report.id}/save/spending", data={
        "spending-version": report.version,
        "spending-rows-0-budget_line_id": foreign_line.id,
        "spending-rows-0-requested_amount": "1", "spending-rows-0-own_amount": "0",
        "spending-rows-0-partner_amount": "0"})
    assert response.status_code in REFUSED_INPUT
    response = client.post(f"/reports/{report.id}/save/indicators", data={
        "indicators-version": report.version,
        "indicators-rows-0-indicator_id": foreign_indicator.id,
        "indicators-rows-0-achieved": "1"})
    assert response.status_code in REFUSED_INPUT
    db.expire_all()
    assert (report.spending, report.results) == ([], [])


def test_a_reviewer_scores_only_the_call_s_criteria_and_never_sets_the_outcome(
        client, db, login_as, create_application, create_call, assign):
    """Scores for another call's criteria, a status, another reviewer or application and
    an approved amount posted with the scoring sheet are ignored: the draft review holds
    the call's own criteria only, and nothing is decided."""
    app = create_application(status=ApplicationStatus.IN_REVIEW)
    assignment = assign(app)
    elsewhere = create_application(status=ApplicationStatus.IN_REVIEW, call=create_call())
    foreign = elsewhere.call.criteria[0]
    intruder = assign(elsewhere).reviewer_id
    data = {f"score_{c.id}": "5" for c in app.call.criteria}
    data.update({f"score_{foreign.id}": "10", f"comment_{foreign.id}": "чужой",
                 "overall_comment": "Хороший проект", "recommendation": "fund",
                 "status": "submitted", "reviewer_id": intruder,
                 "application_id": elsewhere.id, "approved_amount": "999999.00",
                 "total": "100", "action": "save"})
    login_as(assignment.reviewer)
    response = client.post(f"/review/assignments/{assignment.id}", data=data)
    db.expire_all()
    review = assignment.review
    if saved(response):
        assert (review.status.value, review.reviewer_id, review.application_id) == (
            "draft", assignment.reviewer_id, app.id)
        assert sorted(s.criterion_id for s in review.scores) == sorted(
            c.id for c in app.call.criteria)
        assert {s.score for s in review.scores} == {5}
    else:
        assert review is None
    assert db.scalar(select(ReviewScore.id).where(ReviewScore.criterion_id == foreign.id)) is None
    assert db.scalar(select(Decision.id)) is None
    assert (app.status, elsewhere.status) == (ApplicationStatus.IN_REVIEW,) * 2


def test_finance_cannot_change_the_approved_amount_nor_pay_another_tranche(
        client, db, login_as, create_agreement, create_user):
    """The schedule posted with an agreement amount, an approved amount and a status keeps
    them; a payment names its tranche by the address, whatever the body says."""
    from tests.test_finance_pages import payment_data

    finance = create_user(Role.FINANCE)
    draft = create_agreement()
    signed = create_agreement(signed=True)
    decision = db.scalars(select(Decision).where(
        Decision.application_id == draft.application_id)).one()
    kept = (draft.amount, decision.approved_amount, draft.status, draft.number)
    rows = {}
    for n, tranche in enumerate(draft.tranches):
        rows.update({f"rows-{n}-due_date": tranche.due_date.isoformat(),
                     f"rows-{n}-amount": str(tranche.amount),
                     f"rows-{n}-condition": tranche.condition.value})
    login_as(finance)
    response = client.post(f"/finance/applications/{draft.application_id}/agreement", data={
        **rows, "action": "schedule", "amount": "1.00", "approved_amount": "1.00",
        "status": "signed", "number": "С-подмена", "signed_at": "2026-01-01T00:00:00"})
    saved(response)
    db.expire_all()
    assert (draft.amount, decision.approved_amount, draft.status, draft.number) == kept
    advance, other_tranche = signed.tranches[0], draft.tranches[0]
    response = client.post(f"/finance/tranches/{advance.id}/payments", data={
        **payment_data(advance.id, str(advance.amount)), "tranche_id": other_tranche.id,
        "agreement_id": draft.id, "recorded_by_id": create_user(Role.FINANCE).id})
    paid = saved(response)
    db.expire_all()
    assert [(p.tranche_id, p.recorded_by_id) for p in advance.payments] == [
        (advance.id, finance.id)] * paid
    assert other_tranche.payments == []


def test_registration_cannot_approve_the_library_nor_grant_a_role(client, db,
                                                                  create_organisation):
    from tests.test_registration import FORM

    existing = create_organisation()
    response = client.post("/register", data={
        **FORM, "status": "approved", "roles": ["admin", "chair"], "role": "admin",
        "organisation_id": existing.id, "parent_id": existing.id, "is_enabled": "y",
        "approved_at": "2026-01-01T00:00:00"})
    user = db.scalar(select(User).where(User.email == FORM["contact_email"]))
    if saved(response):
        org = user.organisation
        assert (org.inn, org.status.value, org.approved_at, org.parent_id) == (
            FORM["inn"], "pending", None, None)
        assert user.roles == {Role.APPLICANT}
    else:
        assert user is None
