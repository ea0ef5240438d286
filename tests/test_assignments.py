"""Reviewers and assignments: the plan never breaks a conflict of interest or the limit,
fills every place that can be filled and stays balanced (a property over many random pools);
automatic assignment in the database with its audit and e-mails; the chair's changes by hand
and their refusals; reminders before the deadline, sent once; the call's reviewers; the
pages and who may open them."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

import pytest
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.models import (
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    AuditEvent,
    CallReviewer,
    OutboxMessage,
    Review,
    Role,
)
from portal.services.assignments import (
    add_assignment,
    auto_assign,
    conflict_reason,
    plan_assignments,
    remove_assignment,
    send_review_reminders,
    set_call_reviewers,
    swap_assignment,
)

S = ApplicationStatus


# --- the plan as a property over random pools ----------------------------------------------------


def max_assignable(apps, reviewers, existing, per_app, limit, conflicts):
    """The most new assignments any plan could make: a maximum flow (Edmonds-Karp) in
    source -> application (its missing places) -> reviewer (allowed pairs) -> sink (its
    room under the limit). Independent of plan_assignments, to compare with it."""
    existing = set(existing)
    load = {r: sum(1 for _a, x in existing if x == r) for r in reviewers}
    have = {a: sum(1 for x, _r in existing if x == a) for a in apps}
    cap: dict[tuple, int] = {}

    def arc(u, v, c):
        cap[(u, v)] = cap.get((u, v), 0) + c
        cap.setdefault((v, u), 0)

    for a in apps:
        arc("s", ("a", a), max(0, per_app - have[a]))
        for r in reviewers:
            if (a, r) not in conflicts and (a, r) not in existing:
                arc(("a", a), ("r", r), 1)
    for r in reviewers:
        arc(("r", r), "t", len(apps) if limit is None else max(0, limit - load[r]))
    neighbours: dict = {}
    for u, v in cap:
        neighbours.setdefault(u, []).append(v)
    flow = 0
    while True:
        parent = {"s": None}
        queue = deque(["s"])
        while queue and "t" not in parent:
            u = queue.popleft()
            for v in neighbours.get(u, []):
                if v not in parent and cap[(u, v)] > 0:
                    parent[v] = u
                    queue.append(v)
        if "t" not in parent:
            return flow
        v = "t"
        while parent[v] is not None:
            u = parent[v]
            cap[(u, v)] -= 1
            cap[(v, u)] += 1
            v = u
        flow += 1


@st.composite
def pools(draw, with_conflicts=True, with_existing=True):
    """A random call: libraries (some sharing an INN, as branches do), applications from
    them, reviewers (some working at a library), declared conflicts, assignments already
    made, the number of reviewers per application and an optional limit."""
    n_inns = draw(st.integers(1, 4))
    n_orgs = draw(st.integers(1, 6))
    org_inn = [draw(st.integers(0, n_inns - 1)) for _ in range(n_orgs)]
    apps = list(range(1, draw(st.integers(0, 14)) + 1))
    app_org = {a: draw(st.integers(0, n_orgs - 1)) for a in apps}
    reviewers = list(range(101, 101 + draw(st.integers(0, 8))))
    conflicts: set[tuple[int, int]] = set()
    if with_conflicts:
        for r in reviewers:
            org = draw(st.one_of(st.none(), st.integers(0, n_orgs - 1)))
            for a in apps:
                if org is not None and (org == app_org[a] or org_inn[org] == org_inn[app_org[a]]):
                    conflicts.add((a, r))
        pairs = [(a, r) for a in apps for r in reviewers]
        if pairs:
            conflicts |= set(draw(st.lists(st.sampled_from(pairs), max_size=5)))
    per_app = draw(st.integers(1, 3))
    limit = draw(st.one_of(st.none(), st.integers(1, 6)))
    existing: set[tuple[int, int]] = set()
    if with_existing:
        allowed = [(a, r) for a in apps for r in reviewers if (a, r) not in conflicts]
        if allowed:
            existing = set(draw(st.lists(st.sampled_from(allowed), max_size=6)))
    return apps, reviewers, existing, per_app, limit, conflicts


def loads_after(reviewers, existing, plan):
    return {r: sum(1 for _a, x in set(existing) | set(plan) if x == r) for r in reviewers}


def check_plan(apps, reviewers, existing, per_app, limit, conflicts, plan):
    existing = set(existing)
    pairs = existing | set(plan)
    load = loads_after(reviewers, existing, plan)
    load_before = loads_after(reviewers, existing, [])
    # never a conflict, never twice the same pair, only the given applications and reviewers
    assert len(plan) == len(set(plan))
    assert not set(plan) & conflicts
    assert not set(plan) & existing
    assert all(a in apps and r in reviewers for a, r in plan)
    # never above the limit (a reviewer already above it gets nothing more)
    for r in reviewers:
        new = load[r] - load_before[r]
        if limit is not None:
            assert load[r] <= limit or new == 0
    for a in apps:
        have = sum(1 for x, _r in pairs if x == a)
        before = sum(1 for x, _r in existing if x == a)
        assert have <= max(per_app, before)
        if have < per_app:
            # short only when no reviewer could be added: each is in conflict, already on
            # it, or at the limit
            for r in reviewers:
                assert (a, r) in conflicts or (a, r) in pairs or (
                    limit is not None and load[r] >= limit)
    # as many places filled as any plan could fill
    assert len(plan) == max_assignable(apps, reviewers, existing, per_app, limit, conflicts)
    # balanced where the conflicts allow: no planned assignment could move to a reviewer with
    # two fewer assignments who may take it
    for a, r1 in plan:
        for r2 in reviewers:
            if (a, r2) in conflicts or (a, r2) in pairs:
                continue
            if limit is not None and load[r2] >= limit:
                continue
            assert load[r1] - load[r2] <= 1, (a, r1, r2, load)


@settings(max_examples=60, deadline=None)
@given(pools())
def test_plan_never_breaks_a_rule_and_fills_every_place_it_can(pool):
    apps, reviewers, existing, per_app, limit, conflicts = pool
    plan = plan_assignments(apps, reviewers, existing, per_app, limit, conflicts)
    check_plan(apps, reviewers, existing, per_app, limit, conflicts, plan)


@settings(max_examples=60, deadline=None)
@given(pools(with_conflicts=False, with_existing=False))
def test_without_conflicts_no_reviewer_has_more_than_one_above_another(pool):
    apps, reviewers, existing, per_app, limit, conflicts = pool
    plan = plan_assignments(apps, reviewers, existing, per_app, limit, conflicts)
    check_plan(apps, reviewers, existing, per_app, limit, conflicts, plan)
    load = loads_after(reviewers, existing, plan)
    if reviewers:
        assert max(load.values()) - min(load.values()) <= 1
    if limit is None and len(reviewers) >= per_app:
        assert len(plan) == len(apps) * per_app


@settings(max_examples=30, deadline=None)
@given(pools(with_conflicts=False, with_existing=False), st.integers(1, 5))
def test_a_second_run_for_new_applications_keeps_the_balance(pool, more):
    apps, reviewers, _existing, per_app, limit, conflicts = pool
    first = plan_assignments(apps, reviewers, [], per_app, limit, conflicts)
    later = list(range(1000, 1000 + more))
    second = plan_assignments(apps + later, reviewers, first, per_app, limit, conflicts)
    check_plan(apps + later, reviewers, first, per_app, limit, conflicts, second)
    load = loads_after(reviewers, first, second)
    if reviewers:
        assert max(load.values()) - min(load.values()) <= 1


def test_plan_example_by_hand():
    # Reviewer 10 may review only application 1, so 20 takes application 2 and the
    # balance holds: a greedy first come, first served plan would leave 2 without anyone.
    assert plan_assignments([1, 2], [10, 20], [], 1, 1, {(2, 10)}) == [(1, 10), (2, 20)]
    assert plan_assignments([1, 2], [20, 10], [], 1, 1, {(2, 10)}) == [(1, 10), (2, 20)]
    # 3 applications x 2 reviewers over 3 reviewers: 2 each
    plan = plan_assignments([1, 2, 3], [10, 20, 30], [], 2, None, set())
    assert sorted(r for _a, r in plan) == [10, 10, 20, 20, 30, 30]
    # nothing to do: every application has its reviewers already
    assert plan_assignments([1], [10, 20], [(1, 10), (1, 20)], 2, None, set()) == []


# --- conflicts of interest --------------------------------------------------------------------


@pytest.fixture
def en(ctx):
    """Services called directly, with their messages in English: the factories submit
    inside request contexts of their own that share this one's cached language."""
    with force_locale("en"):
        yield


