"""The home page (each role's dashboard, or the public front page), the language switch, the
switch to the version for visually impaired readers and the health check."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import Select, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from portal.db import paginate, session, utcnow
from portal.forms import ConfirmForm
from portal.i18n import LANGUAGE_COOKIE
from portal.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Call,
    CallStatus,
    Organisation,
    OrganisationStatus,
    Role,
    User,
)
from portal.permissions import Action, require, visible_applications
from portal.templating import ACCESSIBILITY_COOKIE
from portal.views import page_arg, safe_next

bp = Blueprint("main", __name__)

# The dashboard `/` shows to a user holding several roles; the others are a click away.
ROLE_PRIORITY = (Role.CHAIR, Role.REVIEWER, Role.FINANCE, Role.APPLICANT, Role.ADMIN)

# The applicant's applications per page of their dashboard (a library applies every year),
# and how many of the assignments waiting for a reviewer their dashboard lists (the rest
# are a click away, in their assignments).
APPLICATIONS_PER_PAGE = 10
WAITING_ASSIGNMENTS = 10


def primary_role(user: User) -> Role | None:
    return next((role for role in ROLE_PRIORITY if role in user.roles), None)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("public/front.html")
    role = primary_role(current_user)
    if role is None:
        return render_template("dashboard/no_role.html")
    return _render_dashboard(role)


@bp.get("/dashboard/<role>")
def dashboard(role: str):
    try:
        wanted = Role(role)
    except ValueError:
        abort(404)
    require(current_user, Action.VIEW_DASHBOARD, wanted)
    return _render_dashboard(wanted)


def _render_dashboard(role: Role):
    context: dict = {"role": role, "now": utcnow()}
    if role == Role.ADMIN:
        context["user_count"] = session.scalar(select(func.count()).select_from(User))
        context["pending"] = session.scalars(
            select(Organisation)
            .where(Organisation.status == OrganisationStatus.PENDING)
            .order_by(Organisation.created_at)
            .limit(20)
        ).all()
        context["recent_events"] = session.scalars(
            select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10)
        ).all()
    elif role == Role.APPLICANT:
        org = current_user.organisation
        context["organisation"] = org
        context["colleagues"] = (
            session.execute(
                select(User.full_name, User.email)
                .where(User.organisation_id == org.id).order_by(User.full_name)
            ).all()
            if org
            else []
        )
        context["applications"] = paginate(_library_applications(), page_arg(),
                                           APPLICATIONS_PER_PAGE)
        context["open_calls"] = _open_calls()
        from portal.services.reports import due_reports_of

        context["reports_due"] = due_reports_of(session, org.id) if org else None
    elif role == Role.CHAIR:
        counts = dict(session.execute(
            select(Application.call_id, func.count())
            .where(Application.status != ApplicationStatus.DRAFT)
            .group_by(Application.call_id)
        ).all())
        context["calls"] = session.scalars(select(Call).order_by(Call.closes_at.desc())).all()
        context["submitted_counts"] = counts
    elif role == Role.REVIEWER:
        from portal.services import reviews

        calls = reviews.reviewer_calls(session, current_user)
        in_review = [call.id for call in reviews.calls_in_review(calls)]
        context["calls"] = calls
        context["open_assignments"] = session.execute(
            reviews.reviewer_assignments(current_user, in_review, waiting_only=True)
            .limit(WAITING_ASSIGNMENTS)
        ).all()
        context["counts"] = reviews.assignment_counts(session, current_user, in_review)
    elif role == Role.FINANCE:
        from portal.services.payments import calls_with_funded_projects

        context["calls"] = calls_with_funded_projects(session)
    return render_template(f"dashboard/{role.value}.html", **context)


def _library_applications() -> Select[Any]:
    """The rows of the applicant's list: their library's applications that they may see
    (the same rule as the application page), the newest first, with what each row shows."""
    return (
        visible_applications(current_user)
        .with_only_columns(Application.id, Application.title, Application.registration_number,
                           Application.status, Call.title.label("call_title"), Call.closes_at)
        .select_from(Application)
        .join(Call, Call.id == Application.call_id)
        .where(Application.organisation_id == current_user.organisation_id)
        .order_by(Application.id.desc())
    )


def _open_calls() -> list[Call]:
    now = utcnow()
    return list(session.scalars(
        select(Call).where(Call.status == CallStatus.PUBLISHED, Call.opens_at <= now,
                           Call.closes_at > now).order_by(Call.closes_at)
    ))


@bp.post("/language")
def set_language():
    """Remember the chosen language in a cookie (and on the account) and go back."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    if current_user.is_authenticated and current_user.locale != lang:
        current_user.locale = lang
        session.commit()
    response = redirect(safe_next(request.form.get("next")) or url_for("main.index"))
    response.set_cookie(
        LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="Lax"
    )
    return response


@bp.post("/accessibility")
def set_accessibility():
    """Turn the version for visually impaired readers on or off (a cookie kept for a year)
    and go back."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    mode = request.form.get("mode", "")
    if mode not in ("on", "off"):
        abort(400)
    response = redirect(safe_next(request.form.get("next")) or url_for("main.index"))
    if mode == "on":
        response.set_cookie(
            ACCESSIBILITY_COOKIE, "on", max_age=365 * 24 * 3600, httponly=True, samesite="Lax"
        )
    else:
        response.delete_cookie(ACCESSIBILITY_COOKIE, httponly=True, samesite="Lax")
    return response


@bp.get("/healthz")
def healthz():
    """200 with {"status": "ok"} while the database (and Redis, when the portal uses it)
    answers; 503 naming the part that does not, for the load balancer and the monitoring."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    if current_app.config.get("REDIS_URL") and not _redis_answers():
        return jsonify(status="unavailable", redis="unreachable"), 503
    return jsonify(status="ok")


def _redis_answers() -> bool:
    from redis.exceptions import RedisError

    from portal.services.jobs import redis_connection

    try:
        return bool(redis_connection(current_app._get_current_object()).ping())
    except (RedisError, OSError):
        return False
