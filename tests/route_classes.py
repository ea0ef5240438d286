"""Every route of the portal, classified: who may reach it, on which objects, and with which
answer. tests/test_route_matrix.py enumerates `app.url_map` and fails for a route missing
here (or named here but gone), then requests every route x role x target of this table.

A route's `targets` are the objects its URL is tried with, as functions of the scenario
built by the test (own organisation's object, another organisation's, an application the
reviewer is not assigned to, a draft call...). Its `expect` says, per role and target:
an HTTP status, LOGIN (sent to sign in, with `next`), or ACTS (a role that may make the
change: any answer but a refusal or a server error). Expectations are written as grids,
rows are roles and columns are targets, so the whole matrix of a route reads on one screen.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ANONYMOUS = "anonymous"
NOROLE = "norole"  # signed in, without any role
APPLICANT = "applicant"  # of library A: "own" objects are A's, "other" ones B's
REVIEWER = "reviewer"  # assigned to A's funded application only
CHAIR = "chair"
FINANCE = "finance"
ADMIN = "admin"
ROLES = (ANONYMOUS, NOROLE, APPLICANT, REVIEWER, CHAIR, FINANCE, ADMIN)
SIGNED_IN = ROLES[1:]

LOGIN = "login"
ACTS = "acts"
Expect = int | str


class Access(enum.StrEnum):
    """How a route decides who may reach it."""

    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed-in"  # anyone signed in, whatever their roles
    ROLE = "role"  # some roles (403 for the others)
    OBJECT = "object"  # per object: the ones a user may not see answer 404


@dataclass
class Scenario:
    """What the targets are made of: ids of the objects the test built, by name."""

    calls: dict[str, int] = field(default_factory=dict)
    apps: dict[str, int] = field(default_factory=dict)
    attachments: dict[str, int] = field(default_factory=dict)
    assignments: dict[str, int] = field(default_factory=dict)
    reviews: dict[str, int] = field(default_factory=dict)
    agreements: dict[str, int] = field(default_factory=dict)
    tranches: dict[str, int] = field(default_factory=dict)
    reports: dict[str, int] = field(default_factory=dict)
    documents: dict[str, int] = field(default_factory=dict)
    orgs: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    job: int = 0
    outbox_message: int = 0
    reset_token: str = ""


Values = Callable[[Scenario], dict[str, Any]]


def grid(text: str) -> dict[str, dict[str, Expect]]:
    """A table of expectations: a header of target names, then one row per role."""
    header, *rows = (line.split() for line in text.strip().splitlines())
    table: dict[str, dict[str, Expect]] = {}
    for role, *cells in rows:
        if len(cells) != len(header):
            raise ValueError(f"row {role!r} has {len(cells)} cells for {len(header)} targets")
        table[role] = {t: int(c) if c.isdigit() else c for t, c in zip(header, cells,
                                                                        strict=True)}
    return table


def everyone(status: Expect) -> dict[str, Expect]:
    """The same answer for every role, anonymous visitors included."""
    return dict.fromkeys(ROLES, status)


def signed_in(status: Expect) -> dict[str, Expect]:
    """Anonymous visitors are sent to sign in; every signed-in role gets `status`."""
    return {ANONYMOUS: LOGIN, **dict.fromkeys(SIGNED_IN, status)}


def roles(**allowed: Expect) -> dict[str, Expect]:
    """Anonymous visitors sign in; the roles named get their answer, the others 403."""
    return {ANONYMOUS: LOGIN, **dict.fromkeys(SIGNED_IN, 403), **allowed}


@dataclass(frozen=True)
class Route:
    access: Access
    # Target name -> the URL's values; a route without objects has one target, "-".
    targets: Mapping[str, Values]
    # Role -> an answer for every target, or a row of answers per target.
    expect: Mapping[str, Expect | Mapping[str, Expect]]

    def expected(self, role: str, target: str) -> Expect:
        answer = self.expect[role]
        return answer if isinstance(answer, int | str) else answer[target]

    def answers(self) -> list[tuple[str, str, Expect]]:
        return [(role, target, self.expected(role, target))
                for role in ROLES for target in self.targets]


def no_values(s: Scenario) -> dict[str, Any]:
    return {}


NONE: Mapping[str, Values] = {"-": no_values}


def _ids(kind: str, key: str, *names: str) -> Mapping[str, Values]:
    """Targets that put the scenario's object `name` of `kind` in the URL value `key`."""
    return {name: (lambda s, name=name: {key: getattr(s, kind)[name]}) for name in names}