@pytest.fixture
def branch_pair(create_organisation):
    """A library system and its branch: the same INN, different KPP."""
    head = create_organisation(kpp="500101001")
    branch = create_organisation(inn=head.inn, kpp="500102001", short_name="Филиал № 2")
    return head, branch


def test_conflict_reasons(en, db, create_application, create_user, create_organisation,
                          branch_pair, assign):
    head, branch = branch_pair
    app = create_application(organisation=branch, status=S.ELIGIBLE)
    own = create_user(Role.REVIEWER, organisation=branch, full_name="Анна Своя")
    same_inn = create_user(Role.REVIEWER, organisation=head, full_name="Борис Головной")
    other = create_user(Role.REVIEWER, organisation=create_organisation(),
                        full_name="Вера Сторонняя")
    independent = create_user(Role.REVIEWER, full_name="Глеб Независимый")
    assert conflict_reason(own, app) == "Анна Своя works at Филиал № 2, the applicant."
    assert conflict_reason(same_inn, app) == (
        f"Борис Головной works at {head.short_name}, which has the same INN ({head.inn}) "
        "as the applicant Филиал № 2: one library system.")
    assert conflict_reason(other, app) is None
    assert conflict_reason(independent, app) is None
    declared = assign(app, independent)
    declared.status = AssignmentStatus.CONFLICT
    declared.conflict_reason = "Мой брат руководит проектом"
    declared.conflict_declared_at = utcnow()
    db.flush()
    assert conflict_reason(independent, app) == (
        "Глеб Независимый declared a conflict of interest on this application: "
        "Мой брат руководит проектом")


