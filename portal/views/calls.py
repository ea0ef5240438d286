"""Calls: the list and each call's rules for everyone; creating, editing, publishing and
the criteria for the chair."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.db import get_or_404, session, utcnow
from portal.errors import DomainError
from portal.forms import ConfirmForm, show_domain_error
from portal.forms.calls import CallForm, CriteriaForm, keep_locked
from portal.models import Application, Call, CallStatus
from portal.permissions import Action, can, require, visible_applications
from portal.services import calls as call_service

bp = Blueprint("calls", __name__, url_prefix="/calls")


@bp.get("/")
def call_list():
    """Open and upcoming calls first, then closed ones; the chair also sees drafts."""
    query = select(Call).order_by(Call.closes_at.desc())
    if not can(current_user, Action.MANAGE_CALLS):
        query = query.where(Call.status == CallStatus.PUBLISHED)
    calls = session.scalars(query).all()
    now = utcnow()
    published = [c for c in calls if c.status == CallStatus.PUBLISHED]
    groups = {
        "open": [c for c in published if c.opens_at <= now < c.closes_at],
        "upcoming": [c for c in published if now < c.opens_at],
        "closed": [c for c in published if c.closes_at <= now],
        "drafts": [c for c in calls if c.status == CallStatus.DRAFT],
    }
    return render_template("calls/call_list.html", groups=groups, now=now)


def _load(call_id: int) -> Call:
    call = get_or_404(Call, call_id)
    if call.status != CallStatus.PUBLISHED:
        require(current_user, Action.VIEW_CALL, call)
    return call


@bp.get("/<int:call_id>")
def call_view(call_id: int):
    call = _load(call_id)
    mine = []
    if current_user.is_authenticated:
        mine = session.scalars(
            visible_applications(current_user)
            .where(Application.call_id == call.id,
                   Application.organisation_id == current_user.organisation_id)
            .order_by(Application.id)
        ).all()
    return render_template(
        "calls/call_view.html", call=call, now=utcnow(), mine=mine,
        locked=call_service.locked_fields(session, call), confirm=ConfirmForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
def call_new():
    require(current_user, Action.MANAGE_CALLS)
    form = CallForm()
    if not form.is_submitted():
        for category, entry in zip(call_service.DEFAULT_CATEGORY_CAPS.items(),
                                   form.categories.entries, strict=True):
            cap, basis = category[1]
            entry.form.allowed.data = True
            entry.form.cap_percent.data = cap
            entry.form.cap_basis.data = basis.value
    if form.validate_on_submit():
        try:
            call = call_service.create_call(
                session, form.call_data(), actor=current_user,
                categories=form.category_rules(),
            )
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("calls/call_form.html", form=form, call=None,
                                   locked=set()), exc.status_code
        session.commit()
        flash(_("The call is saved as a draft with the default criteria. Check them, then "
                "publish the call."), "success")
        return redirect(url_for("calls.call_view", call_id=call.id))
    return render_template("calls/call_form.html", form=form, call=None, locked=set())


@bp.route("/<int:call_id>/edit", methods=["GET", "POST"])
def call_edit(call_id: int):
    call = get_or_404(Call, call_id)
    require(current_user, Action.MANAGE_CALLS, call)
    form = CallForm()
    locked = call_service.locked_fields(session, call)
    if not form.is_submitted():
        form.fill_from(call)
    else:
        keep_locked(form, call, locked)
    if form.validate_on_submit():
        try:
            call_service.update_call(
                session, call, form.call_data(), actor=current_user,
                categories=form.category_rules(),
            )
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("calls/call_form.html", form=form, call=call,
                                   locked=locked), exc.status_code
        session.commit()
        flash(_("The changes have been saved."), "success")
        return redirect(url_for("calls.call_view", call_id=call.id))
    return render_template("calls/call_form.html", form=form, call=call, locked=locked)


@bp.route("/<int:call_id>/criteria", methods=["GET", "POST"])
def criteria_edit(call_id: int):
    call = get_or_404(Call, call_id)
    require(current_user, Action.MANAGE_CALLS, call)
    form = CriteriaForm()
    locked = "criteria" in call_service.locked_fields(session, call)
    if not form.is_submitted():
        while form.rows.entries:  # min_entries' blank row would come before the criteria
            form.rows.pop_entry()
        for criterion in call.criteria:
            form.rows.append_entry(criterion)
    while len(form.rows.entries) < len(call.criteria) + 2 and not locked:
        form.rows.append_entry()
    if form.validate_on_submit():
        try:
            call_service.replace_criteria(session, call, form.criteria(), actor=current_user)
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("calls/criteria_form.html", form=form, call=call,
                                   locked=locked), exc.status_code
        session.commit()
        flash(_("The criteria have been saved."), "success")
        return redirect(url_for("calls.call_view", call_id=call.id))
    return render_template("calls/criteria_form.html", form=form, call=call, locked=locked)


@bp.post("/<int:call_id>/publish")
def call_publish(call_id: int):
    call = get_or_404(Call, call_id)
    require(current_user, Action.MANAGE_CALLS, call)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    call_service.publish_call(session, call, actor=current_user)
    session.commit()
    flash(_("The call is published; libraries can see it."), "success")
    return redirect(url_for("calls.call_view", call_id=call.id))