def _with(targets: Mapping[str, Values], **extra: Any) -> Mapping[str, Values]:
    """The same targets with constant URL values added (a section, an export format)."""
    return {name: (lambda s, values=values: {**values(s), **extra})
            for name, values in targets.items()}


def _call(name: str) -> Mapping[str, Values]:
    return {"-": lambda s: {"call_id": s.calls[name]}}


# --- targets ------------------------------------------------------------------------------

APPS = _ids("apps", "app_id", "draft_own", "draft_other", "submitted_own", "submitted_other",
            "funded_own", "funded_other")
CALLS = _ids("calls", "call_id", "open", "closed", "draft")
ATTACHMENTS: Mapping[str, Values] = {
    **{name: (lambda s, name=name: {"app_id": s.apps[name],
                                    "attachment_id": s.attachments[name]})
       for name in ("draft_own", "draft_other", "funded_own", "funded_other")},
    # Another library's file under the user's own application's address.
    "crossed": lambda s: {"app_id": s.apps["funded_own"],
                          "attachment_id": s.attachments["funded_other"]},
}
# The same, except that the crossed file sits under the user's own draft, which may change.
ATTACHMENTS_TO_CHANGE: Mapping[str, Values] = {
    **ATTACHMENTS,
    "crossed": lambda s: {"app_id": s.apps["draft_own"],
                          "attachment_id": s.attachments["draft_other"]},
}
REPORTS = _ids("reports", "report_id", "draft_own", "draft_other", "submitted_own",
               "submitted_other")
DOCUMENTS: Mapping[str, Values] = {
    **{name: (lambda s, name=name: {"report_id": s.reports[name],
                                    "document_id": s.documents[name]})
       for name in ("draft_own", "draft_other")},
    "crossed": lambda s: {"report_id": s.reports["draft_own"],
                          "document_id": s.documents["draft_other"]},
}
ASSIGNMENTS = _ids("assignments", "assignment_id", "own", "other")
REVIEWS = _ids("reviews", "review_id", "own", "other")
AGREEMENTS = _ids("agreements", "agreement_id", "own", "other")
DASHBOARDS = {name: (lambda s, name=name: {"role": name})
              for name in (APPLICANT, REVIEWER, CHAIR, FINANCE, ADMIN, "nosuch")}
RESET_TOKENS: Mapping[str, Values] = {
    "valid": lambda s: {"token": s.reset_token},
    "forged": lambda s: {"token": "not-a-token"},
}
COMMITTEE_APP: Mapping[str, Values] = {
    "own": lambda s: {"call_id": s.calls["closed"], "app_id": s.apps["funded_own"]},
    # An application of another call under this call's address.
    "crossed": lambda s: {"call_id": s.calls["closed"], "app_id": s.apps["submitted_own"]},
}
COMMITTEE_ASSIGNMENT: Mapping[str, Values] = {
    "own": lambda s: {"call_id": s.calls["closed"], "assignment_id": s.assignments["own"]},
    "crossed": lambda s: {"call_id": s.calls["open"], "assignment_id": s.assignments["own"]},
}
FINANCE_CALLS = _ids("calls", "call_id", "closed", "draft")
STATIC = {"-": lambda s: {"filename": "css/portal.css"}}
BOOTSTRAP_STATIC = {"-": lambda s: {"filename": "css/bootstrap.min.css"}}

# --- expectations shared by several routes ---------------------------------------------------

# Who sees an application: its library always; the chair and the admin once submitted; the
# reviewer assigned to it; finance once funded.
SEE_APPLICATION = grid("""
            draft_own draft_other submitted_own submitted_other funded_own funded_other
anonymous   login     login       login         login           login      login
norole      404       404         404           404             404        404
applicant   200       404         200           404             200        404
reviewer    404       404         404           404             200        404
chair       404       404         200           200             200        200
finance     404       404         404           404             200        200
admin       404       404         200           200             200        200
""")


def change_application(allowed: Expect) -> dict[str, dict[str, Expect]]:
    """Changing an application: hidden (404) from whoever may not see it, 409 once it is no
    longer a draft, and only its library's applicants may change a draft."""
    return grid(f"""
            draft_own draft_other submitted_own submitted_other funded_own funded_other
anonymous   login     login       login         login           login      login
norole      404       404         404           404             404        404
applicant   {allowed:<9} 404         409           404             409        404
reviewer    404       404         404           404             409        404
chair       404       404         409           409             409        409
finance     404       404         404           404             409        409
admin       404       404         409           409             409        409
""")