# --- automatic assignment in the database -------------------------------------------------------


@pytest.fixture
def committee(db, create_call, create_application, create_user, close_call):
    """A closed call with admitted applications, a chair and a factory of reviewers chosen
    for the call."""

    class Committee:
        def __init__(self):
            self.call = create_call()
            self.chair = create_user(Role.CHAIR)

        def application(self, status=S.ELIGIBLE, **kwargs):
            self.call.closes_at = utcnow() + timedelta(days=1)  # open again to submit
            app = create_application(call=self.call, status=status, **kwargs)
            close_call(self.call)
            return app

        def reviewer(self, **kwargs):
            kwargs.setdefault("locale", "en")
            user = create_user(Role.REVIEWER, **kwargs)
            db.add(CallReviewer(call_id=self.call.id, user_id=user.id))
            db.flush()
            return user

    return Committee()


def active_pairs(db, call):
    return {(a.application_id, a.reviewer_id) for a in db.scalars(
        select(Assignment).where(Assignment.status == AssignmentStatus.ACTIVE))
        if a.application.call_id == call.id}


def outbox(db, recipient=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    return db.scalars(query).all()


def audit_count(db, action):
    return db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == action))


def test_auto_assign_spreads_evenly_starts_reviews_audits_and_mails_once(en, db, committee):
    apps = [committee.application() for _ in range(4)]
    reviewers = [committee.reviewer() for _ in range(3)]
    summary = auto_assign(db, committee.call, actor=committee.chair)
    assert len(summary.created) == 8 and summary.shortfalls == []
    pairs = active_pairs(db, committee.call)
    assert all(sum(1 for a, _r in pairs if a == app.id) == 2 for app in apps)
    loads = sorted(sum(1 for _a, r in pairs if r == rev.id) for rev in reviewers)
    assert loads == [2, 3, 3]
    assert all(app.status == S.IN_REVIEW for app in apps)
    assert audit_count(db, "assignment.created") == 8
    assert audit_count(db, "application.start_review") == 4
    # one e-mail per reviewer, listing their applications and the deadline
    for reviewer in reviewers:
        (mail,) = outbox(db, reviewer.email)
        assert mail.subject == "New applications to review"
        mine = [app for app in apps if (app.id, reviewer.id) in pairs]
        for app in mine:
            assert app.registration_number in mail.body
        assert committee.call.review_deadline.strftime("%d.%m.%Y") in mail.body
    # a second run has nothing to do and sends nothing
    sent = len(outbox(db))
    again = auto_assign(db, committee.call, actor=committee.chair)
    assert again.created == [] and again.shortfalls == []
    assert len(outbox(db)) == sent


