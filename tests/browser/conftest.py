"""Browser tests: the portal served by a live server on a database of its own, seeded with the
demo data, driven by one Chromium per session through Playwright, a fresh context per test.
Tests that change what the others look at start a live server of their own
(`start_live_server`) and open their pages with `new_page`.

Without Chromium or Playwright the tests skip, unless a browser is required (`CI` or
`PORTAL_REQUIRE_BROWSER` set to a true value), in which case they fail. `PORTAL_CHROMIUM`
names the browser's executable when it is not on the PATH as `chromium`."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal.db import db
from portal.demo import seed_demo
from portal.extensions import limiter

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS_DIR = "test-artifacts"
_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


def browser_required() -> bool:
    """Under CI a browser test that cannot find a browser fails instead of skipping."""
    return any(
        os.environ.get(name, "").strip().lower() in TRUE_VALUES
        for name in ("CI", "PORTAL_REQUIRE_BROWSER")
    )


def browser_unavailable(reason: str) -> None:
    if browser_required():
        pytest.fail(
            f"{reason}; a browser is required here (CI or PORTAL_REQUIRE_BROWSER is set)",
            pytrace=False,
        )
    pytest.skip(reason)


def find_chromium() -> str | None:
    configured = os.environ.get("PORTAL_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _root_conftest(config: pytest.Config) -> ModuleType:
    """tests/conftest.py as pytest loaded it: the same `make_test_app` and `reset_schema` the
    other tests use (the module cannot be imported by name, as tests/ is not a package)."""
    wanted = Path(__file__).resolve().parent.parent / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None)
        if file and Path(file).resolve() == wanted:
            return plugin
    raise RuntimeError(f"{wanted} is not loaded as a conftest")


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask


@contextmanager
def serve_portal(
    config: pytest.Config,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
) -> Iterator[LiveServer]:
    """The portal with the demo data on 127.0.0.1 and a free port, CSRF on, so that the
    browser goes through the real forms; on a database and an instance folder of its own,
    named after `name`, so that what one server's tests change the others never see."""
    root = _root_conftest(config)
    folder = tmp_path_factory.mktemp(f"{name}-db")
    with root.scratch_database(database_url, folder, name) as live_url:
        previous_instance = os.environ.get("PORTAL_INSTANCE_PATH")
        try:
            app = root.make_test_app(
                live_url, str(tmp_path_factory.mktemp(f"{name}-instance")),
                WTF_CSRF_ENABLED=True,
            )
        finally:
            # make_test_app points the environment at its instance folder; give it back.
            if previous_instance is None:
                os.environ.pop("PORTAL_INSTANCE_PATH", None)
            else:
                os.environ["PORTAL_INSTANCE_PATH"] = previous_instance
        engine = app.extensions["vektor.db"]["engine"]
        try:
            root.reset_schema(app)
            with app.app_context():
                session = db.sessionmaker()
                try:
                    seed_demo(session)
                    session.commit()
                finally:
                    session.close()
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(
                target=server.serve_forever, name=f"vektor-{name}-server", daemon=True
            )
            thread.start()
            try:
                yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
            finally:
                server.shutdown()
                thread.join(timeout=10)
                server.server_close()
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def start_live_server(
    pytestconfig: pytest.Config,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    _fast_password_hashing: None,
) -> Callable[[str], AbstractContextManager[LiveServer]]:
    """`start_live_server(name)` runs a live server of its own while the `with` block lasts:
    for tests that change data the tests sharing `live_server` look at."""
    return partial(serve_portal, pytestconfig, database_url, tmp_path_factory)


@pytest.fixture(scope="session")
def live_server(
    start_live_server: Callable[[str], AbstractContextManager[LiveServer]],
) -> Iterator[LiveServer]:
    """The live server the browser tests share, for the whole session."""
    with start_live_server("live") as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Every test signs in afresh; the per-account sign-in limit must not carry over."""
    limiter.reset()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("the playwright package is not installed")
    executable = find_chromium()
    if executable is None:
        browser_unavailable(
            "Chromium was not found (install Debian's chromium or set PORTAL_CHROMIUM)"
        )
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
        except PlaywrightError as exc:
            browser_unavailable(f"Chromium at {executable} did not start: {exc.message}")
        try:
            yield chromium
        finally:
            chromium.close()


def _test_failed(request: pytest.FixtureRequest) -> bool:
    report = request.node.stash.get(_reports, {}).get("call")
    return report is not None and report.failed


def _save_artifacts(page: Any, request: pytest.FixtureRequest, name: str = "") -> None:
    directory = request.config.rootpath / ARTIFACTS_DIR
    directory.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid + (f"-{name}" if name else ""))
    stem = stem.strip("_")
    try:
        page.screenshot(path=str(directory / f"{stem}.png"), full_page=True)
        (directory / f"{stem}.html").write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # the test has failed already; say why nothing was saved
        print(f"could not save the page of {request.node.nodeid} {name}: {exc}")


@contextmanager
def _page_in_new_context(
    browser: Any, base_url: str, request: pytest.FixtureRequest, name: str = ""
) -> Iterator[Any]:
    """A page in a fresh context (no cookies), saved to the artefacts under `name` when the
    test fails, and closed afterwards."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        if _test_failed(request):
            _save_artifacts(page, request, name)
        context.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a fresh context (no cookies), with the portal's CSP in force: axe-core is
    injected through Playwright's evaluate, which the CSP does not block, so it checks the
    page exactly as people see it."""
    with _page_in_new_context(browser, live_server.url, request) as page:
        yield page


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[[str, str], Any]]:
    """`new_page(base_url, name)` opens another page in a fresh context, for a test where
    several people work at once, each in a browser of their own, or one that uses a live
    server of its own. Every page is closed after the test and, when it fails, saved to the
    artefacts under its name."""
    with ExitStack() as stack:

        def open_page(base_url: str, name: str) -> Any:
            return stack.enter_context(_page_in_new_context(browser, base_url, request, name))

        yield open_page


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the item, so a fixture can tell the test failed."""
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report