def withdraw(allowed: Expect) -> dict[str, dict[str, Expect]]:
    """Withdrawing: hidden from whoever may not see the application; only its library, and
    only while submitted and not yet screened."""
    return grid(f"""
            draft_own draft_other submitted_own submitted_other funded_own funded_other
anonymous   login     login       login         login           login      login
norole      404       404         404           404             404        404
applicant   403       404         {allowed:<13} 404             403        404
reviewer    404       404         404           404             403        404
chair       404       404         403           403             403        403
finance     404       404         404           404             403        403
admin       404       404         403           403             403        403
""")


def see_attachment(code: Expect) -> dict[str, dict[str, Expect]]:
    return grid(f"""
            draft_own draft_other funded_own funded_other crossed
anonymous   login     login       login      login        login
norole      404       404         404        404          404
applicant   {code:<9} 404         {code:<10} 404          404
reviewer    404       404         {code:<10} 404          404
chair       404       404         {code:<10} {code:<12} 404
finance     404       404         {code:<10} {code:<12} 404
admin       404       404         {code:<10} {code:<12} 404
""")


DELETE_ATTACHMENT = grid("""
            draft_own draft_other funded_own funded_other crossed
anonymous   login     login       login      login        login
norole      404       404         404        404          404
applicant   acts      404         409        404          404
reviewer    404       404         409        404          404
chair       404       404         409        409          404
finance     404       404         409        409          404
admin       404       404         409        409          404
""")

# The agreement: its library, finance, the chair and the admin; never a reviewer.
SEE_AGREEMENT_PDF = grid("""
            draft_own draft_other submitted_own submitted_other funded_own funded_other
anonymous   login     login       login         login           login      login
norole      404       404         404           404             404        404
applicant   404       404         404           404             200        404
reviewer    404       404         404           404             404        404
chair       404       404         404           404             200        200
finance     404       404         404           404             200        200
admin       404       404         404           404             200        200
""")

SEE_REPORT = grid("""
            draft_own draft_other submitted_own submitted_other
anonymous   login     login       login         login
norole      404       404         404           404
applicant   200       404         200           404
reviewer    404       404         404           404
chair       200       200         200           200
finance     200       200         200           200
admin       200       200         200           200
""")

# The library changes its report while it is a draft (or returned); no one else does.
CHANGE_REPORT = grid("""
            draft_own draft_other submitted_own submitted_other
anonymous   login     login       login         login
norole      404       404         404           404
applicant   acts      404         409           404
reviewer    404       404         404           404
chair       404       404         409           409
finance     404       404         409           409
admin       404       404         409           409
""")

CHANGE_DOCUMENT = grid("""
            draft_own draft_other crossed
anonymous   login     login       login
norole      404       404         404
applicant   acts      404         404
reviewer    404       404         404
chair       404       404         404
finance     404       404         404
admin       404       404         404
""")

# Finance and the chair decide on a submitted report; never its library, nor the admin.
DECIDE_REPORT = grid("""
            draft_own draft_other submitted_own submitted_other
anonymous   login     login       login         login
norole      404       404         404           404
applicant   409       404         403           404
reviewer    404       404         404           404
chair       409       409         acts          acts
finance     409       409         acts          acts
admin       409       409         403           403
""")

# A reviewer's own active assignment; for everyone else it does not exist.
OWN_ASSIGNMENT = grid("""
            own   other
anonymous   login login
norole      404   404
applicant   404   404
reviewer    200   404
chair       404   404
finance     404   404
admin       404   404
""")


def own_assignment(allowed: Expect) -> dict[str, dict[str, Expect]]:
    return {role: {t: allowed if code == 200 else code for t, code in row.items()}
            for role, row in OWN_ASSIGNMENT.items()}


SEE_CALL = grid("""
            open  closed draft
anonymous   200   200    login
norole      200   200    404
applicant   200   200    404
reviewer    200   200    404
chair       200   200    200
finance     200   200    404
admin       200   200    200
""")


def manage_call(allowed: Expect) -> dict[str, Expect]:
    return roles(chair=allowed, admin=allowed)


