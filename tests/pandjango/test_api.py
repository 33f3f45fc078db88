"""What every JSON endpoint shares (API.md, "Conventions"): the error shape, parameter
validation, the time window, the envelope, the 1970 marker as null, and /healthz."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from django.test import Client
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.endpoints.base import ENDPOINTS, SectionView
from pandjango.pandadb.models import JobsDefined4
from tests.api_helpers import with_query

WINDOWED = "/api/stats/jobs/"  # any endpoint with a time window (default 12 h)
SAMPLE_PATH_VALUES = {"int": "6400000001", "str": "ANALY_X"}


def _error(response: Any, status: int) -> dict[str, Any]:
    """The error body of an answer, after checking its status and its shape."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = orjson.loads(response.content)
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status and isinstance(error["code"], str) and isinstance(error["message"], str)
    assert set(error) <= {"status", "code", "message", "fields"}
    return error


def _epoch(text: str) -> float:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _concrete_path(endpoint: type[SectionView]) -> str:
    return re.sub(r"<(\w+)>", lambda m: SAMPLE_PATH_VALUES[endpoint.path_params[m.group(1)]], endpoint.path_template)


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_path_is_a_json_404_with_debug_on_or_off(anon_client: Client, settings: Any, debug: bool) -> None:
    settings.DEBUG = debug
    error = _error(anon_client.get("/api/no/such/thing/"), 404)
    assert error["code"] == "not_found" and "/api/no/such/thing/" in error["message"]


def test_an_unknown_id_is_a_json_404(anon_client: Client) -> None:
    assert _error(anon_client.get("/api/production/jobs/1/"), 404)["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/stats/jobs/", "/api/search/?q=x", "/api/"])
def test_a_method_other_than_get_is_a_json_405(anon_client: Client, path: str) -> None:
    for method in (anon_client.post, anon_client.put, anon_client.delete):
        assert _error(method(path), 405)["code"] == "method_not_allowed"


def test_a_bad_value_is_a_400_naming_the_parameter(anon_client: Client) -> None:
    for hours in ("many", "0"):
        error = _error(anon_client.get(WINDOWED, {"hours": hours}), 400)
        assert error["code"] == "bad_request"
        assert error["fields"] == {"hours": "must be a positive integer"}


def test_an_unknown_parameter_is_a_400_naming_it(anon_client: Client) -> None:
    error = _error(anon_client.get(WINDOWED, {"colud": "US", "hours": "2"}), 400)
    assert error["fields"] == {"colud": "unknown parameter"} and "colud" in error["message"]


def test_a_repeated_parameter_is_a_400_that_suggests_a_or_b(anon_client: Client) -> None:
    error = _error(anon_client.get(WINDOWED + "?cloud=US&cloud=DE"), 400)
    assert error["fields"] == {"cloud": "given more than once"} and "cloud=a|b" in error["message"]


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_every_endpoint_rejects_an_unknown_parameter(staff_client: Client, name: str) -> None:
    error = _error(staff_client.get(_concrete_path(ENDPOINTS[name]), {"no_such_parameter": "1"}), 400)
    assert "no_such_parameter" in error["fields"]


@pytest.mark.parametrize("name", sorted(n for n, e in ENDPOINTS.items() if e.spec.default_hours is not None))
def test_every_windowed_endpoint_rejects_hours_with_days(staff_client: Client, name: str) -> None:
    error = _error(staff_client.get(_concrete_path(ENDPOINTS[name]), {"hours": "2", "days": "1"}), 400)
    assert {"hours", "days"} <= set(error["fields"])


# ---------------------------------------------------------------------------- the window


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"hours": "2", "days": "1"}, {"hours", "days"}),
        ({"hours": "2", "date_from": "2026-01-01T00:00:00Z"}, {"hours", "date_from"}),
        ({"days": "1", "date_to": "2026-01-01T00:00:00Z"}, {"days", "date_to"}),
        ({"hours": "0"}, {"hours"}),
        ({"hours": "-3"}, {"hours"}),
        ({"days": "1.5"}, {"days"}),
        ({"hours": str(30 * 24 + 1)}, {"hours"}),  # limits.max_window_days is 30
        ({"days": "31"}, {"days"}),
        ({"date_from": "yesterday"}, {"date_from"}),
        ({"date_to": "2026-13-01T00:00:00Z"}, {"date_to"}),
        ({"date_from": "2026-01-02T00:00:00Z", "date_to": "2026-01-01T00:00:00Z"}, {"date_from"}),
        ({"date_from": "2026-01-01T00:00:00Z", "date_to": "2026-01-01T00:00:00Z"}, {"date_from"}),
        ({"date_from": "2026-01-01T00:00:00Z", "date_to": "2026-02-01T00:00:01Z"}, {"date_from"}),
    ],
)
def test_it_rejects_a_bad_window(anon_client: Client, params: dict[str, str], fields: set[str]) -> None:
    error = _error(anon_client.get(WINDOWED, params), 400)
    assert set(error["fields"]) == fields, error


