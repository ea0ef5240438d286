"""A server process killed with SIGKILL in the middle of a submission, a decision or the
finalisation of the decisions leaves the database as it was before the change or as it is
after it, never in between; the portal then starts again on the same database, serves, and
the interrupted action can be done.

The portal runs as a separate process serving HTTP on a loopback port, on the module's own
database (a SQLite file, or a PostgreSQL database beside the test one). The pause that lets
the test kill it at a known point is injected by that process's own start-up code, never by
the portal's: inside the transaction (after the service's writes are flushed, before the
commit) or after the commit (before the response is sent)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal.config import PROJECT_ROOT
from portal.models import (
    Application,
    ApplicationStatus,
    Call,
    Decision,
    DecisionOutcome,
    OutboxMessage,
    Role,
    User,
)
from portal.services import decisions
from tests.assurance import record
from tests.conftest import PASSWORD
from tests.test_concurrency import committing_session, count_events, live_portal

S = ApplicationStatus
D = Decimal
WAIT_SECONDS = 60  # the longest a server may take to start or to reach its pause

# The server: the portal as tests configure it, on the given database, on a free loopback
# port written to a file once it listens. `inside:<module>:<function>:<n>` holds the n-th
# call of a function a service calls inside its transaction, after that call returns and
# everything is flushed; `after:<path end>` holds a POST whose view has committed, before
# its response leaves. Held means: the marker file is written and the thread waits forever.
SERVER = """
import importlib, itertools, os, sys, threading
from pathlib import Path
from flask import request
from werkzeug.serving import make_server
from tests.conftest import make_test_app

url, instance, port_file, marker, pause = sys.argv[1:6]
app = make_test_app(url, instance)

def hold():
    Path(marker).write_text("held")
    threading.Event().wait()

if pause.startswith("inside:"):
    _kind, module_name, name, nth = pause.split(":")
    module = importlib.import_module(module_name)
    original, calls = getattr(module, name), itertools.count(1)

    def held(session, *args, **kwargs):
        result = original(session, *args, **kwargs)
        if next(calls) == int(nth):
            session.flush()
            hold()
        return result

    setattr(module, name, held)
elif pause.startswith("after:"):
    ending = pause.split(":", 1)[1]

    @app.after_request
    def held_response(response):
        if request.method == "POST" and request.path.endswith(ending):
            hold()
        return response

server = make_server("127.0.0.1", 0, app, threaded=True)
Path(port_file + ".part").write_text(str(server.server_port))
os.replace(port_file + ".part", port_file)
server.serve_forever()
"""

_servers = itertools.count(1)


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from live_portal(request, tmp_path_factory)


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    yield from committing_session(app)


def wait_until(condition: Callable[[], bool], what: str, server: Server | None = None) -> None:
    """Poll `condition` until it holds; fail, with the server's log, if the server dies or
    it never does."""
    done = threading.Event()
    for _attempt in range(WAIT_SECONDS * 20):
        if condition():
            return
        if server is not None and server.process.poll() is not None:
            pytest.fail(f"the server stopped before {what}:\n{server.log()}")
        done.wait(0.05)
    pytest.fail(f"timed out waiting for {what}" + (f":\n{server.log()}" if server else ""))


@dataclass
class Server:
    """A portal process and a cookie-keeping client for it (redirects are not followed, so
    that a 302 is seen as the success it is)."""

    process: subprocess.Popen[bytes]
    base: str
    marker: Path
    log_path: Path
    opener: urllib.request.OpenerDirector = field(init=False)

    def __post_init__(self) -> None:
        class Stay(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), Stay)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=WAIT_SECONDS) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as answer:
            with answer:
                return answer.code, answer.read().decode()

    def sign_in(self, email: str) -> None:
        status, _body = self.request("/login", {"email": email, "password": PASSWORD})
        assert status == 302, self.log()

    def kill(self) -> None:
        record("server processes killed with SIGKILL mid-change")
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_server(app: Flask, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start the portal on the module's database as a process of its own, paused at `pause`
    (see SERVER), and stop whatever is left of it after the test."""
    started: list[Server] = []
    url = app.config["DATABASE_URL"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}

    def start(pause: str = "") -> Server:
        n = next(_servers)
        port_file, marker = tmp_path / f"port-{n}", tmp_path / f"held-{n}"
        log_path = tmp_path / f"server-{n}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", SERVER, url, str(tmp_path / f"instance-{n}"),
                 str(port_file), str(marker), pause],
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        server = Server(process, "", marker, log_path)
        started.append(server)
        wait_until(port_file.exists, "listening", server)
        server.base = f"http://127.0.0.1:{port_file.read_text()}"
        return server

    yield start
    for server in started:
        server.stop()


