"""Every approved budget of a call as one archive, for finance and the chair: the stable
address that sends the archive when it is ready (and otherwise shows how far it is), the
button that starts it, and the job's progress page with its JSON for the page's script."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.db import get_or_404, session
from portal.errors import DomainError
from portal.forms import ConfirmForm
from portal.labels import JOB_STATUS_LABELS
from portal.models import Call, DocumentJob, JobStatus
from portal.permissions import Action, require
from portal.services import jobs

bp = Blueprint("finance_jobs", __name__)
# The jobs' machinery (the after-commit hand-over, the thread) comes with these pages.
bp.record_once(lambda state: jobs.init_jobs(state.app))


def _locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _load_call(call_id: int) -> Call:
    call = get_or_404(Call, call_id)
    require(current_user, Action.VIEW_FINANCE, call)
    require(current_user, Action.VIEW_CALL, call)  # a draft call stays hidden from finance
    return call


def _page(call: Call, state: jobs.ArchiveState, job: DocumentJob | None, *,
          error: str = "", status: int = 200) -> Any:
    """The progress page: the job (if any) with its progress, the download once it is ready
    and current, and the button that starts a new archive when none is under way."""
    is_current = job is not None and job.content_key == state.key
    ready = is_current and jobs.archive_path(job) is not None
    under_way = job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    stale = under_way and jobs.is_stale(job)
    can_start = state.project_count > 0 and not ready and (not under_way or stale)
    return render_template(
        "finance/job_progress.html", call=call, job=job, project_count=state.project_count,
        ready=ready, is_current=is_current, under_way=under_way and not stale, stale=stale,
        can_start=can_start, failed=job is not None and job.status == JobStatus.FAILED,
        finished=job is not None and job.status == JobStatus.DONE, error=error,
        language_matches=job is None or job.locale == _locale(),
    ), status


@bp.get("/finance/calls/<int:call_id>/budgets.zip")
def budgets_zip(call_id: int):
    """The stable address: the archive for the call's figures as they are now when it is
    ready, the progress page otherwise. It never starts anything."""
    call = _load_call(call_id)
    state = jobs.budgets_zip_state(session, call, locale=_locale())
    job = state.job
    path = jobs.archive_path(job) if job is not None else None
    if path is not None:
        try:
            archive = path.open("rb")
        except FileNotFoundError:  # replaced by a newer archive a moment ago
            pass
        else:
            response = send_file(archive, mimetype="application/zip", as_attachment=True,
                                 download_name=f"budgets-{call.code}.zip")
            response.headers["Cache-Control"] = "private, no-store"
            return response
    return _page(call, state, job)


@bp.post("/finance/calls/<int:call_id>/budgets.zip")
def start_budgets_zip(call_id: int):
    call = _load_call(call_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        job = jobs.request_budgets_zip(session, call, actor=current_user, locale=_locale())
    except DomainError as exc:
        session.rollback()
        state = jobs.budgets_zip_state(session, call, locale=_locale())
        return _page(call, state, state.job, error=str(exc.message), status=exc.status_code)
    session.commit()
    if job.status == JobStatus.DONE:
        flash(_("The archive for these figures is ready."), "success")
    else:
        flash(_("The archive is being prepared; this page shows how far it has got."), "info")
    return redirect(url_for(".job_page", job_id=job.id))


def _load_job(job_id: int) -> tuple[DocumentJob, Call]:
    job = get_or_404(DocumentJob, job_id)
    require(current_user, Action.VIEW_FINANCE, job.call)
    return job, job.call


@bp.get("/finance/jobs/<int:job_id>")
def job_page(job_id: int):
    job, call = _load_job(job_id)
    state = jobs.budgets_zip_state(session, call, locale=job.locale)
    return _page(call, state, job)


@bp.get("/finance/jobs/<int:job_id>.json")
def job_status(job_id: int):
    """The job's progress for the page's script."""
    job, _call = _load_job(job_id)
    response = jsonify(
        status=job.status.value,
        status_text=str(JOB_STATUS_LABELS[job.status]),
        done=job.done_count,
        total=job.total_count,
        count_text=_("%(done)d of %(total)d budgets", done=job.done_count,
                     total=job.total_count),
        finished=job.status in (JobStatus.DONE, JobStatus.FAILED),
        page_url=url_for(".job_page", job_id=job.id),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
