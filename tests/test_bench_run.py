"""The benchmark runner's own logic (bench/run.py, bench/load.py), without load: its
arguments, how it reads wrk's and the portal's figures and how it writes them. No benchmark
runs here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench import load, run


def test_quick_is_a_short_single_run_that_leaves_the_document_alone():
    args, settings, sections = run.parse_args(["--quick", "--database-url", "sqlite://"])
    assert (settings.duration, settings.runs, settings.quick) == (5, 1, True)
    assert args.write is None
    assert sections == ["pages", "documents", "bulk", "aggregation"]


def test_growth_needs_its_databases():
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "growth"])
    _args, _settings, sections = run.parse_args(["--growth", "a", "b"])
    assert "growth" in sections


def test_figures_are_rewritten_between_the_markers_only(tmp_path: Path):
    document = tmp_path / "PERFORMANCE.md"
    document.write_text(f"method\n{run.START_MARKER}\nold figures\n{run.END_MARKER}\nafter\n",
                        encoding="utf-8")
    run.write_report("new figures\n", document)
    assert document.read_text(encoding="utf-8") == (
        f"method\n{run.START_MARKER}\nnew figures\n{run.END_MARKER}\nafter\n")


def test_a_document_without_markers_is_refused(tmp_path: Path):
    document = tmp_path / "PERFORMANCE.md"
    document.write_text("method only\n", encoding="utf-8")
    with pytest.raises(load.BenchError):
        run.write_report("figures\n", document)


def test_each_section_gets_a_table_with_its_own_columns():
    rows = [run.Row("1 pages", "a", {"req/s": "10"}, "met"),
            run.Row("5 aggregation", "b", {"ms": "3", "statements": "3"})]
    lines = run.table(rows)
    assert "| 1 pages | req/s | verdict |" in lines
    assert "| b | 3 | 3 |  |" in lines


def test_wrk_figures_come_from_the_done_hook(monkeypatch: pytest.MonkeyPatch):
    figures = {"requests": 300, "duration_us": 3_000_000, "bytes": 1, "connect": 0, "read": 1,
               "write": 0, "status": 2, "timeout": 0, "p50_us": 1500, "p90_us": 2000,
               "p99_us": 9000, "max_us": 9500, "mean_us": 1600.0}
    printed = "Running 3s test\nBENCH_JSON " + json.dumps(figures) + "\n"
    monkeypatch.setattr(load, "wrk_path", lambda: "wrk")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a[0], 0, stdout=printed, stderr=""))
    result = load.run_wrk("http://127.0.0.1:1/", duration=3, connections=32, threads=2)
    assert (result.rps, result.errors, result.p50_ms, result.p99_ms) == (100, 3, 1.5, 9.0)


def test_server_times_are_read_from_the_json_request_log(tmp_path: Path):
    server = load.Server("sqlite://")
    server._log_path = tmp_path / "gunicorn.log"
    server._log_path.write_bytes(
        b'{"route": "/calls/<int:call_id>", "status": 200, "duration_ms": 4.5}\n'
        b"a line of text\n"
        b'{"message": "worker booted"}\n'
        b'{"route": "/healthz", "status": 200, "duration_ms": 1.0}\n'
        b'{"route": "/calls/<int:call_id>", "status": 404, "duration_ms": 2.0}\n'
        b'{"route": "/calls/<int:call_id>", "status": 200, "duration_ms": 5.5}\n')
    assert server.server_times(0, server.log_offset(), "/calls/7", 200) == [4.5, 5.5]