def kill_while_held(server: Server, path: str, data: dict[str, str]) -> None:
    """Send the request, wait until the server holds it at its pause, and kill the server:
    the request gets no answer."""
    outcome: list[Any] = []

    def send() -> None:
        try:
            outcome.append(server.request(path, data))
        except OSError as exc:  # the connection dies with the server
            outcome.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    wait_until(server.marker.exists, "the pause", server)
    server.kill()
    sender.join(WAIT_SECONDS)
    assert len(outcome) == 1 and isinstance(outcome[0], OSError), outcome


@contextmanager
def observing(app: Flask) -> Iterator[Session]:
    """A session of its own for reading what is committed, closed at once: the test's own
    session stays out of the way (on SQLite a transaction outside a GET request holds the
    write lock, which would stall the server)."""
    session = app.extensions["vektor.db"]["sessionmaker"]()
    try:
        yield session
    finally:
        session.close()


def assert_database_sound(app: Flask) -> None:
    """Nothing of the killed server is left behind: on PostgreSQL its backend has ended (so
    its open transaction is rolled back), on SQLite the file passes its integrity check."""
    engine = app.extensions["vektor.db"]["engine"]
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
        return

    def abandoned() -> int:
        with engine.connect() as conn:
            return int(conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")) or 0)

    wait_until(lambda: abandoned() == 0, "the killed server's transaction to end")


def serves(server: Server, email: str, page: str) -> None:
    """The restarted portal answers its health check and a signed-in page."""
    status, body = server.request("/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    server.sign_in(email)
    status, _body = server.request(page)
    assert status == 200


def mails_to(session: Session, email: str) -> int:
    return int(session.scalar(select(func.count(OutboxMessage.id))
                              .where(OutboxMessage.recipient == email)) or 0)


# --- a submission -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    id: int
    call_id: int
    first_number: str
    email: str


def submission_state(app: Flask, draft: Draft) -> dict[str, Any]:
    with observing(app) as session:
        saved = session.get(Application, draft.id)
        return {
            "status": saved.status, "number": saved.registration_number,
            "sequence": saved.sequence, "submitted": saved.submitted_at is not None,
            "version": saved.version, "taken": session.get(Call, draft.call_id).last_sequence,
            "audited": count_events(session, "application.submit", draft.id),
            "mailed": mails_to(session, draft.email),
        }


def test_a_submission_killed_before_and_after_its_commit(app, db, create_application,
                                                        start_server):
    """Killed with the status, the number and the audit row written but not committed: the
    application is the draft it was. Restarted, it serves; killed again once the submission
    is committed, before the answer: the application is submitted completely, with number 1
    (the first attempt took no number). Restarted, it serves and does not submit it twice."""
    application = create_application()
    draft = Draft(application.id, application.call_id, f"{application.call.code}-0001",
                  application.created_by.email)
    db.commit()
    page, submit = f"/applications/{draft.id}", f"/applications/{draft.id}/submit"
    before = submission_state(app, draft)
    after = {**before, "status": S.SUBMITTED, "number": draft.first_number, "sequence": 1,
             "submitted": True, "version": before["version"] + 1, "taken": 1,
             "audited": 1, "mailed": 1}
    assert (before["status"], before["taken"], before["mailed"]) == (S.DRAFT, 0, 0)

    server = start_server("inside:portal.services.applications:queue_mail:1")
    server.sign_in(draft.email)
    kill_while_held(server, submit, {})
    assert_database_sound(app)
    assert submission_state(app, draft) == before

    server = start_server("after:/submit")
    serves(server, draft.email, page)
    kill_while_held(server, submit, {})
    assert_database_sound(app)
    assert submission_state(app, draft) == after

    server = start_server()
    serves(server, draft.email, page)
    status, _body = server.request(submit, {})
    assert status == 409
    assert submission_state(app, draft) == after


# --- a decision and the finalisation of the decisions ----------------------------------------


@dataclass(frozen=True)
class Committee:
    call_id: int
    app_ids: list[int]
    applicants: list[str]
    chair: str


@pytest.fixture
def committee(app, db, create_call, create_application, create_user, close_call) -> Committee:
    """A closed call with a fund of 500 000, three reviewed applications asking 225 000
    each, and its chair (as plain values: the test's own session is done with)."""
    call = create_call(fund_amount=D("500000.00"), max_grant_amount=D("300000.00"))
    apps = [create_application(call=call, status=S.REVIEWED) for _n in range(3)]
    close_call(call)
    chair = create_user(Role.CHAIR, full_name="Председатель")
    result = Committee(call.id, [a.id for a in apps], [a.created_by.email for a in apps],
                       chair.email)
    db.commit()
    return result


def decision_state(app: Flask, committee: Committee) -> dict[str, Any]:
    target = committee.app_ids[0]
    with observing(app) as session:
        decision = session.scalar(select(Decision).where(Decision.application_id == target))
        return {
            "decision": (decision.outcome, decision.approved_amount) if decision else None,
            "approved": decisions.approved_total(session, committee.call_id),
            "audited": count_events(session, "decision.recorded", target),
        }


def test_a_decision_killed_before_and_after_its_commit(app, committee, start_server):
    """Killed with the decision row and its audit row written but not committed: no
    decision, nothing approved. Restarted, it serves; killed again once the decision is
    committed, before the answer: the decision and its audit row, the fund counting it.
    Restarted, it serves and records the next decision."""
    first, second = committee.app_ids[:2]
    ranking = f"/committee/calls/{committee.call_id}/ranking"

    def decide(target: int) -> tuple[str, dict[str, str]]:
        return (f"/committee/calls/{committee.call_id}/applications/{target}/decision",
                {f"decision{target}-outcome": "funded",
                 f"decision{target}-approved_amount": "225000.00"})

    before = decision_state(app, committee)
    after = {"decision": (DecisionOutcome.FUNDED, D("225000.00")),
             "approved": D("225000.00"), "audited": 1}
    assert before == {"decision": None, "approved": D("0.00"), "audited": 0}

    server = start_server("inside:portal.services.decisions:record_event:1")
    server.sign_in(committee.chair)
    kill_while_held(server, *decide(first))
    assert_database_sound(app)
    assert decision_state(app, committee) == before

    server = start_server("after:/decision")
    serves(server, committee.chair, ranking)
    kill_while_held(server, *decide(first))
    assert_database_sound(app)
    assert decision_state(app, committee) == after

    server = start_server()
    serves(server, committee.chair, ranking)
    status, _body = server.request(*decide(second))
    assert status == 302
    assert decision_state(app, committee)["approved"] == D("450000.00")


def finalisation_state(app: Flask, committee: Committee) -> dict[str, Any]:
    with observing(app) as session:
        return {
            "statuses": [session.get(Application, i).status for i in committee.app_ids],
            "final": session.get(Call, committee.call_id).decisions_finalised_at is not None,
            "mailed": [mails_to(session, email) for email in committee.applicants],
            "audited": count_events(session, "call.decisions_finalised", committee.call_id),
        }


def test_the_finalisation_killed_half_way_through_its_e_mails(app, committee, start_server):
    """Killed with every application moved and two of the three e-mails queued, none of it
    committed: all three are still reviewed, the call is not final, no e-mail of the outcome
    and no audit row. On the restarted portal the chair finalises, and all of it happens."""
    with app.test_request_context(), observing(app) as session:
        chair = session.scalar(select(User).where(User.email == committee.chair))
        first, second, third = (session.get(Application, i) for i in committee.app_ids)
        for funded in (first, second):
            decisions.decide(session, funded, DecisionOutcome.FUNDED,
                             approved_amount=D("225000.00"), actor=chair)
        decisions.decide(session, third, DecisionOutcome.NOT_FUNDED, reason="Ниже черты",
                         actor=chair)
        session.commit()
    before = finalisation_state(app, committee)
    # Each applicant has had one e-mail so far: the confirmation of the submission.
    assert before == {"statuses": [S.REVIEWED] * 3, "final": False, "mailed": [1, 1, 1],
                      "audited": 0}
    after = {"statuses": [S.FUNDED, S.FUNDED, S.NOT_FUNDED], "final": True,
             "mailed": [2, 2, 2], "audited": 1}
    path = f"/committee/calls/{committee.call_id}/finalise"

    server = start_server("inside:portal.services.decisions:_tell_applicants:2")
    server.sign_in(committee.chair)
    kill_while_held(server, path, {})
    assert_database_sound(app)
    assert finalisation_state(app, committee) == before

    again = start_server()
    serves(again, committee.chair, f"/committee/calls/{committee.call_id}/ranking")
    status, _body = again.request(path, {})
    assert status == 302
    assert finalisation_state(app, committee) == after