def test_auto_assign_never_gives_a_branch_to_its_library_system(en, db, committee,
                                                                  branch_pair):
    head, branch = branch_pair
    from_branch = committee.application(organisation=branch)
    from_head = committee.application(organisation=head)
    committee.application()
    at_head = committee.reviewer(organisation=head)
    at_branch = committee.reviewer(organisation=branch)
    committee.reviewer()
    committee.reviewer()
    auto_assign(db, committee.call, actor=committee.chair)
    pairs = active_pairs(db, committee.call)
    for app in (from_branch, from_head):
        for reviewer in (at_head, at_branch):
            assert (app.id, reviewer.id) not in pairs
    assert all(sum(1 for a, _r in pairs if a == app.id) == 2
               for app in (from_branch, from_head))


def test_auto_assign_counts_existing_reviewers_and_skips_declared_conflicts(
        en, db, committee, assign):
    app = committee.application(status=S.IN_REVIEW)
    first, declarer, third = (committee.reviewer() for _ in range(3))
    assign(app, first)
    handed_back = assign(app, declarer)
    handed_back.status = AssignmentStatus.CONFLICT
    handed_back.conflict_declared_at = utcnow()
    handed_back.conflict_reason = "Родственник"
    db.flush()
    summary = auto_assign(db, committee.call, actor=committee.chair)
    assert [(a.application_id, a.reviewer_id) for a in summary.created] == [(app.id, third.id)]
    assert app.status == S.IN_REVIEW  # was already in review: no second transition
    assert audit_count(db, "application.start_review") == 0


def test_auto_assign_respects_the_limit_and_says_who_stays_short(en, db, committee):
    committee.call.max_assignments_per_reviewer = 2
    apps = [committee.application() for _ in range(3)]
    reviewers = [committee.reviewer() for _ in range(2)]
    summary = auto_assign(db, committee.call, actor=committee.chair)
    assert len(summary.created) == 4
    pairs = active_pairs(db, committee.call)
    assert all(sum(1 for _a, r in pairs if r == rev.id) == 2 for rev in reviewers)
    (short,) = summary.shortfalls
    assert short.application in apps and short.have == 0 and short.needed == 2
    assert short.reason == ("Of the call's 2 reviewers, 0 already review it, 0 have a "
                            "conflict of interest and 2 have reached the limit.")


def test_auto_assign_without_reviewers_or_outside_admitted(en, db, committee):
    admitted = committee.application()
    waiting = committee.application(status=S.SUBMITTED)
    refused = committee.application(status=S.INELIGIBLE)
    summary = auto_assign(db, committee.call, actor=committee.chair)
    assert summary.created == []
    assert [(s.application, s.reason) for s in summary.shortfalls] == [
        (admitted, "The call has no reviewers yet; choose them first.")]
    committee.reviewer()
    committee.reviewer()
    auto_assign(db, committee.call, actor=committee.chair)
    assert {a for a, _r in active_pairs(db, committee.call)} == {admitted.id}
    assert waiting.status == S.SUBMITTED and refused.status == S.INELIGIBLE


# --- changes by hand ----------------------------------------------------------------------------


def test_add_assignment_starts_the_review_audits_and_mails(en, db, committee):
    app = committee.application()
    reviewer = committee.reviewer()
    assignment = add_assignment(db, app, reviewer, actor=committee.chair)
    assert assignment.status == AssignmentStatus.ACTIVE
    assert assignment.created_by_id == committee.chair.id
    assert app.status == S.IN_REVIEW
    assert audit_count(db, "assignment.created") == 1
    (mail,) = outbox(db, reviewer.email)
    assert app.registration_number in mail.body


