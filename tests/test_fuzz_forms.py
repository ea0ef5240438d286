"""Fuzzing every form: generated values (long, empty, whitespace, right-to-left and NUL
characters, invalid UTF-8, huge and negative numbers, many decimals, dates far away,
repeated and missing fields, files of the wrong type and size) are posted to every POST
address of the portal, as the role the form is for and as roles it is not for. Whatever is
sent, the answer is never a 500; a refused request changes nothing already saved.

The fields come from the form classes (rows of lists included, `rows-0-quantity`), so a
field added to a form is fuzzed without touching this file; the table of targets below must
name every POST endpoint of the URL map, or a test fails. Each target starts from a valid
submission (which must be accepted: otherwise the fuzzer would only ever meet the first
check) and changes a few of its fields, or all of them. Every example runs inside a
savepoint that is rolled back, so examples never see each other's changes."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
)
from wtforms.csrf.core import CSRFTokenField

import portal.services.jobs
from portal.db import Base, utcnow
from portal.demo import demo_account, demo_inn, demo_ogrn
from portal.extensions import limiter
from portal.forms import ConfirmForm
from portal.forms.admin import NewUserForm, OrganisationForm, RejectForm, UserForm
from portal.forms.agreements import AdministrationForm, ScanForm, ScheduleForm, SignForm
from portal.forms.applications import FIELD_FORMS, ROW_FORMS
from portal.forms.attachments import AttachmentForm
from portal.forms.auth import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegistrationForm,
    ResetPasswordForm,
)
from portal.forms.calls import CallForm, CriteriaForm
from portal.forms.committee import DecisionForm, DeclineForm, ReserveFundingForm
from portal.forms.fields import DecimalTextField, LinesField
from portal.forms.finance import PaymentForm
from portal.forms.reports import SECTION_FORMS, AcceptForm, DocumentForm, ReturnForm
from portal.forms.reviews import ScoreField, review_form
from portal.forms.screening import ReviewerChoiceForm, ReviewersForm, ScreeningForm
from portal.i18n import LANGUAGE_COOKIE
from portal.models import (
    ApplicationStatus,
    CallReviewer,
    OrganisationStatus,
    Review,
    Role,
    User,
)
from portal.services import decisions
from portal.services.accounts import make_reset_token
from portal.services.attachments import add_attachment
from portal.services.reports import add_report_document
from portal.services.reviews import comment_field, score_field
from portal.views.agreements import _FORM_CLASSES as AGREEMENT_ACTIONS
from tests.assurance import record
from tests.conftest import PASSWORD
from tests.test_agreements import ADMINISTRATION, administration  # noqa: F401 - a fixture
from tests.test_attachments import make_pdf
from tests.test_decisions import committee, decide_all  # noqa: F401 - `committee` is a fixture
from tests.test_reports import Project

PDF = make_pdf()
# Small limits, so that "too large" costs kilobytes, not the production megabytes.
ATTACHMENT_LIMIT = 4 * 1024
REQUEST_LIMIT = 256 * 1024
NEW_PASSWORD = "a brand new passphrase for the fuzzer"

# --- the fields of a form ---------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One input of a form as the browser sends it: its name and what kind of value the form
    expects (which decides the junk it is given)."""

    name: str
    kind: str
    choices: tuple[str, ...] = ()


def _choices(field_: SelectField) -> tuple[str, ...]:
    out = []
    for choice in field_.choices or ():
        value = getattr(choice, "value", None)
        out.append(str(choice[0] if value is None else value))
    return tuple(out)


def _kind(field_: Any) -> str:
    """The kind of a field, most specific class first (a DateField is a DateTimeField)."""
    for cls, kind in ((FileField, "file"), (DecimalTextField, "decimal"),
                      (ScoreField, "integer"), (IntegerField, "integer"), (DateField, "date"),
                      (DateTimeField, "datetime"), (BooleanField, "bool"),
                      (SelectMultipleField, "multi"), (SelectField, "select"),
                      (LinesField, "lines")):
        if isinstance(field_, cls):
            return kind
    return "text"


def field_specs(form: Any, rows: int = 3) -> list[FieldSpec]:
    """Every input of `form` (an instance), with `rows` rows of each list of subforms, named
    as the browser names them (`prefix-rows-0-quantity`)."""
    specs: list[FieldSpec] = []
    for field_ in form:
        if isinstance(field_, CSRFTokenField):
            continue
        if isinstance(field_, FieldList):
            count = max(len(field_.entries), min(rows, field_.max_entries or rows))
            unbound = field_.unbound_field
            for index in range(count):
                name = f"{field_.name}-{index}"
                if issubclass(unbound.field_class, FormField):
                    specs += field_specs(unbound.args[0](prefix=f"{name}-"), rows)
                else:
                    specs.append(FieldSpec(name, _kind(unbound.bind(form=None, name=name))))
        elif isinstance(field_, FormField):
            specs += field_specs(field_.form, rows)
        else:
            choices = _choices(field_) if isinstance(field_, SelectField) else ()
            specs.append(FieldSpec(field_.name, _kind(field_), choices))
    return specs


# --- values -------------------------------------------------------------------------------------

