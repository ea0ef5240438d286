"""The ranking page cut into pages: one page of rows and of the chair's forms, the funding
line, the totals and the proposal over all the rows, the pager keeping the simulator's
figures, and a decision (recorded or refused) landing on the page of its row. And ranking
several calls at once: each exactly as ranked alone, in a constant number of statements."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.models import (
    ApplicationStatus,
    Call,
    Criterion,
    Role,
    ScoreAggregation,
    TieBreak,
)
from portal.services.ranking import rank_applications, rank_calls
from portal.views import committee as committee_views
from tests.conftest import count_statements

D = Decimal
REVIEWED = ApplicationStatus.REVIEWED
SCORES = (90, 80, 70, 60, 50)


@pytest.fixture
def two_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(committee_views, "PER_PAGE", 2)


@pytest.fixture
def five_ranked(db: Session, create_call: Callable[..., Call], create_application: Any,
                create_review: Any, create_user: Any, close_call: Any) -> tuple[Call, list[Any]]:
    """Five reviewed applications asking 225 000 each, scored 90 down to 50 on one 0-100
    criterion; the fund of 500 000 covers the first two. In ranking order."""
    call = create_call()
    call.criteria = [Criterion(position=1, name="Критерий", scale_max=100, weight=D(1))]
    call.fund_amount = D("500000.00")
    db.flush()
    reviewers = [create_user(Role.REVIEWER) for _n in range(2)]
    apps = [create_application(call=call, status=REVIEWED) for _n in SCORES]
    for app, score in zip(apps, SCORES, strict=True):
        for reviewer in reviewers:
            create_review(app, [score], reviewer=reviewer)
    close_call(call)
    return call, apps


def rows_shown(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="app-(\d+)"', html)]


def test_a_page_shows_its_rows_and_their_forms_and_the_figures_of_all(
    client, login_as, create_user, five_ranked, two_a_page
):
    call, apps = five_ranked
    login_as(create_user(Role.CHAIR))
    response = client.get(f"/committee/calls/{call.id}/ranking?page=2")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert rows_shown(html) == [apps[2].id, apps[3].id]
    assert sorted(int(n) for n in re.findall(r'<form [^>]*id="decision-(\d+)"', html)) == \
        sorted([apps[2].id, apps[3].id])
    # the proposal, the totals and the running total still count every row
    assert "Projects funded: 2, for 450,000.00" in html
    assert "1,125,000.00" in html  # requested by all five
    assert "675,000.00" in html  # the running total at the third
    # the line itself is drawn on the first page, and this one says so
    assert 'id="funding-line"' not in html
    assert f'href="/committee/calls/{call.id}/ranking#funding-line"' in html
    assert "The funding line is on page 1." in html
    assert "Page 2 of 3" in html
    assert f"/committee/calls/{call.id}/ranking?page=1" in html
    assert f"/committee/calls/{call.id}/ranking?page=3" in html

    first = client.get(f"/committee/calls/{call.id}/ranking").get_data(as_text=True)
    assert rows_shown(first) == [apps[0].id, apps[1].id]
    assert first.index(f'id="app-{apps[1].id}"') < first.index('id="funding-line"')
    assert 'id="funding-line-page"' not in first
    last = client.get(f"/committee/calls/{call.id}/ranking?page=99").get_data(as_text=True)
    assert rows_shown(last) == [apps[4].id] and "Page 3 of 3" in last


def test_the_pager_keeps_the_simulators_figures(
    client, login_as, create_user, five_ranked, two_a_page
):
    call, apps = five_ranked
    login_as(create_user(Role.CHAIR))
    html = client.get(f"/committee/calls/{call.id}/ranking",
                      query_string={"passing_score": "75", "reduction_percent": "10",
                                    "page": "2"}).get_data(as_text=True)
    assert 'id="simulation-result"' in html
    links = re.findall(r'href="(/committee/calls/\d+/ranking\?[^"]*)"', html)
    assert links and all("passing_score=75" in link and "reduction_percent=10" in link
                         for link in links)
    assert rows_shown(html) == [apps[2].id, apps[3].id]


def post_decision(client: Any, call: Call, app: Any, **fields: str) -> Any:
    return client.post(
        f"/committee/calls/{call.id}/applications/{app.id}/decision",
        data={f"decision{app.id}-{name}": value for name, value in fields.items()},
    )


def test_a_decision_lands_on_the_page_of_its_row(
    client, login_as, create_user, five_ranked, two_a_page
):
    call, apps = five_ranked
    login_as(create_user(Role.CHAIR))
    response = post_decision(client, call, apps[3], outcome="not_funded", reason="Низкий балл")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/committee/calls/{call.id}/ranking?page=2#app-{apps[3].id}")
    response = post_decision(client, call, apps[4], outcome="reserve")
    assert response.headers["Location"].endswith(
        f"/committee/calls/{call.id}/ranking?page=3#app-{apps[4].id}")
    response = post_decision(client, call, apps[0], outcome="funded", approved_amount="225000")
    assert response.headers["Location"].endswith(
        f"/committee/calls/{call.id}/ranking#app-{apps[0].id}")


def test_a_refused_decision_is_shown_on_the_page_of_its_row(
    client, login_as, create_user, five_ranked, two_a_page
):
    call, apps = five_ranked
    login_as(create_user(Role.CHAIR))
    response = post_decision(client, call, apps[4], outcome="not_funded", reason="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert rows_shown(html) == [apps[4].id]
    assert f'id="decision-{apps[4].id}"' in html
    assert f'href="#decision{apps[4].id}-reason"' in html


# --- several calls at once ----------------------------------------------------------------------


def ranked_as(ranking: Any) -> list[tuple[Any, ...]]:
    return [(r.application_id, r.rank, r.score, r.normalised_score, r.is_disagreement,
             r.cumulative_requested, r.requested_amount, r.cofinancing_percent)
            for r in ranking.rows]


@pytest.fixture
def three_calls(db: Session, create_call: Callable[..., Call], create_application: Any,
                create_review: Any, create_user: Any) -> list[Call]:
    """Three calls with the other rules (mean and median; each tie-break), the same
    reviewers in all of them, equal scores to break and one application without a review."""
    reviewers = [create_user(Role.REVIEWER) for _n in range(3)]
    rules = ((ScoreAggregation.MEAN, TieBreak.COFINANCING),
             (ScoreAggregation.MEDIAN, TieBreak.SMALLER_REQUEST),
             (ScoreAggregation.MEDIAN, TieBreak.EARLIER_SUBMISSION))
    calls = []
    for number, (aggregation, tie_break) in enumerate(rules, start=1):
        call = create_call()
        call.score_aggregation, call.tie_break = aggregation, tie_break
        call.criteria = [Criterion(position=1, name="Критерий", scale_max=100, weight=D(1))]
        db.flush()
        for n in range(6):
            requested = 100000 + 10000 * ((n * number) % 4)
            own = 35000 + 5000 * (n % 3)
            app = create_application(call=call, status=REVIEWED, budget=[(
                "equipment", "1", f"{requested + own}.00", f"{requested}.00", f"{own}.00",
                "0.00")])
            if n == 5:
                continue
            for k, reviewer in enumerate(reviewers[: 2 + (n + number) % 2]):
                create_review(app, [(40 + 10 * ((n * 3 + k * number) % 5))],
                              reviewer=reviewer)
        calls.append(call)
    db.flush()
    return calls


def test_calls_ranked_together_are_each_ranked_as_alone(db, three_calls):
    alone = {call.id: ranked_as(rank_applications(db, call)) for call in three_calls}
    together = rank_calls(db, three_calls)
    assert list(together) == [call.id for call in three_calls]
    for call in three_calls:
        assert ranked_as(together[call.id]) == alone[call.id]
        assert together[call.id].maximum == rank_applications(db, call).maximum
        assert together[call.id].reviewers == rank_applications(db, call).reviewers
    for call in three_calls:  # each call has scores to break ties between, and an unscored
        scores = [r.score for r in together[call.id].rows]
        assert scores[-1] is None and len(set(scores[:-1])) < len(scores) - 1


def test_ranking_calls_together_takes_three_statements_whatever_their_number(db, three_calls):
    assert count_statements(db, lambda: rank_calls(db, three_calls[:1])) == 3
    assert count_statements(db, lambda: rank_calls(db, three_calls)) == 3
    assert count_statements(db, lambda: rank_calls(db, [])) == 0


def test_the_page_shows_a_kept_ranking_and_a_decision_at_once(
    app, db, client, login_as, create_user, five_ranked
):
    """The second view reads the ranking kept by the first (three statements fewer, the same
    table); a decision recorded through the page is on the next view all the same."""
    call, apps = five_ranked
    login_as(create_user(Role.CHAIR))
    url = f"/committee/calls/{call.id}/ranking"
    pages: list[Any] = []
    first_count = count_statements(db, lambda: pages.append(client.get(url)))
    again_count = count_statements(db, lambda: pages.append(client.get(url)))
    first, again = (page.get_data(as_text=True) for page in pages[-2:])
    assert first_count - again_count == 3
    assert rows_shown(again) == rows_shown(first)
    assert re.sub(r'name="csrf_token"[^>]*>', "", again) == \
        re.sub(r'name="csrf_token"[^>]*>', "", first)

    response = post_decision(client, call, apps[2], outcome="not_funded", reason="Мало баллов")
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    row = html[html.index(f'<tr id="app-{apps[2].id}"'):]
    row = row[:row.index("</tr>")]
    assert "<strong>not funded</strong>" in row and "Мало баллов" in row

