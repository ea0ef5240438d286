"""The admin's pages: users and roles, organisations and their approval, the audit log and
the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from portal.db import get_or_404, paginate, session
from portal.errors import DomainError
from portal.forms import ConfirmForm, show_domain_error
from portal.forms.admin import (
    AuditFilterForm,
    NewUserForm,
    OrganisationForm,
    RejectForm,
    UserForm,
)
from portal.models import AuditEvent, Organisation, OrganisationStatus, OutboxMessage, Role, User
from portal.permissions import Action, require
from portal.services import accounts, organisations
from portal.views import page_arg
from portal.views.auth import _external_url

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _only_admins() -> None:
    require(current_user, Action.ADMINISTER)


def _per_page() -> int:
    return current_app.config["ADMIN_PAGE_SIZE"]


def _organisation_choices(exclude_id: int | None = None) -> list[SelectChoice]:
    rows = session.execute(
        select(Organisation.id, Organisation.short_name, Organisation.inn)
        .where(Organisation.id != (exclude_id or 0))
        .order_by(Organisation.short_name)
    ).all()
    return [SelectChoice(0, _("— none —"))] + [
        SelectChoice(r.id, f"{r.short_name} ({r.inn})") for r in rows
    ]


def _organisation_or_none(org_id: int | None) -> Organisation | None:
    if not org_id:
        return None
    return get_or_404(Organisation, org_id)


def _roles(form: UserForm) -> set[Role]:
    return {Role(value) for value in form.roles.data or []}


# Users ----------------------------------------------------------------------------------

@bp.get("/users")
def users():
    # each row names the user's library: loaded with the page, not one by one
    query = select(User).options(selectinload(User.organisation)).order_by(User.email)
    q = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(like), User.full_name.ilike(f"%{q}%")))
    if role in {r.value for r in Role}:
        query = query.where(User.role_rows.any(role=Role(role)))
    page = paginate(query, page_arg(), _per_page())
    return render_template("admin/user_list.html", page=page, q=q, role=role, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = NewUserForm()
    form.organisation_id.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                session,
                email=form.email.data,
                full_name=form.full_name.data,
                password=form.password.data,
                roles=_roles(form),
                organisation=_organisation_or_none(form.organisation_id.data),
                actor=current_user,
            )
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("admin/user_form.html", form=form, user=None), exc.status_code
        session.commit()
        flash(_("The account %(email)s has been created.", email=user.email), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = get_or_404(User, user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    form.organisation_id.choices = _organisation_choices()
    if request.method == "GET":
        form.organisation_id.data = user.organisation_id or 0
        form.roles.data = sorted(r.value for r in user.roles)
    if form.validate_on_submit():
        try:
            accounts.update_user(
                session,
                user,
                full_name=form.full_name.data,
                email=form.email.data,
                organisation=_organisation_or_none(form.organisation_id.data),
                actor=current_user,
            )
            accounts.set_roles(session, user, _roles(form), actor=current_user)
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("admin/user_form.html", form=form, user=user), (
                exc.status_code
            )
        session.commit()
        flash(_("The changes have been saved."), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.post("/users/<int:user_id>/enabled")
def user_set_enabled(user_id: int):
    user = get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    enabled = request.form.get("enabled") == "1"
    try:
        accounts.set_enabled(session, user, enabled, actor=current_user)
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    session.commit()
    flash(_("The account is enabled.") if enabled else _("The account is disabled; its "
          "sessions have ended."), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/send-reset")
def user_send_reset(user_id: int):
    user = get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.request_password_reset(
        session, user.email,
        reset_url_for=lambda token: _external_url("auth.reset_password", token=token),
    )
    session.commit()
    flash(_("A link to set a new password has been sent to %(email)s.", email=user.email),
          "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# Organisations --------------------------------------------------------------------------

@bp.get("/organisations")
def organisation_list():
    query = select(Organisation).order_by(Organisation.short_name)
    q = request.args.get("q", "").strip()[:100]
    status = request.args.get("status", "")
    if q:
        query = query.where(
            or_(Organisation.short_name.ilike(f"%{q}%"), Organisation.full_name.ilike(f"%{q}%"),
                Organisation.inn == q)
        )
    if status in {s.value for s in OrganisationStatus}:
        query = query.where(Organisation.status == OrganisationStatus(status))
    page = paginate(query, page_arg(), _per_page())
    return render_template(
        "admin/organisation_list.html", page=page, q=q, status=status,
        statuses=list(OrganisationStatus),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
def organisation_new():
    form = OrganisationForm()
    form.parent_id.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            org = organisations.create_organisation(
                session, form.organisation_data(), actor=current_user, approved=True,
                parent=_organisation_or_none(form.parent_id.data),
            )
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("admin/organisation_form.html", form=form, org=None), (
                exc.status_code
            )
        session.commit()
        flash(_("The organisation has been created."), "success")
        return redirect(url_for("admin.organisation_edit", org_id=org.id))
    return render_template("admin/organisation_form.html", form=form, org=None)


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
def organisation_edit(org_id: int):
    org = get_or_404(Organisation, org_id)
    form = OrganisationForm(obj=None if request.method == "POST" else org)
    form.parent_id.choices = _organisation_choices(exclude_id=org.id)
    if request.method == "GET":
        form.parent_id.data = org.parent_id or 0
    context = {"org": org, "reject_form": RejectForm(),
               "members": sorted(org.users, key=lambda u: u.full_name)}
    if form.validate_on_submit():
        try:
            organisations.update_organisation(
                session, org, form.organisation_data(), actor=current_user,
                parent=_organisation_or_none(form.parent_id.data),
            )
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("admin/organisation_form.html", form=form, **context), (
                exc.status_code
            )
        session.commit()
        flash(_("The changes have been saved."), "success")
        return redirect(url_for("admin.organisation_edit", org_id=org.id))
    return render_template("admin/organisation_form.html", form=form, **context)


@bp.post("/organisations/<int:org_id>/approve")
def organisation_approve(org_id: int):
    org = get_or_404(Organisation, org_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        organisations.approve_organisation(session, org, actor=current_user)
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("admin.organisation_edit", org_id=org.id))
    session.commit()
    flash(_("The organisation is approved; its users can now apply."), "success")
    return redirect(url_for("admin.organisation_edit", org_id=org.id))


@bp.post("/organisations/<int:org_id>/reject")
def organisation_reject(org_id: int):
    org = get_or_404(Organisation, org_id)
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("Say why the registration is rejected."), "danger")
        return redirect(url_for("admin.organisation_edit", org_id=org.id))
    try:
        organisations.reject_organisation(
            session, org, actor=current_user, reason=form.reason.data
        )
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("admin.organisation_edit", org_id=org.id))
    session.commit()
    flash(_("The registration has been rejected."), "success")
    return redirect(url_for("admin.organisation_edit", org_id=org.id))


# Audit log and outbox -------------------------------------------------------------------

@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if form.validate():
        if form.user.data:
            query = query.where(AuditEvent.actor_label.ilike(f"%{form.user.data.strip()}%"))
        if form.object_type.data:
            query = query.where(AuditEvent.object_type == form.object_type.data.strip().lower())
        if form.object_id.data:
            query = query.where(AuditEvent.object_id == form.object_id.data.strip())
        if form.action.data:
            query = query.where(AuditEvent.action.like(f"{form.action.data.strip()}%"))
        # Dates are the portal's local days (Moscow time by default), not UTC days.
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        if form.date_from.data:
            start = datetime.combine(form.date_from.data, time.min, tzinfo=zone)
            query = query.where(AuditEvent.occurred_at >= start.astimezone(UTC))
        if form.date_to.data:
            end = datetime.combine(form.date_to.data + timedelta(days=1), time.min, tzinfo=zone)
            query = query.where(AuditEvent.occurred_at < end.astimezone(UTC))
    page = paginate(query, page_arg(), _per_page())
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/audit_list.html", form=form, page=page, args=args)


@bp.get("/outbox")
def outbox():
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    to = request.args.get("to", "").strip()[:254]
    if to:
        query = query.where(OutboxMessage.recipient.ilike(f"%{to}%"))
    page = paginate(query, page_arg(), _per_page())
    return render_template("admin/outbox_list.html", page=page, to=to)


@bp.get("/outbox/<int:message_id>")
def outbox_message(message_id: int):
    message = get_or_404(OutboxMessage, message_id)
    return render_template("admin/outbox_message.html", message=message)