SPECIAL_TEXT = (
    "\u202eгидростанция",                       # right-to-left override
    "\u200f\u0645\u0643\u062a\u0628\u0629 \u05e1\u05e4\u05e8",  # Arabic and Hebrew
    "\x00", "a\x00b", "\x00" * 5,               # NUL, which PostgreSQL refuses in text
    "\ufeff\u200b\u2060", "e\u0301\u0301\u0301",  # invisible and combining characters
    "😀👩‍👩‍👧‍👦🏳️‍🌈", "<script>alert(1)</script>", "' OR 1=1 --", "%s%n{0}{{7*7}}",
    "=HYPERLINK(\"http://example.org\")", "../../etc/passwd", "null", "None", "undefined",
    "\r\n\r\n", "\t", "\u00a0\u2003\u3000",
)
WHITESPACE = st.text(alphabet=" \t\r\n\u00a0\u2003\u3000\u200b", min_size=1, max_size=20)
# Invalid UTF-8 reaches the form as replacement characters; it must not reach further.
BROKEN_UTF8 = st.sampled_from([b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80", b"a\x80b"])
LONG_TEXT = st.builds(lambda piece, times: piece * times,
                      st.text(min_size=1, max_size=3), st.integers(2000, 12000))
TEXT = st.one_of(
    st.just(""), WHITESPACE, st.text(max_size=60), st.sampled_from(SPECIAL_TEXT), LONG_TEXT,
    BROKEN_UTF8,
)
NUMBERS = (
    "-1", "-0.01", "-0", "0", "1e30", "1E+30", "-1e30", "1e-30", "NaN", "nan", "sNaN",
    "inf", "-Infinity", "1,5", "1 234,56", "1.234.567,89", "1,234.56", "0.0000001",
    "12345678901234567890123", "9" * 40, "0x10", "1_000", "١٢٣", "１２３", "²", "½",
    "999999999999999.99", "99999999999999.999", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "1.", ".5", "+5", "5-", "₽", "1 ₽", "1\x00",
)
# Hundreds of digits: past what a float holds (308) and past Python's own limit (4300).
MANY_DIGITS = st.integers(300, 5000).map(lambda digits: "9" * digits)
DECIMAL = st.one_of(
    st.sampled_from(NUMBERS), MANY_DIGITS,
    st.integers(-(10**30), 10**30).map(str),
    st.builds(lambda whole, fraction: f"{whole}.{fraction}",
              st.integers(0, 10**16), st.integers(0, 10**25)),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    TEXT,
)
INTEGER = st.one_of(
    st.sampled_from(NUMBERS), st.integers(-(2**70), 2**70).map(str), MANY_DIGITS, TEXT,
)
DATES = (
    "0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30", "2026-13-01", "10000-01-01",
    "-2026-01-01", "2026-1-1", "01.02.2026", "2026-02-29", "2024-02-29", "1970-01-01",
    "2026-06-01T10:00",
)
DATE = st.one_of(st.sampled_from(DATES), st.dates().map(lambda d: d.isoformat()), TEXT)
DATETIME = st.one_of(
    st.sampled_from(("0001-01-01T00:00", "9999-12-31T23:59", "2026-02-30T10:00",
                     "2026-01-01T25:00", "2026-01-01T10:00:00", "2026-01-01 10:00",
                     *DATES)),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    TEXT,
)
BOOL = st.sampled_from(("y", "n", "on", "off", "", "false", "0", "1", "\x00", "да"))


@dataclass(frozen=True)
class Upload:
    """A file to post: its content and the name and type the browser claims."""

    content: bytes
    filename: str
    content_type: str = "application/pdf"

    def storage(self) -> FileStorage:
        return FileStorage(io.BytesIO(self.content), filename=self.filename,
                           content_type=self.content_type)


FILE_NAMES = st.one_of(
    st.sampled_from(("letter.pdf", "../../etc/passwd.pdf", "C:\\Windows\\win.ini.pdf",
                     "\u202efdp.exe", "имя файла.pdf", "a\x00b.pdf", ".pdf", "", "x" * 500 + ".pdf",
                     "scan.PDF", "scan.pdf.exe")),
    st.text(max_size=40),
)
FILES = st.builds(
    Upload,
    content=st.one_of(
        st.just(b""),                                       # empty
        st.just(b"Just some text, honestly a PDF.\n"),      # the wrong type
        st.just(b"<!doctype html><script>alert(1)</script>"),
        st.just(b"MZ\x90\x00" + bytes(100)),
        st.just(PDF),                                       # a real one
        st.just(PDF + bytes(ATTACHMENT_LIMIT)),             # over the file limit
        st.just(PDF + bytes(REQUEST_LIMIT)),                # over the request limit
        st.binary(max_size=200),
    ),
    filename=FILE_NAMES,
    content_type=st.sampled_from(("application/pdf", "text/plain", "image/png", "",
                                  "application/x-msdownload")),
)

JUNK: dict[str, st.SearchStrategy[Any]] = {
    "text": TEXT, "lines": TEXT, "decimal": DECIMAL, "integer": INTEGER, "date": DATE,
    "datetime": DATETIME, "bool": BOOL, "file": st.one_of(FILES, TEXT),
}


def junk(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Values of the field's kind that a form should refuse or survive; a select also gets
    its own valid choices, so that other fields' junk gets past it."""
    if spec.kind in ("select", "multi"):
        valid = [st.sampled_from(spec.choices)] if spec.choices else []
        return st.one_of(*valid, INTEGER, TEXT)
    return JUNK[spec.kind]


Value = str | bytes | Upload
Baseline = dict[str, Value | list[Value]]


@st.composite
def submissions(draw: st.DrawFn, specs: Sequence[FieldSpec], baseline: Baseline,
                ) -> list[tuple[str, Value]]:
    """A submission: the valid baseline with a few fields (or all of them) replaced by junk,
    left out or sent twice, and sometimes fields the form does not know."""
    names = list(dict.fromkeys([*baseline, *(s.name for s in specs)]))
    by_name = {s.name: s for s in specs}
    if draw(st.booleans()):
        changed = set(names)
    else:
        changed = draw(st.sets(st.sampled_from(names), max_size=3)) if names else set()
    items: list[tuple[str, Value]] = []
    for name in names:
        given_values = baseline.get(name, [])
        values = given_values if isinstance(given_values, list) else [given_values]
        if name in changed:
            spec = by_name.get(name, FieldSpec(name, "text"))
            how = draw(st.sampled_from(("junk", "missing", "twice", "junk and valid")))
            if how == "missing":
                continue
            if how == "twice":
                values = [draw(junk(spec)), draw(junk(spec))]
            elif how == "junk and valid":
                values = [draw(junk(spec)), *values]
            else:
                values = [draw(junk(spec))]
        items += [(name, value) for value in values]
    unknown = draw(st.lists(st.tuples(
        st.one_of(st.text(max_size=20), st.sampled_from(
            ("rows-99999999999-item", "rows--1-item", "rows-0", "csrf_token", "action",
             "rows-1e3-name", "version", "next"))),
        TEXT), max_size=2))
    return items + unknown


def encode(items: Sequence[tuple[str, Value]]) -> tuple[bytes, str]:
    """The request body and its content type: multipart when a file is among the values
    (made in memory: the test client would spool a large body to a file nobody closes),
    URL-encoded otherwise (bytes values travel as they are, invalid UTF-8 included)."""
    if any(isinstance(value, Upload) for _name, value in items):
        data = MultiDict([
            (name, value.storage() if isinstance(value, Upload)
             else value.decode("latin-1") if isinstance(value, bytes) else value)
            for name, value in items
        ])
        boundary, body = encode_multipart(data)
        return body, f"multipart/form-data; boundary={boundary}"
    return urlencode(list(items)).encode("ascii"), "application/x-www-form-urlencoded"


# --- the records the forms act on ------------------------------------------------------------


class World:
    """The records each target needs, made on first use: a test builds only what its form
    acts on. Made in the test's rolled-back transaction, before any example runs."""

    def __init__(self, request: pytest.FixtureRequest, app: Flask, db: Session,
                 upload_dir: str) -> None:
        self.fixture = request.getfixturevalue
        self.app = app
        self.db = db
        self.upload_dir = upload_dir

    def user(self, *roles: Role, **kwargs: Any) -> User:
        return self.fixture("create_user")(*roles, **kwargs)

    # people
    @cached_property
    def chair(self) -> User:
        return self.user(Role.CHAIR)

    @cached_property
    def finance(self) -> User:
        return self.user(Role.FINANCE)

    @cached_property
    def admin(self) -> User:
        return self.user(Role.ADMIN)

    @cached_property
    def reviewer(self) -> User:
        """A reviewer of no application."""
        return self.user(Role.REVIEWER)

    @cached_property
    def stranger(self) -> User:
        """An applicant of a library that owns nothing here."""
        return self.user(Role.APPLICANT)

    # the applicant's records
    @cached_property
    def draft(self) -> Any:
        return self.fixture("create_application")()

    @cached_property
    def submitted(self) -> Any:
        return self.fixture("create_application")(status=ApplicationStatus.SUBMITTED)

    @cached_property
    def attachment(self) -> Any:
        with self.app.test_request_context():
            return add_attachment(self.db, self.draft, Upload(PDF, "letter.pdf").storage(),
                                  "support_letter", actor=self.draft.created_by,
                                  upload_dir=self.upload_dir)

    # the chair's records
    @cached_property
    def draft_call(self) -> Any:
        return self.fixture("create_call")(published=False)

    @cached_property
    def screened(self) -> Any:
        """A submitted application of a closed call, waiting for screening."""
        app = self.fixture("create_application")(status=ApplicationStatus.SUBMITTED)
        self.fixture("close_call")(app.call)
        return app

    @cached_property
    def assignment(self) -> Any:
        """An application in review, assigned to a reviewer, with one more reviewer chosen
        for its call and free to take it."""
        app = self.fixture("create_application")(status=ApplicationStatus.IN_REVIEW)
        self.fixture("close_call")(app.call)
        assignment = self.fixture("assign")(app)
        self.db.add(CallReviewer(call_id=app.call_id, user_id=self.reviewer.id))
        self.db.flush()
        return assignment

    @cached_property
    def committee(self) -> Any:
        """test_decisions' committee: four reviewed applications of a closed call."""
        return self.fixture("committee")

    @cached_property
    def decided(self) -> Any:
        call, apps, *_rest = self.committee
        with self.app.test_request_context():
            decide_all(self.db, apps, self.chair)
        return self.committee

    @cached_property
    def finalised(self) -> Any:
        """Decisions final; the first funded library declined, so the money is free for the
        first of the reserve list (the third application)."""
        call, apps, *_rest = self.decided
        with self.app.test_request_context():
            decisions.finalise_decisions(self.db, call, actor=self.chair)
            decisions.decline(self.db, apps[0], reason="Нет помещения", actor=self.chair)
        return self.committee

    # finance's records
    @cached_property
    def agreement(self) -> Any:
        """A prepared agreement, not signed; the grantor's details are filled in."""
        self.fixture("administration")
        return self.fixture("create_agreement")()

    @cached_property
    def signed(self) -> Any:
        return self.fixture("create_agreement")(signed=True)

    @cached_property
    def unprepared(self) -> Any:
        """A funded application whose agreement is not prepared yet."""
        agreement = self.fixture("create_agreement")()
        app = agreement.application
        self.db.delete(agreement)
        self.db.flush()
        return app

    @cached_property
    def project(self) -> Project:
        """test_reports' project: a signed agreement with its reports."""
        return Project(self.db, self.fixture("create_agreement"), self.fixture("create_user"))

    @cached_property
    def filled_report(self) -> Any:
        with self.app.test_request_context():
            return self.project.fill(self.project.interim)

    @cached_property
    def submitted_report(self) -> Any:
        with self.app.test_request_context():
            return self.project.submit(self.project.interim)

    @cached_property
    def report_document(self) -> Any:
        with self.app.test_request_context():
            return add_report_document(
                self.db, self.project.interim, Upload(PDF, "act.pdf").storage(),
                actor=self.project.applicant, upload_dir=self.upload_dir)

    @cached_property
    def reopenable(self) -> Any:
        """A submitted review of an application the committee has not decided on."""
        _call, apps, *_rest = self.committee
        return self.db.scalars(select(Review).where(Review.application_id == apps[0].id)).first()

    # the admin's records
    @cached_property
    def pending_organisation(self) -> Any:
        return self.fixture("create_organisation")(status=OrganisationStatus.PENDING)

    @cached_property
    def reset_token(self) -> str:
        with self.app.app_context():
            return make_reset_token(self.stranger)


# --- the targets: every POST endpoint, how to reach it, and a valid submission ----------------

Who = Callable[[World], User | None]
# A form gets half the profile's examples (50 in the full profile), a button without fields
# a fifth: what varies there is only the junk around it. The whole file then stays near a
# minute and a half per engine.
BUTTON_SHARE = 0.2


def anonymous(w: World) -> None:
    return None


def _chair(w: World) -> User:
    return w.chair


def _finance(w: World) -> User:
    return w.finance


def _admin(w: World) -> User:
    return w.admin


def _reviewer(w: World) -> User:
    return w.reviewer


def _stranger(w: World) -> User:
    return w.stranger


@dataclass(frozen=True)
class Target:
    """A form posted to one endpoint: the address, the form whose fields are fuzzed, a valid
    submission, who may send it and who may not. `share` scales the profile's examples (see
    BUTTON_SHARE). `saves_on_refusal` recognises a refusal after which the view keeps what
    was valid (a review's draft when only its submission waits); `appends_on_refusal`
    names tables a refusal may add rows to (a failed sign-in is audited)."""

    name: str
    endpoint: str
    url: Callable[[World], str]
    form: Callable[[World], FlaskForm]
    baseline: Callable[[World], Baseline]
    allowed: Who | tuple[Who, ...]
    refused: tuple[Who, ...]
    extra: tuple[FieldSpec, ...] = ()
    share: float = 0.5
    saves_on_refusal: Callable[[TestResponse], bool] = lambda response: False
    appends_on_refusal: frozenset[str] = frozenset()
    saves: bool = True  # whether the valid submission changes a table (not only a cookie)

    def people(self, world: World) -> tuple[list[User | None], list[User | None]]:
        """Who may send the form and who may not."""
        allowed = self.allowed if isinstance(self.allowed, tuple) else (self.allowed,)
        return [who(world) for who in allowed], [who(world) for who in self.refused]


def confirm(name: str, endpoint: str, url: Callable[[World], str],
            allowed: Who | tuple[Who, ...],
            refused: tuple[Who, ...], extra: tuple[FieldSpec, ...] = (),
            baseline: Callable[[World], Baseline] = lambda w: {}, saves: bool = True) -> Target:
    """A button: no fields but the CSRF token (and sometimes a hidden choice)."""
    return Target(name, endpoint, url, lambda w: ConfirmForm(), baseline, allowed, refused,
                  extra, share=BUTTON_SHARE, saves=saves)


def _owner(w: World) -> User:
    return w.draft.created_by


def _date(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


ORGANISATION = {
    "full_name": "Муниципальная библиотека «Фаззер»", "short_name": "Библиотека «Фаззер»",
    "inn": demo_inn("770000001"), "kpp": "770101001", "ogrn": demo_ogrn("102770000001"),
    "municipality": "Тестовский район", "address": "г. Тестов, ул. Книжная, 2",
    "head_name": "Пётр Петрович Петров", "head_position": "Директор", "phone": "+7 900 000-00-00",
    "email": "library@example.org", "bank_name": "Банк", "bik": "044525225",
    "settlement_account": demo_account("044525225", "4070281000000000001"),
    "correspondent_account": "30101810400000000225",
}


def _organisation_of(org: Any) -> Baseline:
    return {name: getattr(org, name) or "" for name in ORGANISATION}


def _call_baseline(w: World) -> Baseline:
    data: Baseline = {
        "title": "Конкурс фаззера", "description": "Описание", "directions": "Чтение\nКраеведение",
        "timezone": "Europe/Moscow", "opens_at": _date(1) + "T09:00",
        "closes_at": _date(30) + "T18:00", "implementation_start": _date(60),
        "implementation_end": _date(400), "fund_amount": "1 000 000,00",
        "max_grant_amount": "300000", "min_cofinancing_percent": "20",
        "reviewers_per_application": "2", "disagreement_threshold_percent": "30",
        "review_deadline": _date(45), "score_aggregation": "mean", "tie_break": "cofinancing",
        "max_applications_per_organisation": "", "results_public": "y",
        "reporting_dates": _date(200),
    }
    for index in range(8):
        data[f"categories-{index}-allowed"] = "y"
        data[f"categories-{index}-cap_percent"] = "50" if index == 0 else ""
        data[f"categories-{index}-cap_basis"] = "total"
    return data


SECTION_BASELINES: dict[str, Callable[[World], Baseline]] = {
    "general": lambda w: {"title": "Читающий двор", "direction": w.draft.call.directions[0],
                          "start_date": w.draft.call.implementation_start.isoformat(),
                          "end_date": (w.draft.call.implementation_start
                                       + timedelta(days=100)).isoformat(),
                          "summary": "Летняя программа"},
    "problem": lambda w: {"problem": "Подростки мало читают."},
    "goals": lambda w: {"goals": "Вернуть читателей", "tasks": "Провести встречи"},
    "target_groups": lambda w: {"target_groups": "Подростки"},
    "activities": lambda w: {"rows-0-title": "Встречи", "rows-0-description": "С авторами",
                             "rows-0-start_date": w.draft.call.implementation_start.isoformat(),
                             "rows-0-end_date": w.draft.call.implementation_end.isoformat()},
    "partners": lambda w: {"rows-0-name": "Школа № 1", "rows-0-role": "Площадка",
                           "rows-0-contribution": "Помещение"},
    "results": lambda w: {"rows-0-name": "Участники", "rows-0-unit": "чел.",
                          "rows-0-baseline": "0", "rows-0-target": "300"},
    "budget": lambda w: {"rows-0-category": "equipment", "rows-0-item": "Ноутбук",
                         "rows-0-justification": "Счёт", "rows-0-unit": "шт.",
                         "rows-0-quantity": "2", "rows-0-unit_price": "75 000,00",
                         "rows-0-requested_amount": "120000", "rows-0-own_amount": "30000",
                         "rows-0-partner_amount": "0"},
}


def _section(section: str) -> Target:
    form_class = FIELD_FORMS.get(section) or ROW_FORMS[section]

    def baseline(w: World) -> Baseline:
        return {"version": str(w.draft.version), **SECTION_BASELINES[section](w)}

    return Target(
        f"applications.edit:{section}", "applications.edit",
        lambda w: f"/applications/{w.draft.id}/edit/{section}", lambda w: form_class(),
        baseline, _owner, (_stranger, _chair, anonymous),
        extra=(FieldSpec("more_rows", "bool"),) if section in ROW_FORMS else (),
    )


REPORT_BASELINES: dict[str, Callable[[World], Baseline]] = {
    "narrative": lambda w: {"narrative-narrative": "Провели 20 встреч."},
    "indicators": lambda w: {
        key: value
        for n, indicator in enumerate(w.project.app.indicators)
        for key, value in ((f"indicators-rows-{n}-indicator_id", str(indicator.id)),
                           (f"indicators-rows-{n}-achieved", "310"),
                           (f"indicators-rows-{n}-comment", "Больше, чем ждали"))
    },
    "spending": lambda w: {
        key: value
        for n, line in enumerate(w.project.lines)
        for key, value in ((f"spending-rows-{n}-budget_line_id", str(line.id)),
                           (f"spending-rows-{n}-requested_amount", "1000"),
                           (f"spending-rows-{n}-own_amount", "0,00"),
                           (f"spending-rows-{n}-partner_amount", "0"),
                           (f"spending-rows-{n}-justification", ""))
    },
}


def _report_section(section: str) -> Target:
    def baseline(w: World) -> Baseline:
        return {f"{section}-version": str(w.project.interim.version),
                **REPORT_BASELINES[section](w)}

    return Target(
        f"reports.save:{section}", "reports.save",
        lambda w: f"/reports/{w.project.interim.id}/save/{section}",
        lambda w: SECTION_FORMS[section](prefix=section), baseline,
        lambda w: w.project.applicant, (_stranger, _finance, anonymous),
    )


def _agreement_action(action: str, form: Callable[[World], FlaskForm],
                      record: Callable[[World], Any], baseline: Callable[[World], Baseline],
                      share: float = Target.share) -> Target:
    def url(w: World) -> str:
        app = record(w) if action == "prepare" else record(w).application
        return f"/finance/applications/{app.id}/agreement"

    return Target(
        f"agreements.agreement:{action}", "agreements.agreement", url, form,
        lambda w: {"action": action, **baseline(w)}, _finance,
        (lambda w: w.project.applicant, _chair, _reviewer, anonymous),
        extra=(FieldSpec("action", "select", tuple(AGREEMENT_ACTIONS)),),
        share=share,
    )


def _schedule_baseline(w: World) -> Baseline:
    out: Baseline = {}
    for n, tranche in enumerate(w.agreement.tranches):
        out[f"rows-{n}-due_date"] = tranche.due_date.isoformat()
        out[f"rows-{n}-amount"] = str(tranche.amount)
        out[f"rows-{n}-condition"] = tranche.condition.value
    return out


def _review_baseline(w: World) -> Baseline:
    criteria = w.assignment.application.call.criteria
    out: Baseline = {"overall_comment": "Хороший проект", "recommendation": "fund",
                     "recommended_amount": "", "action": "submit"}
    for criterion in criteria:
        out[score_field(criterion)] = "7"
        out[comment_field(criterion)] = "Обоснованно"
    return out


def _draft_kept(response: TestResponse) -> bool:
    """The review's draft was valid and is kept; only its submission waits."""
    return b"Your draft is saved, but it cannot be submitted yet." in response.data


TARGETS: list[Target] = [
    # --- anyone, signed in or not
    Target("auth.login", "auth.login", lambda w: "/login", lambda w: LoginForm(),
           lambda w: {"email": w.stranger.email, "password": PASSWORD, "remember": "y"},
           anonymous, (_stranger,), appends_on_refusal=frozenset({"audit_events"})),
    Target("auth.register", "auth.register", lambda w: "/register",
           lambda w: RegistrationForm(),
           lambda w: {**ORGANISATION, "contact_name": "Анна Фаззерова",
                      "contact_email": "fuzz-register@example.org", "password": NEW_PASSWORD,
                      "confirm": NEW_PASSWORD},
           anonymous, (_stranger,)),
    Target("auth.forgot_password", "auth.forgot_password", lambda w: "/password/forgot",
           lambda w: ForgotPasswordForm(), lambda w: {"email": w.stranger.email},
           (anonymous, _chair), ()),
    Target("auth.reset_password", "auth.reset_password",
           lambda w: f"/password/reset/{w.reset_token}", lambda w: ResetPasswordForm(),
           lambda w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, anonymous, ()),
    Target("auth.change_password", "auth.change_password", lambda w: "/account/password",
           lambda w: ChangePasswordForm(),
           lambda w: {"current_password": PASSWORD, "password": NEW_PASSWORD,
                      "confirm": NEW_PASSWORD}, _stranger, (anonymous,)),
    confirm("auth.logout", "auth.logout", lambda w: "/logout", _stranger, (anonymous,)),
    confirm("main.set_language", "main.set_language", lambda w: "/language",
            (_stranger, anonymous), (), extra=(FieldSpec("lang", "select", ("ru", "en")),
                                 FieldSpec("next", "text")),
            baseline=lambda w: {"lang": "ru", "next": "/calls/"}),
    confirm("main.set_accessibility", "main.set_accessibility", lambda w: "/accessibility",
            (anonymous, _stranger), (), extra=(FieldSpec("mode", "select", ("on", "off")),
                                            FieldSpec("next", "text")),
            baseline=lambda w: {"mode": "on", "next": "/"}, saves=False),
    # --- the applicant
    confirm("applications.start", "applications.start",
            lambda w: f"/calls/{w.draft.call_id}/apply", _owner, (_chair, anonymous)),
    *[_section(section) for section in (*FIELD_FORMS, *ROW_FORMS)],
    confirm("applications.submit", "applications.submit",
            lambda w: f"/applications/{w.draft.id}/submit", _owner,
            (_stranger, _chair, anonymous)),
    Target("applications.withdraw", "applications.withdraw",
           lambda w: f"/applications/{w.submitted.id}/withdraw", lambda w: RejectForm(),
           lambda w: {"reason": "Передумали"}, lambda w: w.submitted.created_by,
           (_stranger, _chair, anonymous)),
    Target("attachments.upload", "attachments.upload",
           lambda w: f"/applications/{w.draft.id}/attachments", lambda w: AttachmentForm(),
           lambda w: {"kind": "support_letter", "file": Upload(PDF, "письмо.pdf")}, _owner,
           (_stranger, _finance, anonymous)),
    confirm("attachments.delete", "attachments.delete",
            lambda w: f"/applications/{w.draft.id}/attachments/{w.attachment.id}/delete",
            _owner, (_stranger, _chair, anonymous)),
    # --- the reviewer
    Target("review.assignment", "review.assignment",
           lambda w: f"/review/assignments/{w.assignment.id}",
           lambda w: review_form(w.assignment.application.call.criteria), _review_baseline,
           lambda w: w.assignment.reviewer, (_reviewer, _owner, _chair, anonymous),
           extra=(FieldSpec("action", "select", ("save", "submit")),),
           saves_on_refusal=_draft_kept),
    Target("review.declare_conflict", "review.declare_conflict",
           lambda w: f"/review/assignments/{w.assignment.id}/conflict", lambda w: RejectForm(),
           lambda w: {"reason": "Работал в этой библиотеке"}, lambda w: w.assignment.reviewer,
           (_reviewer, _chair, anonymous)),
    # --- the chair
    Target("calls.call_new", "calls.call_new", lambda w: "/calls/new", lambda w: CallForm(),
           _call_baseline, (_chair, _admin), (_finance, _stranger, anonymous)),
    Target("calls.call_edit", "calls.call_edit", lambda w: f"/calls/{w.draft_call.id}/edit",
           lambda w: CallForm(), _call_baseline, (_chair, _admin),
           (_finance, _reviewer, anonymous)),
    Target("calls.criteria_edit", "calls.criteria_edit",
           lambda w: f"/calls/{w.draft_call.id}/criteria", lambda w: CriteriaForm(),
           lambda w: {"rows-0-name": "Актуальность", "rows-0-description": "0 — нет",
                      "rows-0-scale_max": "10", "rows-0-weight": "1,5"},
           (_chair, _admin), (_finance, _reviewer, anonymous)),
    confirm("calls.call_publish", "calls.call_publish",
            lambda w: f"/calls/{w.draft_call.id}/publish", (_chair, _admin),
            (_finance, _stranger, anonymous)),
    Target("screening.screen", "screening.screen",
           lambda w: f"/committee/calls/{w.screened.call_id}/screening/{w.screened.id}",
           lambda w: ScreeningForm(prefix=f"app-{w.screened.id}"),
           lambda w: {f"app-{w.screened.id}-decision": "admit",
                      f"app-{w.screened.id}-reason": ""},
           _chair, (_reviewer, _admin, anonymous)),
    Target("screening.reviewers", "screening.reviewers",
           lambda w: f"/committee/calls/{w.assignment.application.call_id}/reviewers",
           lambda w: ReviewersForm(),
           lambda w: {"reviewers": [str(w.assignment.reviewer_id), str(w.reviewer.id)],
                      "max_assignments_per_reviewer": "5"},
           _chair, (_reviewer, _finance, anonymous)),
    Target("screening.assignment_add", "screening.assignment_add",
           lambda w: (f"/committee/calls/{w.assignment.application.call_id}/applications/"
                      f"{w.assignment.application_id}/assignments"),
           lambda w: ReviewerChoiceForm(), lambda w: {"reviewer_id": str(w.reviewer.id)},
           _chair, (_reviewer, _finance, anonymous)),
    Target("screening.assignment_swap", "screening.assignment_swap",
           lambda w: (f"/committee/calls/{w.assignment.application.call_id}/assignments/"
                      f"{w.assignment.id}/swap"),
           lambda w: ReviewerChoiceForm(), lambda w: {"reviewer_id": str(w.reviewer.id)},
           _chair, (_reviewer, _admin, anonymous)),
    confirm("screening.assignment_remove", "screening.assignment_remove",
            lambda w: (f"/committee/calls/{w.assignment.application.call_id}/assignments/"
                       f"{w.assignment.id}/remove"), _chair, (_reviewer, anonymous)),
    confirm("screening.assign_automatically", "screening.assign_automatically",
            lambda w: f"/committee/calls/{w.assignment.application.call_id}/assignments/auto",
            _chair, (_reviewer, anonymous)),
    Target("review.reopen", "review.reopen",
           lambda w: f"/review/reviews/{w.reopenable.id}/reopen",
           lambda w: RejectForm(), lambda w: {"reason": "Оценки без комментариев"}, _chair,
           (lambda w: w.reopenable.reviewer, _finance, anonymous)),
    Target("committee.decide", "committee.decide",
           lambda w: (f"/committee/calls/{w.decided[0].id}/applications/"
                      f"{w.decided[1][0].id}/decision"),
           lambda w: DecisionForm(prefix=f"decision{w.decided[1][0].id}"),
           lambda w: {f"decision{w.decided[1][0].id}-outcome": "funded",
                      f"decision{w.decided[1][0].id}-approved_amount": "225 000,00",
                      f"decision{w.decided[1][0].id}-reason": "",
                      f"decision{w.decided[1][0].id}-reserve_rank": ""},
           _chair, (_admin, _reviewer, anonymous)),
    confirm("committee.finalise", "committee.finalise",
            lambda w: f"/committee/calls/{w.decided[0].id}/finalise", _chair,
            (_admin, _finance, anonymous)),
    Target("committee.decline", "committee.decline",
           lambda w: (f"/committee/calls/{w.finalised[0].id}/applications/"
                      f"{w.finalised[1][1].id}/decline"),
           lambda w: DeclineForm(prefix=f"decline{w.finalised[1][1].id}"),
           lambda w: {f"decline{w.finalised[1][1].id}-reason": "Нет помещения"},
           _chair, (_admin, lambda w: w.finalised[1][1].created_by, anonymous)),
    Target("committee.fund_from_reserve", "committee.fund_from_reserve",
           lambda w: (f"/committee/calls/{w.finalised[0].id}/applications/"
                      f"{w.finalised[1][2].id}/fund-from-reserve"),
           lambda w: ReserveFundingForm(prefix=f"reserve{w.finalised[1][2].id}"),
           lambda w: {f"reserve{w.finalised[1][2].id}-approved_amount": "225000",
                      f"reserve{w.finalised[1][2].id}-reason": ""},
           _chair, (_admin, _finance, anonymous)),
    # --- finance
    _agreement_action("prepare", lambda w: ConfirmForm(), lambda w: w.unprepared,
                      lambda w: {}, share=BUTTON_SHARE),
    _agreement_action("schedule", lambda w: ScheduleForm(), lambda w: w.agreement,
                      _schedule_baseline),
    _agreement_action("sign", lambda w: SignForm(), lambda w: w.agreement,
                      lambda w: {"file": Upload(PDF, "signed.pdf")}),
    _agreement_action("scan", lambda w: ScanForm(), lambda w: w.signed,
                      lambda w: {"file": Upload(PDF, "scan.pdf")}),
    Target("agreements.settings", "agreements.settings", lambda w: "/finance/settings",
           lambda w: AdministrationForm(), lambda w: dict(ADMINISTRATION),
           (_finance, _admin), (_chair, _stranger, anonymous)),
    Target("finance.record_payment", "finance.record_payment",
           lambda w: f"/finance/tranches/{w.signed.tranches[0].id}/payments",
           lambda w: PaymentForm(prefix=f"pay{w.signed.tranches[0].id}"),
           lambda w: {f"pay{w.signed.tranches[0].id}-paid_on": _date(0),
                      f"pay{w.signed.tranches[0].id}-amount": "1 000,00",
                      f"pay{w.signed.tranches[0].id}-order_number": "17"},
           _finance, (_chair, lambda w: w.signed.application.created_by, anonymous)),
    confirm("finance_jobs.start_budgets_zip", "finance_jobs.start_budgets_zip",
            lambda w: f"/finance/calls/{w.signed.application.call_id}/budgets.zip", _finance,
            (_reviewer, lambda w: w.signed.application.created_by, anonymous)),
    # --- reports
    *[_report_section(section) for section in SECTION_FORMS],
    confirm("reports.submit", "reports.submit",
            lambda w: f"/reports/{w.filled_report.id}/submit", lambda w: w.project.applicant,
            (_stranger, _finance, anonymous)),
    Target("reports.upload", "reports.upload",
           lambda w: f"/reports/{w.project.interim.id}/documents",
           lambda w: DocumentForm(prefix="document"),
           lambda w: {"document-file": Upload(PDF, "акт.pdf")},
           lambda w: w.project.applicant, (_stranger, _finance, anonymous)),
    confirm("reports.delete_document", "reports.delete_document",
            lambda w: (f"/reports/{w.project.interim.id}/documents/"
                       f"{w.report_document.id}/delete"),
            lambda w: w.project.applicant, (_stranger, _finance, anonymous)),
    Target("reports.accept", "reports.accept",
           lambda w: f"/reports/{w.submitted_report.id}/accept",
           lambda w: AcceptForm(prefix="accept"), lambda w: {"accept-comment": "Спасибо"},
           (_finance, _chair), (lambda w: w.project.applicant, _reviewer, anonymous)),
    Target("reports.return_report", "reports.return_report",
           lambda w: f"/reports/{w.submitted_report.id}/return",
           lambda w: ReturnForm(prefix="return"), lambda w: {"return-comment": "Исправьте"},
           (_finance, _chair), (lambda w: w.project.applicant, _reviewer, anonymous)),
    # --- the admin
    Target("admin.user_new", "admin.user_new", lambda w: "/admin/users/new",
           lambda w: NewUserForm(),
           lambda w: {"full_name": "Новый Эксперт", "email": "fuzz-new@example.org",
                      "organisation_id": "0", "roles": ["reviewer"], "password": NEW_PASSWORD},
           _admin, (_chair, _stranger, anonymous)),
    Target("admin.user_edit", "admin.user_edit",
           lambda w: f"/admin/users/{w.stranger.id}", lambda w: UserForm(),
           lambda w: {"full_name": "Переименованный", "email": w.stranger.email,
                      "organisation_id": str(w.stranger.organisation_id),
                      "roles": ["applicant", "reviewer"]},
           _admin, (_chair, _stranger, anonymous)),
    confirm("admin.user_set_enabled", "admin.user_set_enabled",
            lambda w: f"/admin/users/{w.stranger.id}/enabled", _admin, (_stranger, anonymous),
            extra=(FieldSpec("enabled", "select", ("0", "1")),),
            baseline=lambda w: {"enabled": "0"}),
    confirm("admin.user_send_reset", "admin.user_send_reset",
            lambda w: f"/admin/users/{w.stranger.id}/send-reset", _admin,
            (_stranger, anonymous)),
    Target("admin.organisation_new", "admin.organisation_new",
           lambda w: "/admin/organisations/new", lambda w: OrganisationForm(),
           lambda w: {**ORGANISATION, "parent_id": "0"}, _admin, (_chair, anonymous)),
    Target("admin.organisation_edit", "admin.organisation_edit",
           lambda w: f"/admin/organisations/{w.stranger.organisation_id}",
           lambda w: OrganisationForm(),
           lambda w: {**_organisation_of(w.stranger.organisation), "parent_id": "0",
                      "short_name": "Переименованная"},
           _admin, (_stranger, anonymous)),
    confirm("admin.organisation_approve", "admin.organisation_approve",
            lambda w: f"/admin/organisations/{w.pending_organisation.id}/approve", _admin,
            (_chair, anonymous)),
    Target("admin.organisation_reject", "admin.organisation_reject",
           lambda w: f"/admin/organisations/{w.pending_organisation.id}/reject",
           lambda w: RejectForm(), lambda w: {"reason": "Неверный ИНН"}, _admin,
           (_chair, anonymous)),
]


# --- running the targets ----------------------------------------------------------------------

Snapshot = dict[str, list[str]]
# What a refused request may answer; 302 sends a visitor to sign in (or a signed-in user
# away from the sign-in page), 413 is a body over the limit.
REFUSED = {302, 303, 400, 401, 403, 404, 405, 409, 413, 422, 429}


def snapshot(db: Session) -> Snapshot:
    """Every row of every table, as text, in a stable order."""
    db.flush()
    return {table.name: sorted(repr(tuple(row)) for row in db.execute(select(table)))
            for table in Base.metadata.sorted_tables}


def changed_tables(before: Snapshot, after: Snapshot,
                   appends: frozenset[str] = frozenset()) -> list[str]:
    """The rows that differ, table by table (a few of each); in `appends`, only rows lost
    or changed count, not rows added."""
    out = []
    for name, rows in before.items():
        lost = sorted(set(rows) - set(after[name]))
        added = [] if name in appends else sorted(set(after[name]) - set(rows))
        if lost or added or (name not in appends and rows != after[name]):
            out.append(f"{name}: -{lost[:2]} +{added[:2]}"[:1500])
    return out


def examples(target: Target) -> int:
    return max(2, round(settings.default.max_examples * target.share))


@dataclass
class Runner:
    """Posts one target's submissions, each in a savepoint rolled back afterwards, and says
    what the request changed."""

    target: Target
    world: World
    client: FlaskClient
    login_as: Callable[[User], FlaskClient]
    url: str = ""
    specs: list[FieldSpec] = field(default_factory=list)
    baseline: Baseline = field(default_factory=dict)
    allowed: list[User | None] = field(default_factory=list)
    refused: list[User | None] = field(default_factory=list)
    before: Snapshot = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Make every record the target needs, then take the snapshot examples compare to."""
        self.url = self.target.url(self.world)
        self.allowed, self.refused = self.target.people(self.world)
        self.baseline = self.target.baseline(self.world)
        with self.world.app.test_request_context():  # a FlaskForm is made in a request
            self.specs = [*field_specs(self.target.form(self.world)), *self.target.extra]
        self.before = snapshot(self.world.db)

    def sign_in(self, user: User | None) -> None:
        """Start each example as `user` (or nobody), in English, whatever the last one did
        to the cookies (signed in, out, or chose Russian)."""
        with self.client.session_transaction() as session:
            session.clear()
        self.client.delete_cookie(self.world.app.config["REMEMBER_COOKIE_NAME"])
        self.client.set_cookie(LANGUAGE_COOKIE, "en")
        if user is not None:
            self.login_as(user)

    def post(self, user: User | None, items: Sequence[tuple[str, Value]],
             ) -> tuple[TestResponse, list[str]]:
        db = self.world.db
        savepoint = db.begin_nested()
        db.connection()  # the SAVEPOINT is emitted now, before the request's own ones
        try:
            limiter.reset()
            self.sign_in(user)
            body, content_type = encode(items)
            response = self.client.post(self.url, data=body, content_type=content_type)
            return response, changed_tables(self.before, snapshot(db),
                                            self.target.appends_on_refusal)
        finally:
            savepoint.rollback()
            db.expire_all()

    def accepted(self, response: TestResponse) -> bool:
        """Whether the view took the input, by the portal's conventions: it redirects after
        a change (post/redirect/get), re-renders the form to refuse, and redirects with 303
        or with a message of danger (or a warning without success) when a button's action
        was refused."""
        if response.status_code != 302:
            return False
        with self.client.session_transaction() as session:
            kinds = {kind for kind, _message in session.get("_flashes", [])}
        return not (kinds & {"danger", "error"} or ("warning" in kinds and "success" not in kinds))


def baseline_items(baseline: Baseline) -> list[tuple[str, Value]]:
    return [(name, value) for name, values in baseline.items()
            for value in (values if isinstance(values, list) else [values])]


def describe(response: TestResponse) -> str:
    """The start of a page's visible text, for a failure's message."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", text)[:600]


@pytest.fixture
def world(request: pytest.FixtureRequest, app: Flask, db: Session, tmp_path: Any,
          monkeypatch: pytest.MonkeyPatch) -> World:
    """Small size limits, files in the test's own folder, and no background job started
    (they would need a connection of their own; the transaction here is never committed)."""
    upload_dir = str(tmp_path / "uploads")
    monkeypatch.setitem(app.config, "UPLOAD_DIR", upload_dir)
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", ATTACHMENT_LIMIT)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", REQUEST_LIMIT)
    monkeypatch.setattr(portal.services.jobs, "start_jobs", lambda app, pending: None)
    return World(request, app, db, upload_dir)


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_generated_input_never_fails_and_a_refusal_changes_nothing(
    target: Target, world: World, client: FlaskClient,
    login_as: Callable[[User], FlaskClient],
) -> None:
    runner = Runner(target, world, client, login_as)

    # The valid submission gets through: the fuzzer reaches the service, not only the form.
    response, changed = runner.post(runner.allowed[0], baseline_items(runner.baseline))
    assert runner.accepted(response), describe(response)
    assert bool(changed) == target.saves, changed

    people = ([("allowed", user) for user in runner.allowed] * 3
              + [("refused", user) for user in runner.refused])

    @settings(max_examples=examples(target),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(who=st.sampled_from(people),
           items=submissions(runner.specs, runner.baseline))
    def fuzz(who: tuple[str, User | None], items: list[tuple[str, Value]]) -> None:
        kind, user = who
        response, changed = runner.post(user, items)
        record("fuzz examples posted to the forms")
        status = response.status_code
        assert status < 500, describe(response)
        if kind == "refused":
            assert status in REFUSED, (status, describe(response))
            assert not changed, f"{status}: a refused user changed {changed}"
        elif not runner.accepted(response) and not target.saves_on_refusal(response):
            assert not changed, f"{status} refused the input but changed {changed}"

    fuzz()


# --- every POST endpoint and every form is fuzzed ----------------------------------------------


def test_every_post_endpoint_is_a_target(app: Flask) -> None:
    """A POST route added to the portal fails here until it is in TARGETS."""
    posting = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posting == {target.endpoint for target in TARGETS}
    names = {target.name for target in TARGETS}
    assert len(names) == len(TARGETS)
    # Endpoints that take several forms: each of them is a target of its own.
    assert {f"applications.edit:{s}" for s in (*FIELD_FORMS, *ROW_FORMS)} <= names
    assert {f"reports.save:{s}" for s in SECTION_FORMS} <= names
    assert {f"agreements.agreement:{a}" for a in AGREEMENT_ACTIONS} <= names


def _form_classes() -> set[type[FlaskForm]]:
    """Every form class of portal.forms that a POST sends (GET filters carry no CSRF)."""
    found: set[type[FlaskForm]] = set()
    pending = [FlaskForm]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            # review_form() makes a class per call of the criteria's sheet (named _Form).
            if (sub.__module__.startswith("portal.forms") and not sub.__name__.startswith("_")
                    and getattr(sub.Meta, "csrf", True)):
                found.add(sub)
    return found


def test_every_form_class_is_fuzzed(world: World) -> None:
    """A form class added to portal.forms fails here until a target posts it; each target's
    form, address and valid submission can be made."""
    with world.app.test_request_context():
        forms = [target.form(world) for target in TARGETS]
        assert all(field_specs(form) or isinstance(form, ConfirmForm) for form in forms)
    for target in TARGETS:
        assert target.url(world).startswith("/")
        assert isinstance(target.baseline(world), dict)
    missing = {cls.__name__ for cls in _form_classes()
               if not any(isinstance(form, cls) for form in forms)}
    assert not missing


def test_field_names_come_from_the_form_classes(app: Flask) -> None:
    """Rows of lists are named as the browser names them, and every kind of field is told
    apart, so each gets the junk of its kind."""
    with app.test_request_context():
        budget = {spec.name: spec for spec in field_specs(ROW_FORMS["budget"]())}
        call = {spec.name: spec.kind for spec in field_specs(CallForm())}
        upload = {spec.name: spec.kind for spec in field_specs(AttachmentForm())}
    assert budget["rows-0-quantity"].kind == "decimal"
    assert budget["rows-2-unit_price"].kind == "decimal"
    assert "equipment" in budget["rows-1-category"].choices
    assert budget["version"].kind == "integer"
    assert {call["opens_at"], call["implementation_start"], call["results_public"],
            call["directions"], call["reviewers_per_application"], call["title"],
            call["categories-7-cap_percent"], call["timezone"]} == {
        "datetime", "date", "bool", "lines", "integer", "text", "decimal", "select"}
    assert upload == {"kind": "select", "file": "file"}


# --- what the fuzzer found: regression tests -------------------------------------------------


def test_a_nul_character_is_refused_with_a_message(
    client: FlaskClient, db: Session, create_user: Callable[..., User],
    login_as: Callable[[User], FlaskClient],
) -> None:
    """PostgreSQL stores no NUL character: a form or a query carrying one was a 500 there
    (the failed sign-in's audit row, every text field, the admin's searches). It is
    refused with a message on every engine, and nothing is saved."""
    before = snapshot(db)
    response = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert snapshot(db) == before
    login_as(create_user(Role.ADMIN))
    assert client.get("/admin/users?q=%00").status_code == 400
    assert client.get("/admin/users?q=fine").status_code == 200


def test_a_blank_recommendation_is_refused_not_a_500(
    client: FlaskClient, db: Session, create_application: Callable[..., Any],
    assign: Callable[..., Any], login_as: Callable[[User], FlaskClient],
) -> None:
    """A recommendation of only whitespace passed the form as "none given" and then broke
    Recommendation() (a 500); it is not one of the choices, so the sheet is refused."""
    assignment = assign(create_application(status=ApplicationStatus.IN_REVIEW))
    login_as(assignment.reviewer)
    before = snapshot(db)
    response = client.post(f"/review/assignments/{assignment.id}",
                           data={"recommendation": "\u00a0", "overall_comment": "Хорошо"})
    assert response.status_code == 422
    assert snapshot(db) == before
    assert client.post(f"/review/assignments/{assignment.id}",
                       data={"recommendation": "", "overall_comment": "Хорошо"}
                       ).status_code == 302  # nothing at all is "not chosen yet"


def test_a_section_sent_without_its_fields_saves_them_empty(
    client: FlaskClient, db: Session, create_application: Callable[..., Any],
    login_as: Callable[[User], FlaskClient],
) -> None:
    """A request that leaves out a section's text fields (a browser never does; a script
    may) put NULL into columns that take none: a 500. A missing text is saved empty."""
    draft = create_application()
    login_as(draft.created_by)
    response = client.post(f"/applications/{draft.id}/edit/general",
                           data={"version": str(draft.version)})
    assert response.status_code == 302
    response = client.post(f"/applications/{draft.id}/edit/activities",
                           data={"version": str(draft.version + 1), "rows-0-title": "Встречи"})
    assert response.status_code == 302
    db.expire_all()
    assert (draft.title, draft.direction, draft.summary, draft.start_date) == ("", "", "", None)
    assert [(a.title, a.description) for a in draft.activities] == [("Встречи", "")]


def test_a_reviewer_id_beyond_any_integer_is_refused(
    client: FlaskClient, db: Session, create_application: Callable[..., Any],
    assign: Callable[..., Any], create_user: Callable[..., User],
    login_as: Callable[[User], FlaskClient],
) -> None:
    """The chair's reviewer choice went to the database as it was typed: a number beyond a
    64-bit integer was a 500 on SQLite. It is refused as no reviewer."""
    assignment = assign(create_application(status=ApplicationStatus.IN_REVIEW))
    call_id = assignment.application.call_id
    login_as(create_user(Role.CHAIR))
    before = snapshot(db)
    for url in (f"/committee/calls/{call_id}/applications/{assignment.application_id}"
                "/assignments", f"/committee/calls/{call_id}/assignments/{assignment.id}/swap"):
        response = client.post(url, data={"reviewer_id": "9" * 25})
        assert response.status_code == 422
        assert "Choose a reviewer." in response.get_data(as_text=True)
    assert snapshot(db) == before


def test_a_whole_number_of_hundreds_of_digits_is_refused_not_a_500(
    client: FlaskClient, db: Session, create_call: Callable[..., Any],
    create_user: Callable[..., User], login_as: Callable[[User], FlaskClient],
) -> None:
    """WTForms' NumberRange turns a whole number into a float to check it: one of more
    than 308 digits overflowed (a 500) on the criteria's scale, the reviewers per
    application, the reserve place, the reviewers' limit. Such a number is not a number the
    form takes."""
    call = create_call(published=False)
    login_as(create_user(Role.CHAIR))
    before = snapshot(db)
    huge = "1" * 400
    response = client.post(f"/calls/{call.id}/criteria",
                           data={"rows-0-name": "Актуальность", "rows-0-scale_max": huge})
    assert response.status_code == 200  # the form again, with the message beside the field
    assert "Not a valid integer value." in response.get_data(as_text=True)
    response = client.post(f"/committee/calls/{call.id}/reviewers",
                           data={"max_assignments_per_reviewer": huge})
    assert response.status_code == 422
    assert snapshot(db) == before
