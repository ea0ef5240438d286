"""The open data: /api/v1/awards.json and .csv equal the committee's decisions and the
accepted reports, never carry a private field, filter by call and year, and answer repeat
fetches with 304."""
# The `register` fixture is shared with tests/test_public.py by importing it.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select
from werkzeug.http import http_date

from portal.models import Decision, Report
from portal.money import summarise_budget
from portal.services.ranking import rank_applications
from tests.test_public import Register, assert_no_secret, register  # noqa: F401

FIELDS = ["registration_number", "call_id", "call_title", "year", "library_name",
          "library_inn", "municipality", "title", "direction", "approved_amount", "own_amount",
          "partner_amount", "score", "status", "indicators"]


def fetch_json(client, query: str = "") -> list[dict]:
    response = client.get("/api/v1/awards.json" + query)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return json.loads(response.data.decode("utf-8"))["awards"]


def fetch_csv(client, query: str = "") -> list[dict]:
    response = client.get("/api/v1/awards.csv" + query)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert not response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == FIELDS
    return list(reader)


def test_only_funded_projects_of_final_calls_with_stable_fields(client, register: Register):
    items = fetch_json(client)
    assert [i["registration_number"] for i in items] == [
        register.funded.registration_number, register.funded2.registration_number]
    for item in items:
        assert list(item) == FIELDS
        assert set(item["indicators"][0]) == {"name", "unit", "target", "achieved"}
    assert [r["registration_number"] for r in fetch_csv(client)] == [
        i["registration_number"] for i in items]


def test_figures_equal_the_decisions_and_the_accepted_reports(client, db, register: Register):
    ranking = rank_applications(db, register.call)
    items = {i["registration_number"]: i for i in fetch_json(client)}
    rows = {r["registration_number"]: r for r in fetch_csv(client)}
    for app in (register.funded, register.funded2):
        decision = db.scalar(select(Decision).where(Decision.application_id == app.id))
        budget = summarise_budget(app.budget_lines)
        row = ranking.row(app.id)
        item, line = items[app.registration_number], rows[app.registration_number]
        assert item["approved_amount"] == f"{decision.approved_amount:.2f}"
        assert Decimal(line["approved_amount"]) == decision.approved_amount
        assert item["own_amount"] == f"{budget.overall.own:.2f}"
        assert Decimal(line["own_amount"]) == budget.overall.own
        assert item["partner_amount"] == f"{budget.overall.partner:.2f}"
        assert Decimal(line["partner_amount"]) == budget.overall.partner
        assert item["score"] == f"{row.score:.2f}" and Decimal(line["score"]) == row.score
        assert item["library_inn"] == app.organisation.inn == line["library_inn"]
        assert item["status"] == str(app.status) == line["status"]
        assert json.loads(line["indicators"]) == item["indicators"]
    funded = items[register.funded.registration_number]
    assert funded["approved_amount"] == "200000.00"
    # The accepted report's value; the submitted (not accepted) report's 999 never counts.
    assert funded["indicators"] == [{"name": "Участники", "unit": "чел.", "target": "300.00",
                                     "achieved": "250.00"}]
    assert items[register.funded2.registration_number]["indicators"][0]["achieved"] is None


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_no_private_field_in_either_format(client, register: Register, fmt):
    text = client.get(f"/api/v1/awards.{fmt}").get_data(as_text=True)
    assert_no_secret(text, register.secrets, fmt)
    for forbidden in ("email", "head_name", "bik", "account", "comment", "reviewer"):
        assert forbidden not in text


def test_filters_by_call_and_year(client, register: Register):
    year = register.call.year
    assert len(fetch_json(client, f"?call={register.call.id}")) == 2
    assert fetch_json(client, f"?call={register.other_call.id}") == []  # not final
    assert len(fetch_json(client, f"?year={year}")) == 2
    assert fetch_json(client, f"?year={year + 3}") == []
    assert len(fetch_csv(client, f"?call={register.call.id}&year={year}")) == 2
    assert fetch_csv(client, f"?year={year - 3}") == []


@pytest.mark.parametrize("query", ["?year=abc", "?call=-1", "?call=1.5", "?year=20261234567"])
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_invalid_filters_are_400_with_a_json_error(client, register: Register, query, fmt):
    response = client.get(f"/api/v1/awards.{fmt}{query}")
    assert response.status_code == 400
    assert "error" in response.get_json()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_etag_last_modified_and_304(client, db, register: Register, fmt):
    url = f"/api/v1/awards.{fmt}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag and first.headers["Last-Modified"]
    report_time = max(r.accepted_at for r in db.scalars(select(Report)) if r.accepted_at)
    latest = max(register.call.decisions_finalised_at, report_time)
    assert parsedate_to_datetime(first.headers["Last-Modified"]).replace(tzinfo=None) == \
        latest.replace(microsecond=0, tzinfo=None)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    older = http_date(latest - timedelta(days=1))
    assert client.get(url, headers={"If-Modified-Since": older}).status_code == 200
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # A different body (a filter) has a different ETag.
    filtered = client.get(f"{url}?year={register.call.year + 3}")
    assert filtered.headers["ETag"] != etag


def test_the_body_changes_its_etag_when_a_figure_changes(client, db, register: Register):
    etag = client.get("/api/v1/awards.json").headers["ETag"]
    decision = db.scalar(select(Decision).where(Decision.application_id == register.funded.id))
    decision.approved_amount = Decimal("190000.00")
    db.flush()
    response = client.get("/api/v1/awards.json", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert json.loads(response.data)["awards"][0]["approved_amount"] == "190000.00"


def test_the_documentation_page_lists_every_field(client, register: Register):
    text = client.get("/public/open-data").get_data(as_text=True)
    for name in FIELDS:
        assert f"<code>{name}</code>" in text


def test_anonymous_access_and_utf8(client, register: Register):
    response = client.get("/api/v1/awards.json")
    assert response.status_code == 200
    assert "Читающий двор" in response.data.decode("utf-8")
