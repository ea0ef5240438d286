"""/healthz answers 200 when the database answers and 503 when it does not."""

from tests.conftest import make_test_app


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_503_without_database(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path}/missing-dir/nowhere/db.sqlite3", str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"
