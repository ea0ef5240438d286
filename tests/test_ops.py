"""Operations: the request log (one JSON object a line with the request id, user id, route,
status and duration, and nothing personal: no e-mail, password, name, token or query
string), the request id on error pages and in the X-Request-ID header, /healthz with the
database and Redis, the worker readiness check, forwarded headers trusted only for the
configured proxies, and gunicorn's production settings: it refuses the development secret
key and sizes its workers. (tests/test_scale_out.py serves the portal with them.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from rq import Worker

from portal import gunicorn_conf
from portal.config import DEV_SECRET_KEY, PROJECT_ROOT
from portal.logging import configure_logging
from portal.models import Role
from portal.services.accounts import make_reset_token
from portal.services.jobs import job_queue
from tests.conftest import make_test_app, portal_env, redis_database

# Redis DB 14 belongs to the operations tests (the job tests use 15).
OPS_REDIS_URL = "redis://127.0.0.1:6379/14"
HEX_ID = re.compile(r"[0-9a-f]{32}")


# --- the request log -----------------------------------------------------------------------


@pytest.fixture
def json_log(app: Flask, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], list]]:
    """Switch the portal's log to JSON for the test; the function returns the lines written
    to stderr since the last call, each parsed (a line that is not JSON fails the test)."""
    configure_logging("json", "INFO")
    capsys.readouterr()

    def lines() -> list[dict[str, Any]]:
        text = capsys.readouterr().err
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    try:
        yield lines
    finally:
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])


def request_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "portal.request"]


def test_each_request_is_one_json_line_with_id_user_route_status_and_duration(
    client, create_user, login_as, json_log
):
    user = create_user(Role.REVIEWER)
    login_as(user)
    response = client.get("/dashboard/reviewer?page=2")
    assert response.status_code == 200
    lines = request_lines(json_log())
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert HEX_ID.fullmatch(line["request_id"])
    assert (line["method"], line["route"], line["endpoint"], line["status"]) == \
        ("GET", "/dashboard/<role>", "main.dashboard", 200)
    assert line["user_id"] == user.id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")
    assert "page=2" not in json.dumps(line)

    anonymous = client.application.test_client().get("/healthz")
    line = request_lines(json_log())[0]
    assert "user_id" not in line and line["status"] == 200
    assert line["request_id"] == anonymous.headers["X-Request-ID"]


def test_a_sane_request_id_from_the_proxy_is_kept_and_anything_else_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "nginx-4f1c2a9b7d3e"})
    assert kept.headers["X-Request-ID"] == "nginx-4f1c2a9b7d3e"
    for strange in ("short", "two words here", "x" * 65, "abc\u0416defgh", "../../etc/passwd"):
        replaced = client.get("/healthz", headers={"X-Request-ID": strange})
        assert HEX_ID.fullmatch(replaced.headers["X-Request-ID"]), strange
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_the_log_holds_no_password_token_e_mail_name_or_query_string(
    app, client, db, create_user, json_log
):
    email, password = "olga.znamenskaya@example.org", "Tverskaya-Street-1903"
    admin = create_user(Role.ADMIN, email=email, password=password)
    new_name, new_email = "Ольга Знаменская-Вторая", "second.person@example.org"
    new_password = "Another-Long-Passphrase-77"

    assert client.get(f"/login?email={email}").status_code == 200
    wrong = client.post("/login", data={"email": email, "password": password + "x"})
    assert wrong.status_code == 200
    signed_in = client.post("/login", data={"email": email, "password": password})
    assert signed_in.status_code == 302
    created = client.post("/admin/users/new", data={
        "full_name": new_name, "email": new_email, "password": new_password,
        "organisation_id": "0", "roles": ["reviewer"],
    })
    assert created.status_code == 302, created.get_data(as_text=True)
    client.post("/logout")
    with app.test_request_context():
        token = make_reset_token(admin)
    assert client.get(f"/password/reset/{token}").status_code == 200
    reset = client.post(f"/password/reset/{token}",
                        data={"password": new_password + "!", "confirm": new_password + "!"})
    assert reset.status_code == 302

    lines = json_log()
    routes = [(line["method"], line["route"], line.get("user_id")) for line in
              request_lines(lines)]
    assert ("POST", "/login", admin.id) in routes
    assert ("POST", "/admin/users/new", admin.id) in routes
    assert ("GET", "/password/reset/<token>", None) in routes
    everything = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for secret in (email, password, password + "x", new_name, new_email, new_password,
                   new_password + "!", token, token[:20], "olga.znamenskaya"):
        assert secret not in everything, secret


def test_a_failing_request_logs_its_traceback_by_route_and_its_page_shows_the_request_id(
    database_url, tmp_path, capsys, app
):
    failing = make_test_app(database_url, str(tmp_path), PROPAGATE_EXCEPTIONS=False,
                            LOG_FORMAT="json")

    @failing.get("/boom/<token>")
    def boom(token: str):
        raise RuntimeError("the render broke")

    try:
        capsys.readouterr()
        client = failing.test_client()
        client.set_cookie("vektor_lang", "en")
        response = client.get("/boom/s3cret-token-0042")
        assert response.status_code == 500
        request_id = response.headers["X-Request-ID"]
        page = response.get_data(as_text=True)
        assert f"Request number: {request_id}." in page
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
        failing.extensions["vektor.db"]["engine"].dispose()
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == request_id
    assert "RuntimeError: the render broke" in errors[0]["exception"]
    assert "/boom/<token>" in errors[0]["message"]
    assert "s3cret-token-0042" not in json.dumps(lines)
    assert request_lines(lines)[0]["status"] == 500


def test_error_pages_show_the_request_id_in_both_languages(client, ru_client):
    for each, text in ((client, "Request number: {}."), (ru_client, "{}")):
        response = each.get("/no-such-page", headers={"X-Request-ID": "proxy-id-12345678"})
        assert response.status_code == 404
        assert text.format("proxy-id-12345678") in response.get_data(as_text=True)


# --- forwarded headers -----------------------------------------------------------------------


@pytest.mark.parametrize(("hops", "secure"), [(0, False), (1, True)])
def test_forwarded_headers_are_trusted_for_the_configured_proxies_only(
    database_url, tmp_path, app, hops, secure
):
    proxied = make_test_app(database_url, str(tmp_path), PROXY_HOPS=hops)
    try:
        response = proxied.test_client().get(
            "/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        )
    finally:
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
        proxied.extensions["vektor.db"]["engine"].dispose()
    assert ("Strict-Transport-Security" in response.headers) is secure


# --- health and readiness --------------------------------------------------------------------


@pytest.fixture
def redis_url(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Redis DB 14, emptied before and after; the portal is configured to use it."""
    with redis_database(app, OPS_REDIS_URL, monkeypatch) as url:
        yield url


