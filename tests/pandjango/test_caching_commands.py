"""`manage.py cache show|warm`, /api/meta/cache/, /api/meta/ping/, and the start-up check of
[cache] against the endpoints."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client

from pandjango import config
from pandjango.caching import points
from tests.memcached import Memcached

ROOT = Path(__file__).resolve().parents[2]
JOBS = "/api/production/jobs/"


def run_cache(*args: str) -> str:
    out = StringIO()
    call_command("cache", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


# ---------------------------------------------------------------------------- cache show


def test_show_lists_every_endpoint_with_its_lifetime(pandjango_config: Any) -> None:
    pandjango_config("cache.lifetimes", {"production.jobs": 120, "production.job": 0})
    out = run_cache("show")
    assert f"backend: {django_settings.PANDJANGO['cache']['backend']}" in out  # memory, or memcached in the PostgreSQL run
    assert "default lifetime: 60 s (cache.default)" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("production.")}
    assert lines["production.jobs"][1:4] == ["120", "s", "cache.lifetimes"]
    assert lines["production.job"][1:3] == ["off", "cache.lifetimes"]
    assert lines["production.jobs"][-1] == "/api/production/jobs/"


# ---------------------------------------------------------------------------- cache warm


def test_warm_makes_the_configured_paths_hot(memcached_cache: Memcached, pandjango_config: Any, anon_client: Client) -> None:
    pandjango_config("cache.warm", [JOBS, f"{JOBS}?hours=6&jobstatus=failed"])
    out = run_cache("warm")
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"warmed {JOBS}  200 MISS  ")
    assert lines[0].endswith(" s")
    assert anon_client.get(JOBS)["X-Cache"] == "HIT"
    assert anon_client.get(JOBS, {"jobstatus": "failed", "hours": "6"})["X-Cache"] == "HIT"


def test_warm_recomputes_what_is_already_cached(memcached_cache: Memcached, anon_client: Client) -> None:
    first = anon_client.get(JOBS, {"hours": "5"})
    assert run_cache("warm", f"{JOBS}?hours=5").startswith(f"warmed {JOBS}?hours=5  200 MISS")
    assert anon_client.get(JOBS, {"hours": "5"})["X-Cache"] == "HIT"
    assert first["X-Cache"] == "MISS"


@pytest.mark.parametrize("path", ["/api/nosuch/", f"{JOBS}?hours=-1", "/healthz"])
def test_warm_fails_on_a_path_it_cannot_warm(memcached_cache: Memcached, path: str) -> None:
    with pytest.raises(CommandError, match="1 of 1 paths not warmed"):
        run_cache("warm", path)


def test_warm_with_nothing_configured_says_so() -> None:
    assert run_cache("warm") == "nothing to warm: cache.warm is empty\n"


# ---------------------------------------------------------------------------- /api/meta/


def test_staff_see_the_caching_points(staff_client: Client, pandjango_config: Any) -> None:
    pandjango_config("cache.lifetimes", {"production.jobs": 120})
    response = staff_client.get("/api/meta/cache/")
    assert response.status_code == 200
    body = orjson.loads(response.content)
    points = {p["endpoint"]: p for p in body["data"]["endpoints"]}
    assert points["production.jobs"] == {"endpoint": "production.jobs", "path": JOBS, "lifetime": 120, "set_by": "cache.lifetimes"}
    assert points["production.job"]["set_by"] == "cache.default"
    assert body["data"]["backend"] == django_settings.PANDJANGO["cache"]["backend"]  # memory, or memcached in the PostgreSQL run
    assert "generated_at" in body["meta"]


@pytest.mark.parametrize("who", ["anon_client", "beta_client"])
def test_nobody_else_sees_the_caching_points(who: str, request: pytest.FixtureRequest) -> None:
    response = request.getfixturevalue(who).get("/api/meta/cache/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert orjson.loads(response.content)["error"]["message"] == "/api/meta/cache/ is for staff only"


def test_the_caching_points_take_no_parameters(staff_client: Client) -> None:
    assert staff_client.get("/api/meta/cache/", {"x": "1"}).status_code == 400


@pytest.mark.no_db
def test_ping_answers_without_a_database(anon_client: Client) -> None:
    response = anon_client.get("/api/meta/ping/")
    assert (response.status_code, response.content) == (200, b'{"status":"ok"}')


def test_the_meta_endpoints_are_in_the_openapi_document(anon_client: Client) -> None:
    paths = orjson.loads(anon_client.get("/api/schema/", {"format": "json"}).content)["paths"]
    assert "/api/meta/cache/" in paths and "/api/meta/ping/" in paths


# ---------------------------------------------------------------------------- start-up


def test_an_unknown_endpoint_under_lifetimes_is_a_configuration_error(pandjango_config: Any) -> None:
    pandjango_config("cache.lifetimes", {"production.jbos": 5})
    with pytest.raises(config.ConfigError, match=r'cache.lifetimes."production.jbos" is not an endpoint name'):
        points.check_config()


def test_a_warm_path_that_is_no_endpoint_is_a_configuration_error(pandjango_config: Any) -> None:
    pandjango_config("cache.warm", ["/api/production/jbos/"])
    with pytest.raises(config.ConfigError, match=r"cache.warm: /api/production/jbos/ is not the path of an API endpoint"):
        points.check_config()


@pytest.mark.no_db
def test_start_up_stops_with_one_line_naming_the_key_and_the_file(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "pandjango.toml"
    path.write_text(Path(settings.PANDJANGO["_path"]).read_text() + '\n[cache.lifetimes]\n"production.jbos" = 5\n')
    env = {**os.environ, "PANDJANGO_CONFIG": str(path)}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == (
        f'pandjango: configuration error: {path}: cache.lifetimes."production.jbos" is not an endpoint name (`manage.py cache show` lists them)\n'
    )