def test_add_assignment_refusals_say_why(en, db, committee, create_user, branch_pair):
    head, branch = branch_pair
    app = committee.application(organisation=branch)
    outsider = create_user(Role.REVIEWER, full_name="Дарья Посторонняя")
    with pytest.raises(DomainError, match="Дарья Посторонняя is not among this call's "
                                          "reviewers"):
        add_assignment(db, app, outsider, actor=committee.chair)
    colleague = committee.reviewer(organisation=head, full_name="Евгений Коллега")
    with pytest.raises(DomainError) as refused:
        add_assignment(db, app, colleague, actor=committee.chair)
    assert refused.value.message == (
        f"A conflict of interest: Евгений Коллега works at {head.short_name}, which has the "
        f"same INN ({head.inn}) as the applicant Филиал № 2: one library system.")
    insider = committee.reviewer(organisation=branch, full_name="Жанна Своя")
    with pytest.raises(DomainError, match="Жанна Своя works at Филиал № 2, the applicant"):
        add_assignment(db, app, insider, actor=committee.chair)

    busy = committee.reviewer(full_name="Зоя Занятая")
    committee.call.max_assignments_per_reviewer = 1
    elsewhere = committee.application()
    add_assignment(db, elsewhere, busy, actor=committee.chair)
    with pytest.raises(DomainError, match="Зоя Занятая already has 1 assignments in this "
                                          "call, the limit"):
        add_assignment(db, app, busy, actor=committee.chair)
    free = committee.reviewer()
    add_assignment(db, app, free, actor=committee.chair)
    with pytest.raises(ConflictError, match="already reviews this application"):
        add_assignment(db, app, free, actor=committee.chair)
    assert active_pairs(db, committee.call) == {(app.id, free.id), (elsewhere.id, busy.id)}


def test_only_the_chair_changes_assignments_even_without_the_pages(en, db, committee,
                                                                    create_user, assign):
    app = committee.application(status=S.IN_REVIEW)
    reviewer = committee.reviewer()
    assignment = assign(app, committee.reviewer())
    for role in (Role.ADMIN, Role.REVIEWER):
        someone = create_user(role)
        with pytest.raises(PermissionError):
            auto_assign(db, committee.call, actor=someone)
        with pytest.raises(PermissionError):
            add_assignment(db, app, reviewer, actor=someone)
        with pytest.raises(PermissionError):
            remove_assignment(db, assignment, actor=someone)
        with pytest.raises(PermissionError):
            swap_assignment(db, assignment, reviewer, actor=someone)
        with pytest.raises(PermissionError):
            set_call_reviewers(db, committee.call, {reviewer.id}, None, actor=someone)


def test_add_to_a_reviewed_application_resumes_its_review(en, db, committee):
    app = committee.application(status=S.REVIEWED)
    add_assignment(db, app, committee.reviewer(), actor=committee.chair)
    assert app.status == S.IN_REVIEW
    assert audit_count(db, "application.resume_review") == 1


def test_nothing_is_added_to_a_refused_application(en, db, committee):
    app = committee.application(status=S.INELIGIBLE)
    with pytest.raises(ConflictError, match="only on admitted applications"):
        add_assignment(db, app, committee.reviewer(), actor=committee.chair)


def test_remove_assignment_with_a_draft_and_refused_once_submitted(
        en, db, committee, create_review):
    app = committee.application(status=S.IN_REVIEW)
    drafter = committee.reviewer(full_name="Ирина Черновик")
    done = committee.reviewer(full_name="Кирилл Готово")
    draft = create_review(app, reviewer=drafter, submitted=False)
    create_review(app, reviewer=done)
    remove_assignment(db, draft.assignment, actor=committee.chair)
    assert db.scalar(select(func.count()).select_from(Review)
                     .where(Review.reviewer_id == drafter.id)) == 0
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "assignment.removed")).one()
    assert event.details["draft_review_discarded"] is True
    (mail,) = outbox(db, drafter.email)
    assert mail.subject == "An application was taken off your list"
    submitted = db.scalars(select(Assignment).where(Assignment.reviewer_id == done.id)).one()
    with pytest.raises(ConflictError) as refused:
        remove_assignment(db, submitted, actor=committee.chair)
    assert refused.value.message == ("Кирилл Готово has submitted a review of this "
                                     "application; the assignment can no longer be removed.")


def test_removing_the_last_reviewer_waited_for_completes_the_review(en, db, committee, assign,
                                                                     create_review):
    app = committee.application(status=S.IN_REVIEW)
    create_review(app, reviewer=committee.reviewer())
    create_review(app, reviewer=committee.reviewer())
    late = assign(app, committee.reviewer())
    remove_assignment(db, late, actor=committee.chair)
    assert app.status == S.REVIEWED


