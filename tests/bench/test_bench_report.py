"""The benchmark's parsers and report writer (bench/harness.py, bench/run.py), without a
server, a database or a wrk run."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import harness  # noqa: E402
import run  # noqa: E402

pytestmark = pytest.mark.no_db

WRK_OUT = """Running 5s test @ http://127.0.0.1:8601/api/production/jobs/?limit=100
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.10ms    2.01ms  40.12ms   88.00%
    Req/Sec   660.10     50.20   760.00     70.00%
  Latency Distribution
     50%    5.80ms
     75%    6.90ms
     90%    8.10ms
     99%    1.20s
  6602 requests in 5.01s, 350.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   1317.76
Transfer/sec:     69.86MB
"""

WRK_NOTHING = """Running 5s test @ http://127.0.0.1:8601/slow/
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  0 requests in 5.00s, 0.00B read
Requests/sec:      0.00
Transfer/sec:       0.00B
"""


def test_parse_wrk() -> None:
    out = harness.parse_wrk(WRK_OUT)
    assert out.rps == pytest.approx(1317.76)
    assert out.p50_ms == pytest.approx(5.8)
    assert out.p99_ms == pytest.approx(1200.0)
    assert (out.requests, out.errors) == (6602, 7)
    assert out.seconds == pytest.approx(5.01)
    assert out.read_bytes == 350 * 1024 * 1024  # wrk's units are binary


def test_parse_wrk_without_a_completed_request() -> None:
    out = harness.parse_wrk(WRK_NOTHING)
    assert (out.rps, out.requests, out.errors, out.p50_ms, out.p99_ms, out.read_bytes) == (0.0, 0, 0, None, None, 0.0)
    with pytest.raises(ValueError):
        harness.parse_wrk("wrk: connection refused")


def test_request_lines_skip_gunicorn_lines_and_half_lines(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    log.write_bytes(
        b"[2026-11-21 21:00:00 +0000] [1] [INFO] Booting worker with pid: 2\n"
        b'{"path": "/api/sites/", "query": "hours=24", "status": 200, "duration_ms": 6.0, "db_queries": 1, "db_ms": 0.6}\n'
        b'{"path": "/api/meta/ping/", "query": "", "status": 200, "duration_ms": 1.0, "db_queries": 0, "db_ms": 0.0}\n'
        b'{"path": "/api/sites/", "query": "", "status": 500, "dura'
    )
    reader = harness.LogReader(log)
    lines = reader.new_lines()
    assert [harness.full_path(line) for line in lines] == ["/api/sites/?hours=24", "/api/meta/ping/"]
    with log.open("ab") as more:
        more.write(b'tion_ms": 3.0, "db_queries": 1, "db_ms": 2.0}\n')
    assert [line["status"] for line in reader.new_lines()] == [500]


def test_bench_config_turns_the_rate_limit_off_and_replaces_the_cache(tmp_path: Path) -> None:
    base = tmp_path / "base.toml"
    base.write_text(
        '[server]\ndebug = false\n[databases.panda]\nengine = "mysql"\nname = "pandjango_bench"\n'
        '[cache]\nbackend = "memory"\n[cache.lifetimes]\n"x" = 1\n[limits]\nanon_requests_per_minute = 600\nmax_limit = 10000\n'
    )
    text = harness.bench_config(tmp_path / "out.toml", harness.memcached_cache(11311, 3600, ["production.jobs"]), "small_db", base).read_text()
    import tomllib

    config = tomllib.loads(text)
    assert config["limits"] == {"anon_requests_per_minute": 0, "max_limit": 10000}
    assert config["databases"]["panda"]["name"] == "small_db"
    assert config["cache"] == {"backend": "memcached", "servers": ["127.0.0.1:11311"], "default": 3600, "lifetimes": {"production.jobs": 3600}}


def test_reusable_database() -> None:
    now = datetime(2026, 11, 21, 22, 0)
    fresh = {"jobs": 1_000_000, "newest": now - timedelta(hours=2), "record": None}
    assert run.reusable(fresh, 1_000_000, timedelta(hours=6), now)[0]
    assert not run.reusable({**fresh, "jobs": 50_000}, 1_000_000, timedelta(hours=6), now)[0]
    assert not run.reusable({**fresh, "newest": now - timedelta(hours=7)}, 1_000_000, timedelta(hours=6), now)[0]
    assert not run.reusable({"jobs": 0, "newest": None, "record": None}, 50_000, timedelta(hours=6), now)[0]


def _case(name: str, cached: bool, kind: str, rps: float, p50: float, **more: object) -> run.CaseResult:
    result = run.CaseResult(name, f"/api/{name}/", cached, kind, rps=rps, share=rps / 1000, p50_ms=p50, p99_ms=2 * p50, requests=100, load=[1.5])
    for key, value in more.items():
        setattr(result, key, value)
    return result


def test_report_table_and_goals() -> None:
    results = [
        _case("floor", False, "floor", 1000, 1.5),
        _case("jobs list", False, "list", 20, 80.0, db_ms=70.0, db_queries=4),
        _case("jobs list", True, "list", 800, 5.0, sent="3,706 gzip", response_bytes=4102.4),
        _case("jobs list", True, "list", 600, 7.0, plain=True, sent="54,810 identity"),
        _case("jobs summary", False, "summary", 2, 3500.0, db_ms=3400.0, db_queries=1),
        _case("jobs summary", True, "summary", 500, 9.0),
        _case("big", False, "big", 1, 900.0, p99_ms=1500.0, rss_growth_mib=60.0),
    ]
    phases = [run.Phase(False, {1: 80.0}, {1: 90.0}, {1: 140.0}), run.Phase(True, {2: 80.0}, {2: 81.0})]
    meta = {
        "finished": "2026-11-21 22:00 UTC", "host": "vm", "cores": 2, "python": "3.11", "database": "pandjango_bench",
        "jobs_in_db": 1_000_000, "db_note": "fresh", "windows": "default", "workers": 2, "seconds": 5, "warmup": 1,
        "rounds": 2, "connections": 8, "uncached_connections": 2,
    }
    text = run.report(meta, results, phases)
    assert "| jobs list `/api/jobs list/` | off | 20.0 | 2% | 80.0 | 160 | 0 (100) | 0 | 70.0 (4) | - | - |" in text
    assert "| jobs list `/api/jobs list/` | memcached | 800.0 | 80% | 5.0 | 10.0 | 0 (100) | 0 | - | 3,706 gzip | 4,102 |" in text
    assert "| jobs list `/api/jobs list/` | memcached | 600.0 | 60% | 7.0 | 14.0 | 0 (100) | 0 | - | 54,810 identity | - |" in text
    # Judged on the clients that take gzip, the plain client's share beside.
    assert "1 of 2 met; missed by jobs summary 50% (all: jobs list 80% (plain client 60%), jobs summary 50%)" in text
    assert "`Accept-Encoding: gzip, deflate`" in text
    assert "80.0 ms, 1.6x the goal" in text
    assert "jobs summary 3,500 ms (11.7x the goal; DB 3,400 ms)" in text
    assert "p99 1,500 ms (1.5x the goal)" in text and "RSS growth 60 MiB (met)" in text
    assert "80 -> 90 MiB (largest rise 10 MiB), then 140 MiB after the 10,000-row lists" in text


def test_the_cached_phase_asks_the_largest_answers_as_a_plain_client_too() -> None:
    ids = {"pandaid": "1", "nickname": "Q"}
    uncached, cached = run.phase_cases(ids, None, cached=False), run.phase_cases(ids, None, cached=True)
    assert all(case.headers == {"Accept-Encoding": "gzip, deflate"} for case in uncached)
    plain = [case for case in cached if case.plain]
    assert [(case.label, case.headers) for case in plain] == [("jobs list, plain client", {}), ("errors summary, plain client", {})]
    assert [case for case in cached if not case.plain] == uncached


def test_the_growth_table_puts_the_smaller_volume_first() -> None:
    import rollups_bench

    small = {"database": "a", "jobs": 1_000_000, "medians": {"jobs summary": {"rollups": 70.0, "direct": 3600.0}, "gone": {"rollups": 1.0, "direct": 1.0}}}
    large = {"database": "b", "jobs": 5_000_000, "medians": {"jobs summary": {"rollups": 140.0, "direct": 18000.0}}}
    lines = rollups_bench._growth(large, small)
    assert lines[0] == "## From 1,000,000 to 5,000,000 jobs (a, b: 5.0 times the jobs)"
    assert lines[4:] == ["| jobs summary | 70 ms | 140 ms | 2.0x | 3,600 ms | 18,000 ms | 5.0x |", ""]


def test_the_inflow_line_gives_the_median_run_and_lag() -> None:
    import rollups_bench

    line = rollups_bench._inflow_line([(231, 2.0, 2.5, 1.0, 2), (231, 4.0, 4.2, 3.0, 2), (231, 3.0, 3.1, 2.0, 1)], 231, 3)
    assert "231 new jobs a minute" in line and "3 times" in line
    assert "the run 3.00 s median (max 4.00) per minute of new data, the active jobs' snapshot 2.00 s of it, 2 hour buckets" in line
    assert "3.1 s median (max 4.2)" in line
    assert rollups_bench._inflow_line([], 231, 3).startswith("Under inflow: not measured")
