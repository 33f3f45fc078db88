"""The view-level cache of every API endpoint, against a real memcached (pandjango/caching/)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.db import connections
from django.test import Client

from pandjango import config
from pandjango.caching import store
from sections.production import queries
from tests.memcached import Memcached

JOBS = "/api/production/jobs/"


def pandaids(client: Client, count: int = 2) -> list[int]:
    rows = orjson.loads(client.get(JOBS, {"fields": "pandaid", "limit": count, "hours": 96}).content)["data"]
    return [row["pandaid"] for row in rows]


def count_calls(monkeypatch: pytest.MonkeyPatch, query_function: str, pause: float = 0.0) -> list[int]:
    """Counts the calls of a query function of the production section, optionally slowed down."""
    calls: list[int] = []
    original = getattr(queries, query_function)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        time.sleep(pause)
        return original(*args, **kwargs)

    monkeypatch.setattr(queries, query_function, counted)
    return calls


# ---------------------------------------------------------------------------- hits and misses


def test_a_second_request_is_a_hit_with_the_same_bytes(memcached_cache: Memcached, anon_client: Client, django_assert_num_queries: Any) -> None:
    first = anon_client.get(JOBS)
    with django_assert_num_queries(0, connection=connections["panda"]):
        second = anon_client.get(JOBS)
    assert first.status_code == second.status_code == 200
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert second.content == first.content  # generated_at included: the time it was computed
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == "application/json"
    assert second["Cache-Control"] == "max-age=60"
    assert int(second["Age"]) >= 0


def test_an_entry_expires_after_its_lifetime(memcached_cache: Memcached, anon_client: Client, pandjango_config: Any) -> None:
    pandjango_config("cache.lifetimes", {"production.jobs": 1})
    assert anon_client.get(JOBS)["X-Cache"] == "MISS"
    hit = anon_client.get(JOBS)
    assert hit["X-Cache"] == "HIT"
    assert hit["Cache-Control"] == "max-age=1"
    time.sleep(1.1)
    assert anon_client.get(JOBS)["X-Cache"] == "MISS"
    assert anon_client.get(JOBS)["X-Cache"] == "HIT"


def test_a_lifetime_change_in_the_config_file_takes_effect(memcached_cache: Memcached, anon_client: Client, settings: Any, tmp_path: Path) -> None:
    base = Path(settings.PANDJANGO["_path"]).read_text()
    path = tmp_path / "pandjango.toml"

    def lifetime(seconds: int) -> None:
        path.write_text(base + f'\n[cache.lifetimes]\n"production.jobs" = {seconds}\n')
        settings.PANDJANGO = config.load(path)

    lifetime(3600)
    assert anon_client.get(JOBS)["X-Cache"] == "MISS"
    assert anon_client.get(JOBS)["Cache-Control"] == "max-age=3600"
    lifetime(0)  # caching off for this endpoint
    off = [anon_client.get(JOBS) for _ in range(2)]
    assert [r["X-Cache"] for r in off] == ["BYPASS", "BYPASS"]
    assert off[0]["Cache-Control"] == "max-age=0"
    lifetime(1)  # the stored entry is already older than this
    time.sleep(1.05)
    assert anon_client.get(JOBS)["X-Cache"] == "MISS"
    hit = anon_client.get(JOBS)
    assert (hit["X-Cache"], hit["Cache-Control"]) == ("HIT", "max-age=1")


# ---------------------------------------------------------------------------- the key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({}, {"hours": "12", "limit": "100"}),
        ({}, {"sort": "-modificationtime"}),
        ({"limit": "5", "hours": "3"}, {"hours": "3", "limit": "5"}),
        ({"days": "1"}, {"hours": "24"}),
        ({"jobstatus": "failed", "computingsite": "ANALY_*"}, {"computingsite": "ANALY_*", "jobstatus": "failed"}),
    ],
    ids=["defaults", "default-sort", "order", "days-as-hours", "filters-order"],
)
def test_equivalent_queries_share_one_entry(memcached_cache: Memcached, anon_client: Client, first: dict[str, str], second: dict[str, str]) -> None:
    a = anon_client.get(JOBS, first)
    b = anon_client.get(JOBS, second)
    assert (a["X-Cache"], b["X-Cache"]) == ("MISS", "HIT")
    assert a.content == b.content


def test_different_queries_have_different_entries(memcached_cache: Memcached, anon_client: Client) -> None:
    assert anon_client.get(JOBS, {"hours": "11"})["X-Cache"] == "MISS"
    assert anon_client.get(JOBS, {"hours": "10"})["X-Cache"] == "MISS"
    assert anon_client.get(JOBS, {"hours": "10", "jobstatus": "failed"})["X-Cache"] == "MISS"
    assert anon_client.get(JOBS, {"hours": "10", "fields": "pandaid,jobstatus"})["X-Cache"] == "MISS"
    assert anon_client.get(JOBS, {"hours": "10", "fields": "jobstatus,pandaid"})["X-Cache"] == "MISS"


def test_path_parameters_are_part_of_the_key(memcached_cache: Memcached, anon_client: Client) -> None:
    one, two = pandaids(anon_client)
    a = anon_client.get(f"{JOBS}{one}/")
    b = anon_client.get(f"{JOBS}{two}/")
    assert (a["X-Cache"], b["X-Cache"]) == ("MISS", "MISS")
    assert orjson.loads(b.content)["data"]["pandaid"] == two
    assert anon_client.get(f"{JOBS}{one}/")["X-Cache"] == "HIT"


def test_connections_to_memcached_are_kept_between_requests(memcached_cache: Memcached, anon_client: Client) -> None:
    anon_client.get(JOBS)
    before = memcached_cache.stats()["total_connections"]
    for _ in range(5):
        assert anon_client.get(JOBS)["X-Cache"] == "HIT"
    assert memcached_cache.stats()["total_connections"] - before <= 1  # the stats call's own


def test_bad_input_never_touches_the_cache(memcached_cache: Memcached, anon_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(store.ResponseStore, "_call", lambda self, *args: calls.append(args))
    assert anon_client.get(JOBS, {"hours": "-1"}).status_code == 400
    assert anon_client.get(JOBS, {"nosuch": "1"}).status_code == 400
    assert anon_client.get(JOBS, {"hours": "1", "hours2": "1"}).status_code == 400
    assert calls == []
    anon_client.get(JOBS)
    assert calls  # the spy sees a good request


# ---------------------------------------------------------------------------- who sees what


def test_each_visibility_class_has_its_own_entries(
    memcached_cache: Memcached, anon_client: Client, beta_client: Client, staff_client: Client
) -> None:
    url = f"{JOBS}{pandaids(anon_client, 1)[0]}/"
    staff = [staff_client.get(url) for _ in range(2)]
    assert [r["X-Cache"] for r in staff] == ["MISS", "HIT"]
    assert "produserid" in orjson.loads(staff[1].content)["data"]
    assert staff[0]["Cache-Control"] == "private, max-age=60"
    anonymous = [anon_client.get(url) for _ in range(2)]
    assert [r["X-Cache"] for r in anonymous] == ["MISS", "HIT"]
    assert all("produserid" not in orjson.loads(r.content)["data"] for r in anonymous)
    assert anonymous[0]["Cache-Control"] == "max-age=60"
    assert beta_client.get(url)["X-Cache"] == "MISS"


def test_staff_can_force_a_refresh(memcached_cache: Memcached, staff_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_calls(monkeypatch, "jobs_list")
    assert staff_client.get(JOBS)["X-Cache"] == "MISS"
    assert staff_client.get(JOBS)["X-Cache"] == "HIT"
    assert staff_client.get(JOBS, {"refresh": "1"})["X-Cache"] == "MISS"
    assert staff_client.get(JOBS, {"refresh": "0"})["X-Cache"] == "HIT"
    assert len(calls) == 2


@pytest.mark.parametrize("who", ["anon_client", "beta_client"])
def test_nobody_else_can_force_a_refresh(memcached_cache: Memcached, who: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(who)
    response = client.get(JOBS, {"refresh": "1"})
    assert response.status_code == 403
    error = orjson.loads(response.content)["error"]
    assert error["code"] == "forbidden"
    assert "staff only" in error["message"]


def test_a_refresh_takes_only_1(memcached_cache: Memcached, staff_client: Client) -> None:
    response = staff_client.get(JOBS, {"refresh": "yes"})
    assert response.status_code == 400
    assert orjson.loads(response.content)["error"]["fields"] == {"refresh": "must be 1 (staff only)"}


# ---------------------------------------------------------------------------- ETag


def test_a_matching_if_none_match_gets_304(memcached_cache: Memcached, anon_client: Client) -> None:
    first = anon_client.get(JOBS)
    etag = first["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = anon_client.get(JOBS, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert (response["ETag"], response["X-Cache"]) == (etag, "HIT")
    other = anon_client.get(JOBS, headers={"If-None-Match": '"other"'})
    assert other.status_code == 200
    assert other.content == first.content


def test_a_failed_if_match_gets_a_json_412(memcached_cache: Memcached, anon_client: Client) -> None:
    etag = anon_client.get(JOBS)["ETag"]
    assert anon_client.get(JOBS, headers={"If-Match": etag}).status_code == 200
    failed = anon_client.get(JOBS, headers={"If-Match": '"other"'})
    assert failed.status_code == 412 and orjson.loads(failed.content)["error"]["code"] == "precondition_failed"


def test_a_date_precondition_alone_changes_nothing(memcached_cache: Memcached, anon_client: Client) -> None:
    first = anon_client.get(JOBS)
    # The answers give no Last-Modified: If-Modified-Since and If-Unmodified-Since never apply.
    for header in ("If-Modified-Since", "If-Unmodified-Since"):
        for date in ("Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"):
            response = anon_client.get(JOBS, headers={header: date})
            assert (response.status_code, response.content, response["ETag"]) == (200, first.content, first["ETag"]), (header, date)


# ---------------------------------------------------------------------------- stampedes


def test_concurrent_requests_on_a_cold_key_run_the_query_once(memcached_cache: Memcached, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_calls(monkeypatch, "jobs_list", pause=0.3)
    start = threading.Barrier(20)
    responses: list[Any] = []

    def fetch() -> None:
        try:
            start.wait()
            responses.append(Client().get(JOBS, {"hours": "7"}))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fetch) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1
    assert [r.status_code for r in responses] == [200] * 20
    assert sorted(r["X-Cache"] for r in responses) == ["HIT"] * 19 + ["MISS"]
    assert len({r.content for r in responses}) == 1


def test_an_entry_stored_just_before_the_lock_is_taken_is_not_computed_again(
    memcached_cache: Memcached, anon_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = anon_client.get(JOBS)
    calls = count_calls(monkeypatch, "jobs_list")
    reads: list[str] = []
    read = store.ResponseStore.get

    def read_before_the_other_request_stored_it(self: store.ResponseStore, key: str) -> store.Entry | None:
        reads.append(key)
        return None if len(reads) == 1 else read(self, key)

    monkeypatch.setattr(store.ResponseStore, "get", read_before_the_other_request_stored_it)
    second = anon_client.get(JOBS)
    assert (second["X-Cache"], second.content) == ("HIT", first.content)
    assert calls == []


def test_an_expired_entry_is_served_while_another_request_recomputes_it(
    memcached_cache: Memcached, anon_client: Client, pandjango_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pandjango_config("cache.lifetimes", {"production.jobs": 1})
    first = anon_client.get(JOBS)
    time.sleep(1.1)
    calls = count_calls(monkeypatch, "jobs_list")
    monkeypatch.setattr(store.ResponseStore, "take_lock", lambda self, key: False)  # someone else holds it
    stale = anon_client.get(JOBS)
    assert (stale["X-Cache"], stale.content) == ("HIT", first.content)
    assert int(stale["Age"]) >= 1
    assert calls == []


def test_a_failing_query_releases_its_lock(memcached_cache: Memcached, anon_client: Client) -> None:
    started = time.monotonic()
    assert anon_client.get(f"{JOBS}1/").status_code == 404
    assert anon_client.get(f"{JOBS}1/").status_code == 404
    assert time.monotonic() - started < store.LOCK_WAIT_SECONDS / 2


# ---------------------------------------------------------------------------- memcached failing


def wait_for(client: Client, state: str, seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(JOBS)
        if response["X-Cache"] == state or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_memcached_down_answers_uncached_and_caching_resumes_when_it_is_back(
    memcached_cache: Memcached, anon_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    assert anon_client.get(JOBS)["X-Cache"] == "MISS"
    memcached_cache.stop()
    with caplog.at_level(logging.WARNING, logger="pandjango.caching"):
        down = [anon_client.get(JOBS) for _ in range(3)]
        assert [r.status_code for r in down] == [200] * 3
        assert [r["X-Cache"] for r in down] == ["BYPASS"] * 3
        assert orjson.loads(down[0].content)["data"]
        warnings = [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]
        assert len(warnings) == 1, warnings  # once per interval, not once per request
        memcached_cache.start()
        assert wait_for(anon_client, "MISS")["X-Cache"] == "MISS"
        assert anon_client.get(JOBS)["X-Cache"] == "HIT"
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def wait_until_stopped(pid: int, seconds: float = 5) -> None:
    """Until every thread of the process is stopped: a signal is carried out after kill() returns."""
    deadline = time.monotonic() + seconds
    tasks = Path(f"/proc/{pid}/task")
    while time.monotonic() < deadline:
        states = [(task / "stat").read_text().rsplit(")", 1)[1].split()[0] for task in tasks.iterdir()]
        if all(state == "T" for state in states):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not stop")


def test_a_memcached_that_hangs_is_bypassed_after_the_timeout(memcached_cache: Memcached, anon_client: Client, pandjango_config: Any) -> None:
    assert anon_client.get(JOBS)["X-Cache"] == "MISS"
    assert memcached_cache.process is not None
    memcached_cache.process.send_signal(signal.SIGSTOP)
    try:
        wait_until_stopped(memcached_cache.process.pid)
        started = time.monotonic()
        response = anon_client.get(JOBS)
        assert (response.status_code, response["X-Cache"]) == (200, "BYPASS")
        assert time.monotonic() - started < 5
    finally:
        memcached_cache.process.send_signal(signal.SIGCONT)
    assert wait_for(anon_client, "HIT")["X-Cache"] == "HIT"


def test_two_memcached_servers_share_the_entries(settings: Any, memcached_cache: Memcached, anon_client: Client) -> None:
    from tests.pandjango.conftest import caches_for

    second = Memcached()
    second.start()
    try:
        settings.CACHES = caches_for(settings, backend="memcached", servers=[memcached_cache.server, second.server])
        for hours in range(1, 21):
            assert anon_client.get(JOBS, {"hours": str(hours), "limit": "1"})["X-Cache"] == "MISS"
        assert memcached_cache.stats()["curr_items"] > 0
        assert second.stats()["curr_items"] > 0
        second.stop()  # its entries are recomputed, on the other server
        assert all(anon_client.get(JOBS, {"hours": str(h), "limit": "1"}).status_code == 200 for h in range(1, 21))
    finally:
        second.stop()


# ---------------------------------------------------------------------------- big answers


def every_public_field() -> str:
    return ",".join(c for c in queries.JOB_COLUMNS if c not in queries.PERSONAL_COLUMNS)


def test_an_answer_over_1_mb_is_stored_compressed(memcached_cache: Memcached, anon_client: Client) -> None:
    params = {"hours": "96", "limit": "3000", "fields": every_public_field()}
    first = anon_client.get(JOBS, params)
    assert len(first.content) > 1_048_576
    second = anon_client.get(JOBS, params)
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert second.content == first.content
    assert memcached_cache.stats()["bytes"] < store.MEMCACHED_MAX_VALUE


def test_an_answer_too_big_even_compressed_is_not_cached_and_said_so(
    memcached_cache: Memcached, anon_client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(store, "MEMCACHED_MAX_VALUE", 500)
    monkeypatch.setattr(store, "_too_large_warned", {})
    with caplog.at_level(logging.WARNING, logger="pandjango.caching"):
        states = [anon_client.get(JOBS)["X-Cache"] for _ in range(2)]
    assert states == ["MISS", "MISS"]
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("not cached")]
    assert "production.jobs:anonymous:" in line and "over the 500 bytes" in line


def test_the_lock_key_of_a_long_query_fits_in_memcached(memcached_cache: Memcached, anon_client: Client) -> None:
    long_filter = "|".join(f"ANALY_SITE_{n}" for n in range(60))
    assert anon_client.get(JOBS, {"computingsite": long_filter})["X-Cache"] == "MISS"
    assert anon_client.get(JOBS, {"computingsite": long_filter})["X-Cache"] == "HIT"


def test_job_detail_goes_through_the_cache_too(memcached_cache: Memcached, anon_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"{JOBS}{pandaids(anon_client, 1)[0]}/"
    calls = count_calls(monkeypatch, "job_detail")
    assert [anon_client.get(url)["X-Cache"] for _ in range(3)] == ["MISS", "HIT", "HIT"]
    assert len(calls) == 1
