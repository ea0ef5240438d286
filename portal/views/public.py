"""The public register (no sign-in): calls and their results, each funded project, charts,
the Atom feed; and the open data API. What is public is decided in portal.services.public."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from portal.charts import bar_chart
from portal.db import get_or_404, paginate_list, session, utcnow
from portal.labels import APPLICATION_STATUS_LABELS, BUDGET_CATEGORY_LABELS
from portal.models import Call
from portal.services import public as public_service
from portal.spreadsheets import CSV_MIMETYPE, Table, csv_bytes
from portal.views import page_arg

bp = Blueprint("public", __name__, url_prefix="/public")
api = Blueprint("api", __name__, url_prefix="/api/v1")

PER_PAGE = 20

# The open data's columns, in order: stable names, documented on /public/open-data.
AWARD_FIELDS = (
    "registration_number", "call_id", "call_title", "year", "library_name", "library_inn",
    "municipality", "title", "direction", "approved_amount", "own_amount", "partner_amount",
    "score", "status", "indicators",
)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


@bp.get("/")
def index():
    """Open and upcoming calls, finished calls with their results, and the funded projects
    filtered by year, municipality, direction and a text."""
    now = utcnow()
    calls = public_service.published_calls(session)
    year = _int_arg("year")
    municipality = request.args.get("municipality", "").strip()
    direction = request.args.get("direction", "").strip()
    text = request.args.get("q", "").strip()
    all_awards = public_service.awards(session)
    found = public_service.search_awards(
        [a for a in all_awards if year is None or a.year == year],
        municipality=municipality, direction=direction, text=text)
    page = paginate_list(found, page_arg(), PER_PAGE)
    finished = [c for c in calls if public_service.is_results_public(c)]
    by_call: dict[int, list[public_service.PublicAward]] = {}
    for award in all_awards:
        by_call.setdefault(award.call_id, []).append(award)
    summaries = [(c, len(by_call.get(c.id, [])),
                  sum((a.approved_amount for a in by_call.get(c.id, [])), Decimal("0.00")))
                 for c in finished]
    funded_chart = bar_chart((f"{c.code}", total) for c, _n, total in summaries)
    return render_template(
        "public/index.html", now=now,
        open_calls=[c for c in calls if c.opens_at <= now < c.closes_at],
        upcoming=[c for c in calls if now < c.opens_at],
        summaries=summaries, funded_chart=funded_chart, awards=page.items, page=page.page,
        pages=page.pages, total_found=len(found),
        years=sorted({c.year for c in calls}, reverse=True),
        municipalities=sorted({a.municipality for a in all_awards}),
        directions=sorted({a.direction for a in all_awards}),
        filters={"year": year, "municipality": municipality, "direction": direction,
                 "q": text},
    )


@bp.get("/calls/<int:call_id>")
def call_results(call_id: int):
    call = get_or_404(Call, call_id)
    results = public_service.call_results(session, call)
    if results is None:
        abort(404)
    categories = public_service.funding_by_category(
        session, [a.application_id for a in results.awards])
    charts = {
        "direction": bar_chart(results.by_direction()),
        "category": bar_chart((str(BUDGET_CATEGORY_LABELS[c]), v) for c, v in categories),
        "cofinancing": bar_chart([
            (_("Municipal grants"), results.approved_total),
            (_("Libraries' own funds"), results.own_total),
            (_("Partners' funds"), results.partner_total),
        ]),
        "requested": bar_chart([(_("Requested"), results.requested_total),
                                (_("Funded"), results.approved_total)]),
    }
    return render_template("public/call_results.html", results=results, call=call,
                           charts=charts, status_labels=APPLICATION_STATUS_LABELS)


@bp.get("/projects/<int:application_id>")
def project(application_id: int):
    project = public_service.public_project(session, application_id)
    if project is None:
        abort(404)
    budget = project.budget
    charts = {
        "category": bar_chart((str(BUDGET_CATEGORY_LABELS[c]), s.total)
                              for c, s in budget.by_category.items()),
        "cofinancing": bar_chart([
            (_("Requested from the municipality"), budget.overall.requested),
            (_("Library's own funds"), budget.overall.own),
            (_("Partners' funds"), budget.overall.partner),
        ]),
    }
    return render_template("public/project.html", project=project, award=project.award,
                           charts=charts, category_labels=BUDGET_CATEGORY_LABELS,
                           status_labels=APPLICATION_STATUS_LABELS)


@bp.get("/open-data")
def open_data():
    example = json.dumps({"awards": [{
        "registration_number": "2026-01-0001", "call_id": 1,
        "call_title": "Библиотека — центр местного сообщества", "year": 2026,
        "library_name": "Центральная библиотека", "library_inn": "5001000001",
        "municipality": "Тестовский район", "title": "Читающий двор",
        "direction": "Продвижение чтения", "approved_amount": "225000.00",
        "own_amount": "50000.00", "partner_amount": "25000.00", "score": "52.50",
        "status": "reporting",
        "indicators": [{"name": "Участники", "unit": "чел.", "target": "300.00",
                        "achieved": "280.00"}],
    }]}, ensure_ascii=False, indent=2)
    return render_template("public/open_data.html", fields=AWARD_FIELDS, example=example)


def _atom_time(moment: datetime) -> str:
    return moment.replace(tzinfo=moment.tzinfo or UTC).isoformat()


@bp.get("/feed.atom")
def feed():
    """New calls (when published) and published results (when the decisions became final)."""
    entries = []
    for call in public_service.published_calls(session):
        if call.published_at:
            entries.append({
                "id": f"call-{call.id}", "updated": call.published_at,
                "title": _("New call %(code)s: %(title)s", code=call.code, title=call.title),
                "link": url_for("calls.call_view", call_id=call.id, _external=True),
            })
        if public_service.is_results_public(call):
            entries.append({
                "id": f"results-{call.id}", "updated": call.decisions_finalised_at,
                "title": _("Results of call %(code)s: %(title)s", code=call.code,
                           title=call.title),
                "link": url_for("public.call_results", call_id=call.id, _external=True),
            })
    entries.sort(key=lambda e: e["updated"], reverse=True)
    updated = entries[0]["updated"] if entries else utcnow()
    body = render_template("public/feed_atom.xml", entries=entries, updated=updated,
                           atom_time=_atom_time, host=request.host)
    return Response(body, mimetype="application/atom+xml")


# --- open data ---------------------------------------------------------------------------


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _award_dict(award: public_service.PublicAward) -> dict[str, Any]:
    return {
        "registration_number": award.registration_number, "call_id": award.call_id,
        "call_title": award.call_title, "year": award.year,
        "library_name": award.library_name, "library_inn": award.library_inn,
        "municipality": award.municipality, "title": award.title,
        "direction": award.direction, "approved_amount": _amount(award.approved_amount),
        "own_amount": _amount(award.own_amount), "partner_amount": _amount(award.partner_amount),
        "score": _amount(award.score), "status": str(award.status),
        "indicators": [{"name": i.name, "unit": i.unit, "target": _amount(i.target),
                        "achieved": _amount(i.achieved)} for i in award.indicators],
    }


class _BadQuery(Exception):
    pass


def _api_filters() -> dict[str, int | None]:
    filters: dict[str, int | None] = {}
    for name, key in (("call", "call_id"), ("year", "year")):
        raw = request.args.get(name)
        if raw is None or raw == "":
            filters[key] = None
        elif raw.isdigit() and len(raw) < 10:
            filters[key] = int(raw)
        else:
            raise _BadQuery(name)
    return filters


def _cached(body: bytes, mimetype: str) -> Response:
    """The answer with an ETag (a hash of the body) and Last-Modified (the latest change to
    public figures); a repeat fetch that still holds them gets 304 Not Modified."""
    response = Response(body, mimetype=mimetype)
    response.set_etag(hashlib.sha256(body).hexdigest())
    moment = public_service.last_modified(session)
    if moment is not None:
        response.last_modified = moment.replace(tzinfo=moment.tzinfo or UTC)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


def _bad_request(name: str) -> Response:
    response = jsonify(error=f"invalid value of '{name}': expected a whole number")
    response.status_code = 400
    return response


@api.get("/awards.json")
def awards_json():
    try:
        filters = _api_filters()
    except _BadQuery as error:
        return _bad_request(str(error))
    items = [_award_dict(a) for a in public_service.awards(session, **filters)]
    body = json.dumps({"awards": items}, ensure_ascii=False, indent=1).encode("utf-8")
    return _cached(body, "application/json")


@api.get("/awards.csv")
def awards_csv():
    try:
        filters = _api_filters()
    except _BadQuery as error:
        return _bad_request(str(error))
    rows = []
    for award in public_service.awards(session, **filters):
        data = _award_dict(award)
        row: list[Any] = [data[f] for f in AWARD_FIELDS[:-1]]
        # Amounts as numbers (Decimal), not the JSON's strings.
        for n, name in enumerate(AWARD_FIELDS[:-1]):
            if name in ("approved_amount", "own_amount", "partner_amount", "score"):
                row[n] = getattr(award, name)
        row.append(json.dumps(data["indicators"], ensure_ascii=False))
        rows.append(row)
    body = csv_bytes(Table(title="awards", headings=AWARD_FIELDS, rows=rows), open_data=True)
    response = _cached(body, CSV_MIMETYPE)
    response.headers.set("Content-Disposition", "inline", filename="awards.csv")
    return response

