"""Several portal instances behind one address: two gunicorn instances with the production
settings on two loopback ports share one database (PostgreSQL when the suite runs on it, a
SQLite file otherwise), one Redis (DB 14) and one data directory. A user signed in through
one is signed in on the other (and signed out of both at once); the sign-in rate limit
counts attempts made through both; an archive job started through one is run by a separate
worker process and downloaded through the other; an attachment uploaded through one is
served by the other."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

from portal.config import PROJECT_ROOT
from portal.db import db as database
from portal.models import Application, CallStatus, Role, User
from portal.services.accounts import create_user as create_user_service
from portal.services.applications import start_application
from portal.services.calls import create_call as create_call_service
from tests.conftest import (
    call_data,
    live_database_url,
    make_test_app,
    portal_env,
    reset_schema,
    running_portals,
    service_unavailable,
)
from tests.test_jobs import seed_funded_call

SCALE_REDIS_URL = "redis://127.0.0.1:6379/14"  # the operations tests' Redis database
PASSWORD = "a long live passphrase"  # what seed_funded_call gives its users
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
PDF_BYTES = b"%PDF-1.4\n" + b"% a price quote from the supplier\n" * 200 + b"%%EOF\n"


@dataclass
class Answer:
    status: int
    headers: Any
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _AnswerEverything(urllib.request.HTTPErrorProcessor):
    """Hand back every answer as it is: errors are results here, redirects are not
    followed."""

    def http_response(self, request: Any, response: Any) -> Any:
        return response


class Browser:
    """Keeps its cookies as a browser does: they belong to the host, whichever port (so
    whichever instance) it talks to."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _AnswerEverything()
        )

    def _send(self, request: urllib.request.Request) -> Answer:
        with self.opener.open(request, timeout=120) as response:
            return Answer(response.status, response.headers, response.read())

    def get(self, url: str) -> Answer:
        return self._send(urllib.request.Request(url))  # noqa: S310 - loopback only

    def post(self, url: str, fields: dict[str, str],
             file: tuple[str, str, bytes] | None = None) -> Answer:
        """POST a form with the CSRF token of the page at `url`; `file` is (field, file name,
        content), sent as multipart."""
        page = self.get(url)
        match = CSRF.search(page.text)
        assert match, f"no form at {url}: {page.status}"
        fields = {"csrf_token": match.group(1), **fields}
        boundary = uuid.uuid4().hex
        body = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            .encode() for name, value in fields.items()
        )
        if file is not None:
            field, name, content = file
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                     f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     ).encode() + content + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        return self._send(urllib.request.Request(  # noqa: S310 - loopback only
            url, data=body, method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        ))

    def sign_in(self, base: str, email: str, password: str = PASSWORD) -> Answer:
        return self.post(f"{base}/login", {"email": email, "password": password})


@dataclass
class Cluster:
    a: str
    b: str
    env: dict[str, str]
    seeded: dict[str, Any]
    finance_email: str
    chair_email: str
    applicant_email: str
    application_id: int
    logs: list[Path]


def seed_applicant(live_app: Flask, seeded: dict[str, Any]) -> tuple[str, int]:
    """An applicant of the seeded library with a draft in a call open now."""
    with live_app.app_context():
        session = database.sessionmaker()
        try:
            library = session.get(Application, seeded["projects"][0]["id"]).organisation
            applicant = create_user_service(
                session, email="scale-applicant@example.org", full_name="Заявитель",
                password=PASSWORD, roles={Role.APPLICANT}, organisation=library, actor=None,
            )
            call = create_call_service(session, call_data(), actor=None)
            call.status, call.published_at = CallStatus.PUBLISHED, call.opens_at
            session.flush()
            draft = start_application(session, call, actor=applicant)
            session.commit()
            return applicant.email, draft.id
        finally:
            session.close()


def emails(live_app: Flask, *user_ids: int) -> list[str]:
    with live_app.app_context():
        session = database.sessionmaker()
        try:
            return [session.get(User, user_id).email for user_id in user_ids]
        finally:
            session.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    redis = Redis.from_url(SCALE_REDIS_URL)
    try:
        redis.ping()
    except RedisError as exc:
        service_unavailable(f"no Redis at {SCALE_REDIS_URL}: {exc}")
    url = live_database_url(tmp_path_factory, "scale")
    live_app = make_test_app(url, str(tmp_path_factory.mktemp("scale-seed")))
    try:
        reset_schema(live_app)
        seeded = seed_funded_call(live_app, count=1)
        chair_id = int(seeded["chair"].split(":")[0])
        finance_email, chair_email = emails(live_app, seeded["finance_id"], chair_id)
        applicant_email, application_id = seed_applicant(live_app, seeded)
    finally:
        live_app.extensions["vektor.db"]["engine"].dispose()

    shared = tmp_path_factory.mktemp("scale-shared")
    env = portal_env(
        ENV="production", SECRET_KEY="scale-" + "d" * 58, DATABASE_URL=url,
        REDIS_URL=SCALE_REDIS_URL, DATA_DIR=str(shared), WEB_CONCURRENCY="1",
        LOGIN_RATE_LIMIT="3 per hour", LOG_FORMAT="json",
        INSTANCE_PATH=str(tmp_path_factory.mktemp("scale-worker")),
    )
    redis.flushdb()
    try:
        instances = [tmp_path_factory.mktemp(f"scale-instance-{name}") for name in "ab"]
        logs = [instance / "gunicorn.log" for instance in instances]
        with running_portals(*(({**env, "PORTAL_INSTANCE_PATH": str(instance)}, log)
                               for instance, log in zip(instances, logs, strict=True))
                             ) as (a, b):
            yield Cluster(a, b, env, seeded, finance_email, chair_email, applicant_email,
                          application_id, logs)
    finally:
        redis.flushdb()
        redis.close()