def test_the_window_follows_hours_days_and_the_default(get_json) -> None:
    for params, hours in (({}, 12), ({"hours": "3"}, 3), ({"days": "2"}, 48), ({"hours": str(30 * 24)}, 30 * 24)):
        window = get_json(WINDOWED, **params)["meta"]["window"]
        assert _epoch(window["to"]) - _epoch(window["from"]) == hours * 3600
        assert abs(_epoch(window["to"]) - timezone.now().timestamp()) < 60


def test_the_window_follows_date_from_and_date_to(get_json) -> None:
    window = get_json(WINDOWED, date_from="2026-03-01T10:00:00Z", date_to="2026-03-02T10:00:00+02:00")["meta"]["window"]
    assert window == {"from": "2026-03-01T10:00:00Z", "to": "2026-03-02T08:00:00Z"}
    day = get_json(WINDOWED, date_from="2026-03-01", date_to="2026-03-03")["meta"]["window"]
    assert day == {"from": "2026-03-01T00:00:00Z", "to": "2026-03-03T00:00:00Z"}


def test_date_from_alone_ends_now_and_date_to_alone_takes_the_default_length(get_json) -> None:
    start = timezone.now().replace(microsecond=0) - timedelta(hours=5)
    window = get_json(WINDOWED, date_from=iso(start))["meta"]["window"]
    assert window["from"] == iso(start) and abs(_epoch(window["to"]) - timezone.now().timestamp()) < 60
    window = get_json(WINDOWED, date_to="2026-03-02T00:00:00Z")["meta"]["window"]
    assert window == {"from": "2026-03-01T12:00:00Z", "to": "2026-03-02T00:00:00Z"}


def test_the_maximum_window_comes_from_the_config(anon_client: Client, pandjango_config) -> None:
    pandjango_config("limits.max_window_days", 2)
    assert anon_client.get(WINDOWED, {"days": "2"}).status_code == 200
    error = _error(anon_client.get(WINDOWED, {"hours": "49"}), 400)
    assert "limits.max_window_days" in error["fields"]["hours"]


# ---------------------------------------------------------------------------- the envelope


def test_the_envelope_says_when_and_over_which_window(get_json) -> None:
    body = get_json(with_query("/api/stats/sites/", hours=6, limit=2))
    assert set(body) == {"data", "meta"}
    meta = body["meta"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["generated_at"])
    assert abs(_epoch(meta["generated_at"]) - timezone.now().timestamp()) < 60
    assert meta["window"]["from"].endswith("Z") and meta["window"]["to"].endswith("Z")
    assert (meta["limit"], meta["count"]) == (2, len(body["data"])) and isinstance(meta["truncated"], bool)


def test_unset_1970_dates_are_null(get_json) -> None:
    job = JobsDefined4.objects.filter(starttime__year=1970).order_by("pandaid").first()
    assert job is not None, "the seed has jobs that have not started"
    data = get_json(f"/api/production/jobs/{job.pandaid}/")["data"]
    assert data["pandaid"] == job.pandaid
    assert data["starttime"] is None and data["endtime"] is None
    assert data["creationtime"].endswith("Z")


def test_healthz_says_ok(get_json) -> None:
    never_run = {"state": "never run", "fresh_as_of": None, "lag_seconds": None}
    rollups = {**never_run, "parts": {"jobs": never_run, "active": never_run, "workers": never_run, "live_workers": never_run}}
    assert get_json("/healthz") == {"status": "ok", "database": "ok", "cache": "ok", "rollups": rollups}


def test_the_api_index_lists_the_sections_and_the_meta_endpoints(get_json) -> None:
    body = get_json("/api/")
    assert [s["name"] for s in body["data"]] == ["autopilot", "production", "sites", "stats"]
    stats = next(s for s in body["data"] if s["name"] == "stats")
    assert {e["name"] for e in stats["endpoints"]} == {"stats.jobs", "stats.timeseries", "stats.sites"}
    meta = {e["path"]: e for e in body["meta"]["endpoints"]}
    assert {"/api/", "/api/search/", "/api/schema/", "/healthz"} <= set(meta)
    assert meta["/api/search/"]["name"] == "meta.search" and meta["/api/search/"]["summary"]
    assert _error(Client().get("/api/", {"x": "1"}), 400)["code"] == "bad_request"