def test_healthz_checks_redis_when_the_portal_uses_it(client, app, redis_url, monkeypatch):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})

    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "redis": "unreachable"}


def test_worker_ready_needs_redis(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["portal", "worker-ready"])
    assert result.exit_code == 1 and "PORTAL_REDIS_URL is not set" in result.output


def test_worker_ready_fails_without_a_worker_and_passes_with_one(app, db, redis_url):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "worker-ready"])
    assert result.exit_code == 1
    assert "No worker listens on the queue 'vektor'" in result.output

    with app.app_context():
        queue = job_queue(app)
        queue.enqueue("builtins.print", "waiting")
        worker = Worker([queue], connection=queue.connection, name="ops-test-worker")
    worker.register_birth()
    try:
        result = runner.invoke(args=["portal", "worker-ready"])
    finally:
        worker.register_death()
    assert result.exit_code == 0, result.output
    assert "worker ops-test-worker:" in result.output
    assert "1 job(s) waiting on the queue 'vektor'." in result.output
    assert "Ready: 1 worker(s)." in result.output


def test_worker_ready_fails_when_redis_does_not_answer(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    result = app.test_cli_runner().invoke(args=["portal", "worker-ready"])
    assert result.exit_code == 1 and "does not answer" in result.output


# --- gunicorn ----------------------------------------------------------------------------------


def test_workers_follow_the_cores_unless_set(monkeypatch):
    assert [gunicorn_conf.default_workers(n) for n in (1, 2, 8)] == [3, 5, 17]
    monkeypatch.delenv("PORTAL_WEB_CONCURRENCY", raising=False)
    assert gunicorn_conf.worker_count() == 2 * gunicorn_conf.available_cores() + 1
    monkeypatch.setenv("PORTAL_WEB_CONCURRENCY", "3")
    assert gunicorn_conf.worker_count() == 3


def test_the_worker_timeout_outlasts_a_pdf_and_workers_are_recycled():
    limit = gunicorn_conf.portal_config()["PDF_TIME_LIMIT"]
    assert gunicorn_conf.timeout > limit
    assert gunicorn_conf.max_requests > 0 and gunicorn_conf.max_requests_jitter > 0


@pytest.mark.parametrize("secret", [None, DEV_SECRET_KEY])
def test_serving_refuses_a_missing_or_development_secret_key(secret, tmp_path):
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
                "INSTANCE_PATH": str(tmp_path), "ENV": "development"}
    if secret:
        settings["SECRET_KEY"] = secret
    env = portal_env(**settings)
    check = subprocess.run([sys.executable, "-m", "portal.gunicorn_conf"], cwd=PROJECT_ROOT,
                           env=env, capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 1
    assert "Vektor cannot start: PORTAL_SECRET_KEY must be set" in check.stderr

    served = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "python:portal.gunicorn_conf",
         "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert served.returncode == 1
    assert "Vektor cannot start: PORTAL_SECRET_KEY must be set" in served.stderr
    assert "Booting worker" not in served.stderr


def test_serving_accepts_a_real_key_and_a_database_url(tmp_path):
    env = portal_env(SECRET_KEY="b" * 64, DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
                     WEB_CONCURRENCY="2")
    check = subprocess.run([sys.executable, "-m", "portal.gunicorn_conf"], cwd=PROJECT_ROOT,
                           env=env, capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stderr
    assert "with 2 worker(s)" in check.stdout
