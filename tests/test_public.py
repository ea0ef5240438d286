"""The public register: what it shows, what it never shows, the charts' figures, the 404s
for anything not funded-and-final, the feed, and that no sign-in is needed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest

from portal.db import utcnow
from portal.models import (
    ApplicationStatus,
    Decision,
    DecisionOutcome,
    ReportIndicator,
    ReportStatus,
    Role,
)
from portal.money import summarise_budget
from tests.conftest import recorded_statements

S = ApplicationStatus
SECRET_COMMENT = "ТАЙНЫЙ КОММЕНТАРИЙ ЭКСПЕРТА"
REVIEWER_NAME = "Эксперт Секретный Рецензентович"
REVIEWER_EMAIL = "hidden-reviewer@experts.example"
HEAD_NAME = "Пётр Закрытый Директоров"
ORG_EMAIL = "private-library@library.example"
ORG_PHONE = "+7 900 123-45-67"
DRAFT_TITLE = "ЧЕРНОВИК НЕ ДЛЯ ПУБЛИКИ"
REFUSAL_REASON = "ПРИЧИНА ОТКАЗА НЕ ДЛЯ ПУБЛИКИ"
REPORT_COMMENT = "КОММЕНТАРИЙ К ОТЧЁТУ ЗАКРЫТ"
APPLICANT_NAME = "Заявитель Скрытый Пользователев"
# What a report not yet accepted claims to have achieved, and every way a page could print
# it: a figure long enough not to turn up by chance (in a timestamp's microseconds, say).
PENDING_ACHIEVED = "987654"
PENDING_ACHIEVED_SHOWN = ("987654", "987,654", "987\u00a0654", "987 654")


@dataclass
class Register:
    call: Any
    other_call: Any  # published, funded by decision, but not final
    funded: Any  # with an accepted report
    funded2: Any
    not_funded: Any
    draft: Any
    not_final: Any
    orgs: list[Any]
    secrets: list[str]


@pytest.fixture
def register(db, create_call, create_application, create_agreement, create_review,
             create_user, create_organisation, close_call) -> Register:
    call = create_call(title="Библиотека — центр сообщества")
    org1 = create_organisation(head_name=HEAD_NAME, email=ORG_EMAIL, phone=ORG_PHONE,
                               municipality="Тестовский район")
    org2 = create_organisation(municipality="Заречный округ")
    org3 = create_organisation()
    author = create_user(Role.APPLICANT, organisation=org1, full_name=APPLICANT_NAME)
    reviewers = [create_user(Role.REVIEWER, full_name=REVIEWER_NAME, email=REVIEWER_EMAIL),
                 create_user(Role.REVIEWER, full_name="Второй Эксперт Скрытый")]

    funded = create_application(call=call, organisation=org1, author=author, status=S.SUBMITTED,
                                title="Читающий двор")
    funded2 = create_application(call=call, organisation=org2, status=S.SUBMITTED,
                                 title="Цифровой краевед", direction=call.directions[1])
    not_funded = create_application(call=call, organisation=org3, status=S.NOT_FUNDED,
                                    title="Непрошедший проект")
    draft = create_application(call=call, organisation=org1, author=author, title=DRAFT_TITLE)
    for app, scores in ((funded, 9), (funded2, 8), (not_funded, 4)):
        for reviewer in reviewers:
            create_review(app, [scores] * len(call.criteria), reviewer=reviewer,
                          comment=SECRET_COMMENT)
    agreement = create_agreement(application=funded, amount=Decimal("200000.00"), signed=True)
    create_agreement(application=funded2, signed=False)
    db.add(Decision(application_id=not_funded.id, call_id=call.id,
                    outcome=DecisionOutcome.NOT_FUNDED, reason=REFUSAL_REASON))
    accepted, pending = agreement.reports[0], agreement.reports[1]
    accepted.status = ReportStatus.ACCEPTED
    accepted.submitted_at = accepted.accepted_at = utcnow()
    accepted.narrative = "Проведено 15 встреч."
    db.add(ReportIndicator(report_id=accepted.id, indicator_id=funded.indicators[0].id,
                           achieved=Decimal("250"), comment=REPORT_COMMENT))
    pending.status = ReportStatus.SUBMITTED
    pending.submitted_at = utcnow()
    db.add(ReportIndicator(report_id=pending.id, indicator_id=funded.indicators[0].id,
                           achieved=Decimal(PENDING_ACHIEVED), comment=REPORT_COMMENT))
    close_call(call)
    call.decisions_finalised_at = utcnow()

    other_call = create_call(title="Конкурс <Б & В> без итогов")
    not_final = create_application(call=other_call, status=S.SUBMITTED, title="Ещё не итог")
    create_agreement(application=not_final)
    db.flush()
    orgs = [org1, org2, org3]
    secrets = [SECRET_COMMENT, REVIEWER_NAME, REVIEWER_EMAIL, "Второй Эксперт Скрытый",
               HEAD_NAME, ORG_EMAIL, ORG_PHONE, DRAFT_TITLE, REFUSAL_REASON, REPORT_COMMENT,
               APPLICANT_NAME, author.email, "Ещё не итог", *PENDING_ACHIEVED_SHOWN]
    for org in orgs:
        secrets += [org.settlement_account, org.correspondent_account, org.bik]
    return Register(call, other_call, funded, funded2, not_funded, draft, not_final, orgs,
                    secrets)


def public_urls(r: Register) -> list[str]:
    return [
        "/", "/public/", f"/public/?q={r.funded.title}", "/public/?year=2026",
        f"/public/calls/{r.call.id}", f"/public/projects/{r.funded.id}",
        f"/public/projects/{r.funded2.id}", "/public/open-data", "/public/feed.atom",
        "/api/v1/awards.json", "/api/v1/awards.csv", f"/api/v1/awards.json?call={r.call.id}",
    ]


def assert_no_secret(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} appears in {where}"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_no_private_field_appears_anywhere_and_no_sign_in_is_needed(
        client, ru_client, register, language):
    browser = client if language == "en" else ru_client
    for url in public_urls(register):
        response = browser.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert_no_secret(text, register.secrets, url)


def test_the_register_lists_calls_results_and_projects(client, register):
    text = client.get("/public/").get_data(as_text=True)
    assert f"/calls/{register.other_call.id}" in text  # open call links to its rules
    assert f"/public/calls/{register.call.id}" in text
    assert "Читающий двор" in text and "Цифровой краевед" in text
    assert "Непрошедший проект" not in text


def test_filters_and_search(client, register):
    def titles(query: str) -> set[str]:
        text = client.get("/public/" + query).get_data(as_text=True)
        return {t for t in ("Читающий двор", "Цифровой краевед") if t in text}

    assert titles("?municipality=Заречный округ") == {"Цифровой краевед"}
    assert titles(f"?direction={register.call.directions[0]}") == {"Читающий двор"}
    assert titles("?q=краевед") == {"Цифровой краевед"}
    assert titles(f"?q={register.orgs[0].short_name}") == {"Читающий двор"}
    assert titles(f"?year={register.call.year + 5}") == set()
    assert titles(f"?year={register.call.year}") == {"Читающий двор", "Цифровой краевед"}


def test_call_results_show_the_decisions_and_the_not_funded_list(client, db, register):
    text = client.get(f"/public/calls/{register.call.id}").get_data(as_text=True)
    assert "200 000,00" in text or "200,000.00" in text
    assert register.not_funded.registration_number in text
    register.call.results_public = False
    db.flush()
    text = client.get(f"/public/calls/{register.call.id}").get_data(as_text=True)
    assert register.not_funded.registration_number not in text
    assert register.funded.registration_number in text


@pytest.mark.parametrize("which", ["other_call"])
def test_results_before_final_are_404(client, register, which):
    assert client.get(f"/public/calls/{getattr(register, which).id}").status_code == 404
    assert client.get("/public/calls/999999").status_code == 404


@pytest.mark.parametrize("which", ["not_funded", "draft", "not_final"])
def test_project_pages_of_anything_not_funded_and_final_are_404(client, register, which):
    assert client.get(f"/public/projects/{getattr(register, which).id}").status_code == 404


def test_project_page_shows_money_indicators_and_accepted_progress_only(client, register):
    text = client.get(f"/public/projects/{register.funded.id}").get_data(as_text=True)
    summary = summarise_budget(register.funded.budget_lines)
    assert "225,000.00" in text.replace("\u00a0", ",").replace(" ", ",") or \
        str(summary.overall.requested) in text
    assert "250" in text and not any(shown in text for shown in PENDING_ACHIEVED_SHOWN)
    assert "Школа № 1" in text  # the partner


_FIGURE = re.compile(r'<figure class="public-chart[^"]*" id="(chart-[^"]+)">(.*?)</figure>', re.S)


def chart_figures(html: str) -> dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]],
                                               list[int]]]:
    """Per chart: (label, value) of the SVG's bars, of the table's rows, and bar widths."""
    result = {}
    for key, body in _FIGURE.findall(html):
        svg, table = body.split("</svg>", 1)
        bars = re.findall(r'<g class="bar" data-label="([^"]*)" data-value="([^"]*)"', svg)
        rows = re.findall(r'<tr data-label="([^"]*)" data-value="([^"]*)"', table)
        widths = [int(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="(\d+)"', svg)]
        assert 'role="img"' in svg and f'aria-labelledby="{key}-title"' in svg
        assert f'<title id="{key}-title">' in svg
        result[key] = (bars, rows, widths)
    return result


def test_the_charts_numbers_equal_the_tables_beside_them(client, register):
    from portal.charts import LABEL_WIDTH, WIDTH

    for url in (f"/public/calls/{register.call.id}", f"/public/projects/{register.funded.id}",
                "/public/"):
        html = client.get(url).get_data(as_text=True)
        assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]
        figures = chart_figures(html)
        assert figures, url
        for key, (bars, rows, widths) in figures.items():
            assert bars == rows, (url, key)
            values = [Decimal(v) for _, v in bars]
            if values and max(values) > 0:
                largest = max(values)
                for value, width in zip(values, widths, strict=True):
                    assert abs(Decimal(width) - value * (WIDTH - LABEL_WIDTH) / largest) <= 1


def test_call_charts_add_up_to_the_decisions(client, register):
    html = client.get(f"/public/calls/{register.call.id}").get_data(as_text=True)
    figures = chart_figures(html)
    direction = sum(Decimal(v) for _, v in figures["chart-direction"][0])
    assert direction == Decimal("200000.00") + summarise_budget(
        register.funded2.budget_lines).requested
    requested = dict(figures["chart-requested"][0])
    assert Decimal(requested["Funded"]) == direction


def test_bar_chart_geometry():
    from portal.charts import LABEL_WIDTH, WIDTH, bar_chart

    chart = bar_chart([("a", Decimal("100")), ("b", Decimal("50")), ("c", Decimal("0.01")),
                       ("d", Decimal("0"))])
    assert [b.width for b in chart.bars] == [WIDTH - LABEL_WIDTH, (WIDTH - LABEL_WIDTH) // 2,
                                             1, 0]
    assert chart.total == Decimal("150.01")
    assert bar_chart([]).bars == []


def test_the_feed_is_valid_atom_with_calls_and_results(client, register):
    response = client.get("/public/feed.atom")
    assert response.mimetype == "application/atom+xml"
    root = ElementTree.fromstring(response.data)  # noqa: S314 (the portal's own answer)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert any("Конкурс <Б & В> без итогов" in t for t in titles)  # escaped, parsed back
    results = [e for e in root.findall("a:entry", ns)
               if e.find("a:link", ns).get("href").endswith(f"/public/calls/{register.call.id}")]
    assert len(results) == 1
    assert not any(e.find("a:link", ns).get("href").endswith(
        f"/public/calls/{register.other_call.id}") for e in root.findall("a:entry", ns))
    for entry in root.findall("a:entry", ns):
        assert entry.findtext("a:id", namespaces=ns) and entry.findtext("a:updated",
                                                                         namespaces=ns)


def test_the_footer_and_front_page_link_to_the_register(client, register):
    text = client.get("/").get_data(as_text=True)
    assert 'href="/public/"' in text and 'href="/public/open-data"' in text


def test_awards_cost_a_constant_number_of_statements(app, db, register, create_application,
                                                     create_agreement, create_review):
    from portal.services import public as public_service

    with recorded_statements(db.get_bind()) as statements:
        public_service.awards(db)
        before = len(statements)
        statements.clear()
        register.call.closes_at = utcnow().replace(year=utcnow().year + 1)
        for _ in range(3):
            extra = create_application(call=register.call, status=S.SUBMITTED)
            create_review(extra)
            create_agreement(application=extra, signed=True)
        register.call.closes_at = utcnow()
        db.flush()
        statements.clear()
        result = public_service.awards(db)
        assert len(result) == 5
        assert len(statements) == before


def finished_call(create_call: Any, create_application: Any, create_review: Any,
                  create_agreement: Any) -> Any:
    """Another call with its decisions final and one funded project."""
    call = create_call()
    app = create_application(call=call, status=S.SUBMITTED)
    create_review(app)
    create_agreement(application=app, signed=True)
    call.closes_at = call.decisions_finalised_at = utcnow()
    return call


def test_the_register_costs_the_same_statements_whatever_the_number_of_finished_calls(
    client, db, register, create_call, create_application, create_review, create_agreement
):
    urls = ("/public/", "/api/v1/awards.json", "/api/v1/awards.csv")

    def costs() -> dict[str, int]:
        db.flush()
        counted = {}
        for url in urls:
            with recorded_statements(db.get_bind()) as statements:
                assert client.get(url).status_code == 200
            counted[url] = len(statements)
        return counted

    before = costs()
    for _n in range(3):
        finished_call(create_call, create_application, create_review, create_agreement)
    after = costs()
    assert len(client.get("/api/v1/awards.json").get_json()["awards"]) == 5
    assert after == before