def test_signed_in_through_one_instance_is_signed_in_on_the_other(cluster):
    browser = Browser()
    signed_in = browser.sign_in(cluster.a, cluster.finance_email)
    assert signed_in.status == 302 and "/login" not in signed_in.headers["Location"]

    assert browser.get(f"{cluster.b}/dashboard/finance").status == 200
    stranger = Browser().get(f"{cluster.b}/dashboard/finance")
    assert stranger.status == 302 and "/login" in stranger.headers["Location"]

    # Signing out through B ends the session everywhere, A included.
    out = browser.post(f"{cluster.b}/logout", {})
    assert out.status == 302
    after = browser.get(f"{cluster.a}/dashboard/finance")
    assert after.status == 302 and "/login" in after.headers["Location"]


def test_the_sign_in_rate_limit_counts_attempts_through_both(cluster):
    browser = Browser()
    wrong = "not the password at all"
    for base in (cluster.a, cluster.b, cluster.a):  # the limit is three an hour
        assert browser.sign_in(base, cluster.chair_email, wrong).status == 200
    assert browser.sign_in(cluster.b, cluster.chair_email, wrong).status == 429
    assert browser.sign_in(cluster.a, cluster.chair_email, PASSWORD).status == 429


def test_a_job_started_through_one_is_run_by_the_worker_and_downloaded_through_the_other(
    cluster
):
    browser = Browser()
    assert browser.sign_in(cluster.a, cluster.finance_email).status == 302
    address = f"/finance/calls/{cluster.seeded['call_id']}/budgets.zip"
    started = browser.post(f"{cluster.a}{address}", {})
    assert started.status == 302 and "/finance/jobs/" in started.headers["Location"]

    waiting = browser.get(f"{cluster.b}{address}")
    assert waiting.status == 200 and waiting.headers.get_content_type() == "text/html"

    worker = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "portal", "worker", "--burst"],
        cwd=PROJECT_ROOT, env=cluster.env,
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr

    archive = browser.get(f"{cluster.b}{address}")
    assert archive.status == 200, archive.text[:500]
    assert archive.headers.get_content_type() == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.body)).namelist()
    project = cluster.seeded["projects"][0]["number"]
    assert names == [f"{project}.pdf", f"summary-{cluster.seeded['code']}.xlsx"]


def test_an_attachment_uploaded_through_one_is_served_by_the_other(cluster):
    browser = Browser()
    assert browser.sign_in(cluster.a, cluster.applicant_email).status == 302
    page = f"/applications/{cluster.application_id}/attachments"
    uploaded = browser.post(f"{cluster.a}{page}", {"kind": "price_quote"},
                            file=("file", "price-quote.pdf", PDF_BYTES))
    assert uploaded.status == 302, uploaded.text[:2000]

    listing = browser.get(f"{cluster.b}{page}")
    links = re.findall(rf'href="({re.escape(page)}/\d+)"', listing.text)
    assert len(links) == 1
    served = browser.get(f"{cluster.b}{links[0]}")
    assert served.status == 200 and served.body == PDF_BYTES


def test_the_instances_log_json_lines_and_believe_no_forwarded_header(cluster):
    browser = Browser()
    wrong = "a wrong passphrase for the log"
    assert browser.sign_in(cluster.a, cluster.applicant_email, wrong).status == 200
    request = urllib.request.Request(  # noqa: S310 - loopback only
        f"{cluster.a}/healthz",
        headers={"X-Forwarded-Proto": "https", "X-Request-ID": "scale-health-0001"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        assert json.loads(answer.read()) == {"status": "ok"}
        headers = answer.headers
    assert headers["X-Request-ID"] == "scale-health-0001"
    # No proxy is configured: neither gunicorn nor the portal believes the scheme.
    assert "Strict-Transport-Security" not in headers

    text = cluster.logs[0].read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"]
               for line in lines)
    assert [(line["route"], line["status"]) for line in lines
            if line.get("request_id") == "scale-health-0001"] == [("/healthz", 200)]
    assert any(line.get("route") == "/login" and line.get("method") == "POST"
               for line in lines)
    for log in cluster.logs:
        written = log.read_text(encoding="utf-8")
        for secret in (cluster.applicant_email, wrong, PASSWORD, cluster.finance_email):
            assert secret not in written