@pytest.mark.parametrize("seed", range(4))
def test_auto_assign_in_the_database_on_random_pools(en, db, committee, create_organisation,
                                                     seed):
    """The database side gives plan_assignments the conflicts conflict_reason sees: no
    assignment it makes has a reason against it, and every short application is explained."""
    import random

    rng = random.Random(seed)
    heads = [create_organisation() for _ in range(2)]
    libraries = heads + [create_organisation(inn=h.inn, kpp=f"50010{n}001") for n, h in
                         enumerate(heads, start=2)] + [create_organisation()]
    apps = [committee.application(organisation=rng.choice(libraries))
            for _ in range(rng.randint(2, 6))]
    reviewers = [committee.reviewer(organisation=rng.choice(libraries + [None]))
                 for _ in range(rng.randint(2, 5))]
    committee.call.max_assignments_per_reviewer = rng.choice([None, 2, 3])
    summary = auto_assign(db, committee.call, actor=committee.chair)
    for assignment in summary.created:
        assert conflict_reason(assignment.reviewer, assignment.application) is None
    pairs = active_pairs(db, committee.call)
    short = {s.application.id for s in summary.shortfalls}
    for app in apps:
        have = sum(1 for a, _r in pairs if a == app.id)
        assert have <= 2 and (have == 2 or app.id in short)
    limit = committee.call.max_assignments_per_reviewer
    for reviewer in reviewers:
        assert limit is None or sum(1 for _a, r in pairs if r == reviewer.id) <= limit


def test_swap_assignment_and_its_refusals(en, db, committee, assign, create_review,
                                          create_organisation):
    library = create_organisation()
    app = committee.application(status=S.IN_REVIEW, organisation=library)
    old = committee.reviewer(full_name="Лев Прежний")
    new = committee.reviewer(full_name="Мария Новая")
    insider = committee.reviewer(organisation=library, full_name="Нина Изнутри")
    assignment = assign(app, old)
    with pytest.raises(DomainError, match="A conflict of interest: Нина Изнутри works at"):
        swap_assignment(db, assignment, insider, actor=committee.chair)
    swapped = swap_assignment(db, assignment, new, actor=committee.chair)
    assert active_pairs(db, committee.call) == {(app.id, new.id)}
    assert swapped.reviewer_id == new.id
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "assignment.swapped")).one()
    assert (event.from_state, event.to_state) == (old.email, new.email)
    assert [m.subject for m in outbox(db, old.email)] == ["An application was taken off your "
                                                          "list"]
    assert [m.subject for m in outbox(db, new.email)] == ["New applications to review"]
    create_review(app, reviewer=committee.reviewer(full_name="Ольга Сдала"))
    finished = db.scalars(select(Assignment).join(Review)).one()
    with pytest.raises(ConflictError, match="Ольга Сдала has submitted a review"):
        swap_assignment(db, finished, old, actor=committee.chair)


# --- reminders ----------------------------------------------------------------------------------


def test_reminders_go_once_to_reviewers_with_unsubmitted_reviews(en, db, committee,
                                                                  create_review, assign):
    now = utcnow()
    committee.call.review_deadline = (now + timedelta(days=2)).date()
    first, second = committee.application(status=S.IN_REVIEW), committee.application(
        status=S.IN_REVIEW)
    slow = committee.reviewer(full_name="Павел Медленный")
    done = committee.reviewer()
    assign(first, slow)
    assign(second, slow)
    create_review(first, reviewer=done)
    create_review(second, reviewer=done)
    assert send_review_reminders(db, now) == 1
    (mail,) = outbox(db, slow.email)
    assert mail.subject == f"Reviews are due on {committee.call.review_deadline:%d.%m.%Y}"
    assert first.registration_number in mail.body and second.registration_number in mail.body
    assert outbox(db, done.email) == []
    assert all(a.deadline_reminded_at is not None for a in db.scalars(
        select(Assignment).where(Assignment.reviewer_id == slow.id)))
    sent = len(outbox(db))
    assert send_review_reminders(db, now + timedelta(hours=5)) == 0
    assert len(outbox(db)) == sent


@pytest.mark.parametrize(("days", "expected"), [(-1, 0), (0, 1), (3, 1), (5, 0)])
def test_reminders_only_within_three_days_of_the_deadline(en, db, committee, assign, days,
                                                          expected):
    now = utcnow()
    committee.call.review_deadline = (now + timedelta(days=days)).date()
    assign(committee.application(status=S.IN_REVIEW), committee.reviewer())
    assert send_review_reminders(db, now) == expected