START_APPLICATION = grid("""
            open  closed draft
anonymous   login login  login
norole      403   403    404
applicant   acts  403    404
reviewer    403   403    404
chair       403   403    403
finance     403   403    404
admin       403   403    403
""")

FINANCE_CALL = grid("""
            closed draft
anonymous   login  login
norole      403    403
applicant   403    403
reviewer    403    403
chair       200    200
finance     200    404
admin       403    403
""")

AGREEMENT_PAGE = grid("""
            draft_own draft_other submitted_own submitted_other funded_own funded_other
anonymous   login     login       login         login           login      login
norole      403       403         403           403             403        403
applicant   403       403         403           403             403        403
reviewer    403       403         403           403             403        403
chair       404       404         404           404             200        200
finance     404       404         404           404             200        200
admin       403       403         403           403             403        403
""")


def _agreement_post() -> dict[str, dict[str, Expect]]:
    page = {role: dict(row) for role, row in AGREEMENT_PAGE.items()}
    page[CHAIR] = {t: 404 if code == 404 else 403 for t, code in page[CHAIR].items()}
    page[FINANCE] = {t: 404 if code == 404 else ACTS for t, code in page[FINANCE].items()}
    return page


SEE_SCAN = grid("""
            own   other
anonymous   login login
norole      404   404
applicant   200   404
reviewer    404   404
chair       200   200
finance     200   200
admin       200   200
""")

SCORE_SHEET = grid("""
            own   other
anonymous   login login
norole      404   404
applicant   404   404
reviewer    200   404
chair       200   200
finance     404   404
admin       200   200
""")

OWN_RESULTS = grid("""
            draft_own draft_other submitted_own submitted_other funded_own funded_other
anonymous   login     login       login         login           login      login
norole      404       404         404           404             404        404
applicant   404       404         404           404             200        404
reviewer    404       404         404           404             404        404
chair       404       404         404           404             404        404
finance     404       404         404           404             404        404
admin       404       404         404           404             404        404
""")

DASHBOARD = grid("""
            applicant reviewer chair finance admin nosuch
anonymous   login     login    login login   login 404
norole      403       403      403   403     403   404
applicant   200       403      403   403     403   404
reviewer    403       200      403   403     403   404
chair       403       403      200   403     403   404
finance     403       403      403   200     403   404
admin       403       403      403   403     200   404
""")

# The chair's decisions on one application of the call; an application of another call
# under this call's address is not there.
COMMITTEE_CHANGE = grid("""
            own   crossed
anonymous   login login
norole      403   403
applicant   403   403
reviewer    403   403
chair       acts  404
finance     403   403
admin       403   403
""")

PUBLIC_CALL_RESULTS = grid("""
            open  closed draft
anonymous   404   200    404
norole      404   200    404
applicant   404   200    404
reviewer    404   200    404
chair       404   200    404
finance     404   200    404
admin       404   200    404
""")

PUBLIC_PROJECT = grid("""
            draft_own submitted_own funded_own funded_other
anonymous   404       404           200        200
norole      404       404           200        200
applicant   404       404           200        200
reviewer    404       404           200        200
chair       404       404           200        200
finance     404       404           200        200
admin       404       404           200        200
""")

SIGNED_OUT_ONLY = {ANONYMOUS: 200, **dict.fromkeys(SIGNED_IN, 302)}

SECTION_TARGETS = _with(APPS, section="general")
EXPORT_TARGETS = _with(FINANCE_CALLS, what="budgets", fmt="xlsx")
REPORT_SECTION_TARGETS = _with(REPORTS, section="narrative")
JOB = {"-": lambda s: {"job_id": s.job}}
MESSAGE = {"-": lambda s: {"message_id": s.outbox_message}}
ORG = {"-": lambda s: {"org_id": s.orgs["other"]}}
USER = {"-": lambda s: {"user_id": s.users["applicant_other"]}}
TRANCHE = _ids("tranches", "tranche_id", "own", "other")
PUBLIC_PROJECTS = {name: (lambda s, name=name: {"application_id": s.apps[name]})
                   for name in ("draft_own", "submitted_own", "funded_own", "funded_other")}

PUB, SIG, ROL, OBJ = Access.PUBLIC, Access.SIGNED_IN, Access.ROLE, Access.OBJECT

