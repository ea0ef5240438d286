"""The version of each call's ranking: a token that changes in the same transaction as any
figure the ranking is computed from, so that a ranking computed once can be kept under it
(portal.services.ranking) and is never served after the figures changed.

What changes it, found in every flush by the session events below, so no service has to
remember it:
- an application that is past the draft (its status, title, library, number), or a budget
  line of one;
- a review that is or was submitted, and the scores of a submitted review;
- an assignment, a decision, a criterion;
- the short name of a library, the name of a reviewer.
A draft being typed (its lines, a reviewer's draft scores) changes nothing, so the ranking
stays kept through the busiest evenings. The call's own settings that the ranking uses are
part of the key the ranking is kept under, so editing the call needs no new token.

The tokens are random, not counters: a token a rolled-back transaction wrote is never
written again, and two databases (tests, benchmarks) never share one. They live in a table
of their own, written as the last statement before the commit: every other lock of the
transaction (a call or an application locked `FOR UPDATE` by a service) is already held by
then, and nothing waits while holding this one, so it cannot take part in a deadlock."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import ForeignKey, String, event, insert, inspect, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.db import Base
from portal.models.applications import Application, ApplicationStatus, BudgetLine
from portal.models.calls import Call, Criterion
from portal.models.reviews import Assignment, Decision, Review, ReviewScore, ReviewStatus
from portal.models.users import Organisation, User


class RankingVersion(Base):
    """The token of a call's ranking (one row per call, written with the call)."""

    __tablename__ = "ranking_versions"

    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


def new_token() -> str:
    return secrets.token_hex(16)


# The calls whose ranking the session's transaction has changed so far (flushed, not yet
# committed): they get new tokens at the commit, and until then a ranking of theirs computed
# in this transaction is not kept (it may never be committed).
_CHANGED_KEY = "vektor.rankings_changed"


def changed_calls(session: Session) -> set[int]:
    """The calls whose figures the session's transaction has changed so far."""
    return session.info.get(_CHANGED_KEY, set())


def _changed(session: Session, obj: Any, *names: str) -> bool:
    """Whether a flushed object was added, deleted, or had one of the attributes changed
    (any attribute when none is named)."""
    if obj in session.new or obj in session.deleted:
        return True
    state = inspect(obj)
    attributes = names or [a.key for a in state.mapper.column_attrs]
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _values(obj: Any, name: str) -> set[Any]:
    """The attribute's value now and before this flush."""
    history = inspect(obj).attrs[name].history
    return {*history.added, *history.unchanged, *history.deleted}


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, flush_context: Any) -> None:
    calls: set[int] = set()
    applications: set[int] = set()  # reviews changed for the ranking
    lines_of: set[int] = set()  # applications whose lines changed: only if past the draft
    scored: set[int] = set()  # reviews whose scores changed: only if submitted
    libraries: set[int] = set()
    reviewers: set[int] = set()
    created = [obj.id for obj in session.new if isinstance(obj, Call)]
    if created:
        session.connection().execute(insert(RankingVersion), [
            {"call_id": call_id, "token": new_token()} for call_id in created])
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, Application):
            if ApplicationStatus.DRAFT not in _values(obj, "status") or (
                    len(_values(obj, "status")) > 1):
                calls.update(c for c in _values(obj, "call_id") if c is not None)
        elif isinstance(obj, BudgetLine):
            lines_of.update(_values(obj, "application_id"))
        elif isinstance(obj, Review):
            if ReviewStatus.SUBMITTED in _values(obj, "status") and _changed(session, obj):
                applications.update(_values(obj, "application_id"))
        elif isinstance(obj, ReviewScore):
            if _changed(session, obj):
                scored.update(_values(obj, "review_id"))
        elif isinstance(obj, Assignment | Decision | Criterion):
            if _changed(session, obj):
                calls.update(_values(obj, "call_id"))
        elif isinstance(obj, Organisation):
            if _changed(session, obj, "short_name"):
                libraries.add(obj.id)
        elif isinstance(obj, User):
            if _changed(session, obj, "full_name"):
                reviewers.add(obj.id)
    conditions = []
    if applications:
        conditions.append(Application.id.in_(applications))
    if lines_of:
        conditions.append(Application.id.in_(lines_of)
                          & (Application.status != ApplicationStatus.DRAFT))
    if scored:
        conditions.append(Application.id.in_(
            select(Review.application_id).where(Review.id.in_(scored),
                                                Review.status == ReviewStatus.SUBMITTED)))
    if libraries:
        conditions.append(Application.organisation_id.in_(libraries)
                          & (Application.status != ApplicationStatus.DRAFT))
    if reviewers:
        conditions.append(Application.id.in_(
            select(Review.application_id).where(Review.reviewer_id.in_(reviewers))))
    if conditions:
        calls.update(session.scalars(
            select(Application.call_id).where(or_(*conditions)).distinct()))
    if calls:
        session.info.setdefault(_CHANGED_KEY, set()).update(calls)


def renew_tokens(session: Session) -> None:
    """Give the calls the session's transaction has changed so far new tokens."""
    calls = session.info.get(_CHANGED_KEY)
    if calls:
        session.connection().execute(
            update(RankingVersion).where(RankingVersion.call_id.in_(sorted(calls)))
            .values(token=new_token()))


@event.listens_for(Session, "before_commit")
def _renew_tokens_at_commit(session: Session) -> None:
    """The last statement of the transaction."""
    if session.in_nested_transaction():
        return
    session.flush()  # what is still pending is noted by _note_changes
    renew_tokens(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED_KEY, None)