def test_remind_reviewers_command(app, db, committee, assign):
    with app.test_request_context():
        committee.call.review_deadline = (utcnow() + timedelta(days=1)).date()
        assign(committee.application(status=S.IN_REVIEW), committee.reviewer())
    result = app.test_cli_runner().invoke(args=["portal", "remind-reviewers"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 reminder(s)" in result.output
    again = app.test_cli_runner().invoke(args=["portal", "remind-reviewers"])
    assert "Sent 0 reminder(s)" in again.output


# --- the call's reviewers -----------------------------------------------------------------------


def test_set_call_reviewers_with_limit_and_refusals(en, db, committee, create_user, assign):
    a, b = committee.reviewer(), create_user(Role.REVIEWER, full_name="Роман Новый")
    applicant = create_user(Role.APPLICANT, full_name="Софья Заявитель")
    with pytest.raises(DomainError, match="Софья Заявитель does not hold the reviewer role"):
        set_call_reviewers(db, committee.call, {a.id, applicant.id}, None, actor=committee.chair)
    set_call_reviewers(db, committee.call, {a.id, b.id}, 3, actor=committee.chair)
    chosen = set(db.scalars(select(CallReviewer.user_id)
                            .where(CallReviewer.call_id == committee.call.id)))
    assert chosen == {a.id, b.id}
    assert committee.call.max_assignments_per_reviewer == 3
    assert audit_count(db, "call.reviewer_added") == 1  # `a` was chosen already
    assert audit_count(db, "call.reviewer_limit_changed") == 1
    assign(committee.application(status=S.IN_REVIEW), b)
    assign(committee.application(status=S.IN_REVIEW), b)
    with pytest.raises(DomainError, match="has 2 assignments in this call; remove or swap"):
        set_call_reviewers(db, committee.call, {a.id}, 3, actor=committee.chair)
    with pytest.raises(DomainError, match="Роман Новый already has 2 assignments in this "
                                          "call; the limit cannot be lower"):
        set_call_reviewers(db, committee.call, {a.id, b.id}, 1, actor=committee.chair)
    set_call_reviewers(db, committee.call, {b.id}, None, actor=committee.chair)
    assert committee.call.max_assignments_per_reviewer is None
    assert audit_count(db, "call.reviewer_removed") == 1


# --- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def chair_client(client, committee, login_as):
    login_as(committee.chair)
    return client


def test_reviewers_page_chooses_reviewers_and_the_limit(chair_client, db, committee,
                                                        create_user, create_organisation):
    library = create_organisation()
    first = create_user(Role.REVIEWER, full_name="Тамара Эксперт", organisation=library)
    second = create_user(Role.REVIEWER, full_name="Ульяна Эксперт")
    create_user(Role.APPLICANT, full_name="Фёдор Заявитель")
    url = f"/committee/calls/{committee.call.id}/reviewers"
    page = chair_client.get(url).get_data(as_text=True)
    assert "Тамара Эксперт" in page and library.inn in page and "Ульяна Эксперт" in page
    assert "Фёдор Заявитель" not in page
    response = chair_client.post(url, data={"reviewers": [first.id, second.id],
                                            "max_assignments_per_reviewer": "4"})
    assert response.status_code == 302
    db.expire_all()
    assert set(db.scalars(select(CallReviewer.user_id).where(
        CallReviewer.call_id == committee.call.id))) == {first.id, second.id}
    assert committee.call.max_assignments_per_reviewer == 4
    bad = chair_client.post(url, data={"reviewers": [first.id],
                                       "max_assignments_per_reviewer": "0"})
    assert bad.status_code == 422
    assert 'id="error-summary"' in bad.get_data(as_text=True)


def test_assignments_page_shows_states_loads_and_flags(chair_client, db, committee,
                                                       create_review, assign):
    app = committee.application(status=S.IN_REVIEW)
    waiting = committee.application()
    done = committee.reviewer(full_name="Харитон Сдавший")
    drafting = committee.reviewer(full_name="Цветана Пишущая")
    create_review(app, [9] * len(committee.call.criteria), reviewer=done)
    create_review(app, reviewer=drafting, submitted=False)
    page = chair_client.get(f"/committee/calls/{committee.call.id}/assignments")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Харитон Сдавший" in html and "review: submitted" in html
    assert "review: draft" in html
    assert html.count('data-flag="needs-reviewer"') == 1  # only the one without reviewers
    assert waiting.registration_number in html
    assert f'data-reviewer="{done.id}"' in html


def test_assignments_page_runs_the_automatic_assignment(chair_client, db, committee):
    apps = [committee.application() for _ in range(2)]
    committee.reviewer()
    committee.reviewer()
    response = chair_client.post(f"/committee/calls/{committee.call.id}/assignments/auto",
                                 follow_redirects=True)
    assert response.status_code == 200
    assert "Automatic assignment made 4 new assignments." in response.get_data(as_text=True)
    db.expire_all()
    assert all(app.status == S.IN_REVIEW for app in apps)


def test_assignments_page_add_remove_swap_and_refusals(chair_client, db, committee,
                                                       create_organisation, create_review):
    library = create_organisation()
    app = committee.application(organisation=library)
    insider = committee.reviewer(organisation=library, full_name="Чеслав Свой")
    first = committee.reviewer(full_name="Шамиль Первый")
    second = committee.reviewer(full_name="Эмма Вторая")
    base = f"/committee/calls/{committee.call.id}"
    refused = chair_client.post(f"{base}/applications/{app.id}/assignments",
                                data={"reviewer_id": insider.id})
    assert refused.status_code == 422
    assert "A conflict of interest: Чеслав Свой works at" in refused.get_data(as_text=True)
    assert active_pairs(db, committee.call) == set()
    added = chair_client.post(f"{base}/applications/{app.id}/assignments",
                              data={"reviewer_id": first.id})
    assert added.status_code == 302
    db.expire_all()
    assignment = db.scalars(select(Assignment)).one()
    assert app.status == S.IN_REVIEW
    swapped = chair_client.post(f"{base}/assignments/{assignment.id}/swap",
                                data={"reviewer_id": second.id})
    assert swapped.status_code == 302
    db.expire_all()
    assert active_pairs(db, committee.call) == {(app.id, second.id)}
    current = db.scalars(select(Assignment)).one()
    assert chair_client.post(f"{base}/assignments/{current.id}/remove").status_code == 302
    db.expire_all()
    assert active_pairs(db, committee.call) == set()
    review = create_review(app, reviewer=first)
    blocked = chair_client.post(f"{base}/assignments/{review.assignment_id}/remove")
    assert blocked.status_code == 409
    assert "has submitted a review" in blocked.get_data(as_text=True)
    missing = chair_client.post(f"{base}/applications/{app.id}/assignments", data={})
    assert missing.status_code == 422


def test_assignment_of_another_call_is_not_found(chair_client, db, committee, create_call,
                                                 create_application, assign):
    other = create_application(call=create_call(), status=S.IN_REVIEW)
    assignment = assign(other)
    base = f"/committee/calls/{committee.call.id}"
    assert chair_client.post(f"{base}/assignments/{assignment.id}/remove").status_code == 404
    assert chair_client.post(f"{base}/applications/{other.id}/assignments",
                             data={"reviewer_id": assignment.reviewer_id}).status_code == 404


ROUTES = [
    ("GET", "/committee/calls/{id}/reviewers"),
    ("POST", "/committee/calls/{id}/reviewers"),
    ("GET", "/committee/calls/{id}/assignments"),
    ("POST", "/committee/calls/{id}/assignments/auto"),
    ("POST", "/committee/calls/{id}/applications/{app}/assignments"),
    ("POST", "/committee/calls/{id}/assignments/{assignment}/remove"),
    ("POST", "/committee/calls/{id}/assignments/{assignment}/swap"),
]


@pytest.fixture
def targets(db, committee, assign):
    app = committee.application(status=S.IN_REVIEW)
    assignment = assign(app, committee.reviewer())
    return {"id": committee.call.id, "app": app.id, "assignment": assignment.id}


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_anonymous_is_sent_to_sign_in(client, targets, method, route):
    response = client.open(route.format(**targets), method=method)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER, Role.FINANCE, Role.ADMIN])
@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_only_the_chair_manages_assignments(client, db, create_user, login_as, targets,
                                            committee, role, method, route):
    login_as(create_user(role))
    before = active_pairs(db, committee.call)
    response = client.open(route.format(**targets), method=method,
                           data={"reviewer_id": targets["app"]})
    assert response.status_code == 403
    db.expire_all()
    assert active_pairs(db, committee.call) == before


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_chair_gets_the_pages_and_an_unknown_call_is_not_found(chair_client, targets,
                                                               method, route):
    if method == "GET":
        assert chair_client.get(route.format(**targets)).status_code == 200
    missing = {**targets, "id": 999999}
    assert chair_client.open(route.format(**missing), method=method).status_code == 404
