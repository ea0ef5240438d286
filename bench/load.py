"""Load on the portal as it runs in production: gunicorn with portal/gunicorn_conf.py on a free
loopback port, sessions signed in through /login like a browser's, and wrk driving one URL
at a time with a small Lua script that prints its figures as JSON."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60  # seconds gunicorn may take until /healthz answers
IDLE_ANSWER = 0.1  # seconds: /healthz answering within this, nothing is queued before it

# wrk calls done() once, after the run, in its main thread; the marker lets the runner find
# the line among wrk's own output.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d, "p50_us": %d, ' ..
    '"p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
"""


class BenchError(RuntimeError):
    """Something the measurement needs is missing or failed; the message says what."""


@dataclass
class LoadResult:
    """One wrk run against one URL."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    server_p50_ms: float | None = None  # from the portal's request log, when it was read

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError("wrk is not installed; on Debian or Ubuntu: sudo apt-get install wrk")
    return path


def route_matches(route: object, path: str) -> bool:
    """Whether a logged route (`/calls/<int:call_id>`) is the one `path` (`/calls/7`) took."""
    if not isinstance(route, str):
        return False
    pattern = "".join("[^/]+" if part.startswith("<") else re.escape(part)
                      for part in re.split(r"(<[^>]+>)", route))
    return re.fullmatch(pattern, path) is not None


class Server:
    """gunicorn serving the portal with the production settings against `database_url`, in
    a temporary data folder, with a secret key made for this run. Use as a context manager:
    it stops gunicorn on the way out, whatever happened."""

    def __init__(self, database_url: str, *, workers: int | None = None) -> None:
        self.database_url = database_url
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    def environment(self, data_dir: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("PORTAL_")}
        env.update({
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": secrets.token_hex(32),
            "PORTAL_DATABASE_URL": self.database_url,
            "PORTAL_DATA_DIR": data_dir,
            "PORTAL_BIND": f"127.0.0.1:{self.port}",
            # The runner signs in a handful of times per server; the production limit
            # stays as it is otherwise.
            "PORTAL_LOGIN_RATE_LIMIT": "100 per minute",
            # The request log as in production, in JSON: each line's duration_ms is the
            # time at the server, without the wait in gunicorn's queue.
            "PORTAL_LOG_FORMAT": "json",
            "PORTAL_LOG_LEVEL": "INFO",
        })
        if self.workers:
            env["PORTAL_WEB_CONCURRENCY"] = str(self.workers)
        return env

    def __enter__(self) -> Server:
        self._tmp = tempfile.TemporaryDirectory(prefix="vektor-bench-")
        self._log_path = Path(self._tmp.name) / "gunicorn.log"
        with open(self._log_path, "wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "gunicorn", "--config", "python:portal.gunicorn_conf",
                 "wsgi:app"],
                cwd=PROJECT_ROOT, env=self.environment(self._tmp.name),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BenchError(f"gunicorn stopped at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise BenchError(f"/healthz did not answer within {START_TIMEOUT} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_offset(self) -> int:
        return self._log_path.stat().st_size if self._log_path is not None else 0

    def wait_until_idle(self, limit: float = 120) -> None:
        """Wait until the requests a load run left queued are answered: sync workers finish
        every request they accepted after wrk has gone, and that backlog must not fall on
        the next measurement. Idle is when /healthz, queued behind them, answers at once."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=limit) as answer:  # noqa: S310
                    answer.read()
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() - started < IDLE_ANSWER:
                return
        raise BenchError(f"the portal was still busy {limit:g} s after the load stopped")

    def server_times(self, start: int, end: int, path: str, status: int) -> list[float]:
        """duration_ms of the requests for `path` answered with `status` that the portal
        logged between two log offsets (the log names the route, `/calls/<int:call_id>`)."""
        if self._log_path is None:
            return []
        with open(self._log_path, "rb") as log:
            log.seek(start)
            chunk = log.read(end - start)
        times: list[float] = []
        for line in chunk.splitlines():
            if not line.startswith(b"{"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            duration = record.get("duration_ms")
            if record.get("status") != status or not route_matches(record.get("route"), path):
                continue
            if isinstance(duration, int | float):
                times.append(float(duration))
        return times

    def worker_count(self) -> int:
        """gunicorn's worker processes: the children of the master."""
        if self._process is None:
            return 0
        children = Path(f"/proc/{self._process.pid}/task/{self._process.pid}/children")
        try:
            return len(children.read_text().split())
        except OSError:
            return 0

    def __exit__(self, *exc: Any) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


# --- sessions -----------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Browser:
    """A cookie jar and the requests a person's browser makes, without following redirects
    (so a page that sends to /login shows as such)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, path: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body,  # noqa: S310
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as answer:
            return answer.code, dict(answer.headers), answer.read()

    def sign_in(self, email: str, password: str) -> None:
        status, _headers, page = self.request("/login")
        match = _CSRF.search(page.decode("utf-8", "replace"))
        if status != 200 or match is None:
            raise BenchError(f"the sign-in page answered {status} without a CSRF token")
        token = match.group(1) or match.group(2)
        status, headers, _page = self.request(
            "/login", {"csrf_token": token, "email": email, "password": password})
        if status != 302 or headers.get("Location", "").endswith("/login"):
            raise BenchError(f"signing in as {email} failed (answer {status})")

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


# --- wrk ----------------------------------------------------------------------------------


def run_wrk(url: str, *, duration: float, connections: int, threads: int,
            headers: dict[str, str] | None = None) -> LoadResult:
    """One wrk run; raises BenchError when wrk fails or prints no figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="vektor-bench-",
                                     delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = [wrk_path(), "--threads", str(max(1, min(threads, connections))),
                   "--connections", str(connections), "--duration", f"{max(1, round(duration))}s",
                   "--timeout", "30s", "--script", script.name]
        for name, value in (headers or {}).items():
            command += ["--header", f"{name}: {value}"]
        done = subprocess.run(command + [url], capture_output=True, text=True,  # noqa: S603
                              timeout=duration + 90, check=False)
    finally:
        os.unlink(script.name)
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON ")),
                None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed on {url}: {done.stderr.strip() or done.stdout[-500:]}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(figures[key] for key in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(
        requests=figures["requests"], seconds=figures["duration_us"] / 1e6, errors=errors,
        p50_ms=figures["p50_us"] / 1000, p99_ms=figures["p99_us"] / 1000,
    )