# (endpoint, method) -> how it is reached, grouped by blueprint.
ROUTES: dict[tuple[str, str], Route] = {
    # --- main ----------------------------------------------------------------------------------
    ("main.index", "GET"): Route(PUB, NONE, everyone(200)),
    ("main.dashboard", "GET"): Route(ROL, DASHBOARDS, DASHBOARD),
    ("main.set_language", "POST"): Route(PUB, NONE, everyone(ACTS)),
    ("main.set_accessibility", "POST"): Route(PUB, NONE, everyone(ACTS)),
    ("main.healthz", "GET"): Route(PUB, NONE, everyone(200)),
    ("static", "GET"): Route(PUB, STATIC, everyone(200)),
    ("bootstrap.static", "GET"): Route(PUB, BOOTSTRAP_STATIC, everyone(200)),
    # --- auth ----------------------------------------------------------------------------------
    ("auth.login", "GET"): Route(PUB, NONE, SIGNED_OUT_ONLY),
    ("auth.login", "POST"): Route(PUB, NONE, everyone(ACTS)),
    ("auth.logout", "POST"): Route(PUB, NONE, everyone(ACTS)),
    ("auth.change_password", "GET"): Route(SIG, NONE, signed_in(200)),
    ("auth.change_password", "POST"): Route(SIG, NONE, signed_in(ACTS)),
    ("auth.forgot_password", "GET"): Route(PUB, NONE, everyone(200)),
    ("auth.forgot_password", "POST"): Route(PUB, NONE, everyone(ACTS)),
    ("auth.reset_password", "GET"): Route(PUB, RESET_TOKENS, grid("""
            valid forged
anonymous   200   404
norole      200   404
applicant   200   404
reviewer    200   404
chair       200   404
finance     200   404
admin       200   404
""")),
    ("auth.reset_password", "POST"): Route(PUB, RESET_TOKENS, grid("""
            valid forged
anonymous   acts  404
norole      acts  404
applicant   acts  404
reviewer    acts  404
chair       acts  404
finance     acts  404
admin       acts  404
""")),
    ("auth.register", "GET"): Route(PUB, NONE, SIGNED_OUT_ONLY),
    ("auth.register", "POST"): Route(PUB, NONE, everyone(ACTS)),
    # --- admin ---------------------------------------------------------------------------------
    ("admin.users", "GET"): Route(ROL, NONE, roles(admin=200)),
    ("admin.user_new", "GET"): Route(ROL, NONE, roles(admin=200)),
    ("admin.user_new", "POST"): Route(ROL, NONE, roles(admin=ACTS)),
    ("admin.user_edit", "GET"): Route(ROL, USER, roles(admin=200)),
    ("admin.user_edit", "POST"): Route(ROL, USER, roles(admin=ACTS)),
    ("admin.user_set_enabled", "POST"): Route(ROL, USER, roles(admin=ACTS)),
    ("admin.user_send_reset", "POST"): Route(ROL, USER, roles(admin=ACTS)),
    ("admin.organisation_list", "GET"): Route(ROL, NONE, roles(admin=200)),
    ("admin.organisation_new", "GET"): Route(ROL, NONE, roles(admin=200)),
    ("admin.organisation_new", "POST"): Route(ROL, NONE, roles(admin=ACTS)),
    ("admin.organisation_edit", "GET"): Route(ROL, ORG, roles(admin=200)),
    ("admin.organisation_edit", "POST"): Route(ROL, ORG, roles(admin=ACTS)),
    ("admin.organisation_approve", "POST"): Route(ROL, ORG, roles(admin=ACTS)),
    ("admin.organisation_reject", "POST"): Route(ROL, ORG, roles(admin=ACTS)),
    ("admin.audit_log", "GET"): Route(ROL, NONE, roles(admin=200)),
    ("admin.outbox", "GET"): Route(ROL, NONE, roles(admin=200)),
    ("admin.outbox_message", "GET"): Route(ROL, MESSAGE, roles(admin=200)),
    # --- calls ---------------------------------------------------------------------------------
    ("calls.call_list", "GET"): Route(PUB, NONE, everyone(200)),
    ("calls.call_view", "GET"): Route(OBJ, CALLS, SEE_CALL),
    ("calls.call_new", "GET"): Route(ROL, NONE, manage_call(200)),
    ("calls.call_new", "POST"): Route(ROL, NONE, manage_call(ACTS)),
    ("calls.call_edit", "GET"): Route(ROL, CALLS, manage_call(200)),
    ("calls.call_edit", "POST"): Route(ROL, CALLS, manage_call(ACTS)),
    ("calls.criteria_edit", "GET"): Route(ROL, CALLS, manage_call(200)),
    ("calls.criteria_edit", "POST"): Route(ROL, CALLS, manage_call(ACTS)),
    ("calls.call_publish", "POST"): Route(ROL, CALLS, manage_call(ACTS)),
    # --- applications --------------------------------------------------------------------------
    ("applications.start", "POST"): Route(OBJ, CALLS, START_APPLICATION),
    ("applications.view", "GET"): Route(OBJ, APPS, SEE_APPLICATION),
    ("applications.check", "GET"): Route(OBJ, APPS, change_application(200)),
    ("applications.edit", "GET"): Route(OBJ, SECTION_TARGETS, change_application(200)),
    ("applications.edit", "POST"): Route(OBJ, SECTION_TARGETS, change_application(ACTS)),
    ("applications.submit", "POST"): Route(OBJ, APPS, change_application(ACTS)),
    ("applications.withdraw", "GET"): Route(OBJ, APPS, withdraw(200)),
    ("applications.withdraw", "POST"): Route(OBJ, APPS, withdraw(ACTS)),
    ("attachments.attachment_list", "GET"): Route(OBJ, APPS, SEE_APPLICATION),
    ("attachments.upload", "POST"): Route(OBJ, APPS, change_application(ACTS)),
    ("attachments.download", "GET"): Route(OBJ, ATTACHMENTS, see_attachment(200)),
    ("attachments.delete", "POST"): Route(OBJ, ATTACHMENTS_TO_CHANGE, DELETE_ATTACHMENT),
    ("documents.application_pdf", "GET"): Route(OBJ, APPS, SEE_APPLICATION),
    ("documents.budget_pdf", "GET"): Route(OBJ, APPS, SEE_APPLICATION),
    ("documents.agreement_pdf", "GET"): Route(OBJ, APPS, SEE_AGREEMENT_PDF),
    # --- committee: screening, reviewers, assignments --------------------------------------------
    ("screening.screening", "GET"): Route(ROL, _call("closed"), roles(chair=200)),
    ("screening.screen", "POST"): Route(ROL, COMMITTEE_APP, COMMITTEE_CHANGE),
    ("screening.admission", "GET"): Route(ROL, _call("closed"), roles(chair=200, admin=200)),
    ("screening.admission_pdf", "GET"): Route(ROL, _call("closed"),
                                              roles(chair=200, admin=200)),
    ("screening.reviewers", "GET"): Route(ROL, _call("closed"), roles(chair=200)),
    ("screening.reviewers", "POST"): Route(ROL, _call("closed"), roles(chair=ACTS)),
    ("screening.assignments", "GET"): Route(ROL, _call("closed"), roles(chair=200)),
    ("screening.assign_automatically", "POST"): Route(ROL, _call("closed"), roles(chair=ACTS)),
    ("screening.assignment_add", "POST"): Route(ROL, COMMITTEE_APP, COMMITTEE_CHANGE),
    ("screening.assignment_remove", "POST"): Route(ROL, COMMITTEE_ASSIGNMENT, COMMITTEE_CHANGE),
    ("screening.assignment_swap", "POST"): Route(ROL, COMMITTEE_ASSIGNMENT, COMMITTEE_CHANGE),
    # --- committee: ranking, decisions, documents ------------------------------------------------
    ("committee.ranking", "GET"): Route(ROL, _call("closed"), roles(chair=200, admin=200)),
    ("committee.decide", "POST"): Route(ROL, COMMITTEE_APP, COMMITTEE_CHANGE),
    ("committee.decline", "POST"): Route(ROL, COMMITTEE_APP, COMMITTEE_CHANGE),
    ("committee.fund_from_reserve", "POST"): Route(ROL, COMMITTEE_APP, COMMITTEE_CHANGE),
    ("committee.finalise", "POST"): Route(ROL, _call("closed"), roles(chair=ACTS)),
    ("committee.protocol_pdf", "GET"): Route(ROL, _call("closed"), roles(chair=200, admin=200)),
    ("committee.summary_pdf", "GET"): Route(ROL, _call("closed"), roles(chair=200, admin=200)),
    ("committee.summary_xlsx", "GET"): Route(ROL, _call("closed"), roles(chair=200, admin=200)),
    # --- review --------------------------------------------------------------------------------
    ("review.assignment_list", "GET"): Route(ROL, NONE, roles(reviewer=200)),
    ("review.assignment", "GET"): Route(OBJ, ASSIGNMENTS, OWN_ASSIGNMENT),
    # A submitted review is locked: the reviewer's own POST answers 409 with the reason.
    ("review.assignment", "POST"): Route(OBJ, ASSIGNMENTS, own_assignment(ACTS)),
    ("review.declare_conflict", "GET"): Route(OBJ, ASSIGNMENTS, OWN_ASSIGNMENT),
    ("review.declare_conflict", "POST"): Route(OBJ, ASSIGNMENTS, own_assignment(ACTS)),
    ("review.review_view", "GET"): Route(ROL, REVIEWS, roles(chair=200, admin=200)),
    ("review.reopen", "POST"): Route(ROL, REVIEWS, roles(chair=ACTS)),
    ("review.score_sheet", "GET"): Route(OBJ, REVIEWS, SCORE_SHEET),
    ("review.results", "GET"): Route(OBJ, APPS, OWN_RESULTS),
    # --- finance -------------------------------------------------------------------------------
    ("finance.index", "GET"): Route(ROL, NONE, roles(chair=200, finance=200)),
    ("finance.call_dashboard", "GET"): Route(ROL, FINANCE_CALLS, FINANCE_CALL),
    ("finance.export", "GET"): Route(ROL, EXPORT_TARGETS, FINANCE_CALL),
    ("finance.record_payment", "POST"): Route(ROL, TRANCHE, roles(finance=ACTS)),
    ("finance_jobs.budgets_zip", "GET"): Route(ROL, FINANCE_CALLS, FINANCE_CALL),
    ("finance_jobs.start_budgets_zip", "POST"): Route(ROL, _call("closed"),
                                                      roles(chair=ACTS, finance=ACTS)),
    ("finance_jobs.job_page", "GET"): Route(ROL, JOB, roles(chair=200, finance=200)),
    ("finance_jobs.job_status", "GET"): Route(ROL, JOB, roles(chair=200, finance=200)),
    ("agreements.agreement", "GET"): Route(ROL, APPS, AGREEMENT_PAGE),
    ("agreements.agreement", "POST"): Route(ROL, APPS, _agreement_post()),
    ("agreements.scan", "GET"): Route(OBJ, AGREEMENTS, SEE_SCAN),
    ("agreements.settings", "GET"): Route(ROL, NONE, roles(chair=200, finance=200, admin=200)),
    ("agreements.settings", "POST"): Route(ROL, NONE, roles(finance=ACTS, admin=ACTS)),
    # --- reports -------------------------------------------------------------------------------
    ("reports.view", "GET"): Route(OBJ, REPORTS, SEE_REPORT),
    ("reports.save", "POST"): Route(OBJ, REPORT_SECTION_TARGETS, CHANGE_REPORT),
    ("reports.submit", "POST"): Route(OBJ, REPORTS, CHANGE_REPORT),
    ("reports.upload", "POST"): Route(OBJ, REPORTS, CHANGE_REPORT),
    ("reports.download", "GET"): Route(OBJ, DOCUMENTS, grid("""
            draft_own draft_other crossed
anonymous   login     login       login
norole      404       404         404
applicant   200       404         404
reviewer    404       404         404
chair       200       200         404
finance     200       200         404
admin       200       200         404
""")),
    ("reports.delete_document", "POST"): Route(OBJ, DOCUMENTS, CHANGE_DOCUMENT),
    ("reports.accept", "POST"): Route(OBJ, REPORTS, DECIDE_REPORT),
    ("reports.return_report", "POST"): Route(OBJ, REPORTS, DECIDE_REPORT),
    ("reports.report_pdf", "GET"): Route(OBJ, REPORTS, SEE_REPORT),
    # --- public register and open data -----------------------------------------------------------
    ("public.index", "GET"): Route(PUB, NONE, everyone(200)),
    ("public.call_results", "GET"): Route(PUB, CALLS, PUBLIC_CALL_RESULTS),
    ("public.project", "GET"): Route(PUB, PUBLIC_PROJECTS, PUBLIC_PROJECT),
    ("public.feed", "GET"): Route(PUB, NONE, everyone(200)),
    ("public.open_data", "GET"): Route(PUB, NONE, everyone(200)),
    ("api.awards_json", "GET"): Route(PUB, NONE, everyone(200)),
    ("api.awards_csv", "GET"): Route(PUB, NONE, everyone(200)),
}
