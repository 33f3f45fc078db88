"""Input that used to reach the database or Python's limits unchecked: each is a 4xx JSON
that names the parameter, never a 500, on every endpoint that takes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from pandjango.endpoints.base import ENDPOINTS

LISTS = ["/api/production/jobs/", "/api/sites/", "/api/autopilot/pilots/", "/api/production/tasks/"]
WINDOWED = ["/api/production/jobs/", "/api/production/jobs/summary/", "/api/production/errors/", "/api/autopilot/info/", "/api/sites/clouds/"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("sort", ["--pandaid", "--nickname", "--lastupdate", "--jeditaskid", "-", "+pandaid"])
def test_a_doubled_or_bare_sign_in_sort_is_a_400(get_json: Callable[..., Any], url: str, sort: str) -> None:
    body = get_json(url, status=400, sort=sort)
    assert "sort" in body["error"]["fields"]


@pytest.mark.parametrize("url", WINDOWED)
@pytest.mark.parametrize(
    "params",
    [
        {"date_to": "0001-01-01"},
        {"date_from": "0001-01-01", "date_to": "0001-01-02"},
        {"date_from": "9999-12-31T23:00:00-05:00"},
        {"date_from": "9999-12-31T20:00:00+05:00", "date_to": "9999-12-31T23:59:59+05:00"},
        {"date_from": "1969-12-31T23:59:59Z", "date_to": "1970-01-01T01:00:00Z"},
    ],
    ids=["year-1-end", "year-1", "year-9999-minus", "year-9999-plus", "before-1970"],
)
def test_a_date_at_the_calendars_edge_is_a_400(get_json: Callable[..., Any], url: str, params: dict[str, str]) -> None:
    body = get_json(url, status=400, **params)
    assert set(body["error"]["fields"]) & {"date_from", "date_to"}


@pytest.mark.parametrize(("name", "value"), [("hours", "١٢"), ("days", "٣"), ("limit", "١٠"), ("hours", "１２"), ("limit", "+5")])
def test_digits_that_are_not_ascii_are_not_numbers(get_json: Callable[..., Any], name: str, value: str) -> None:
    body = get_json("/api/production/jobs/", status=400, **{name: value})
    assert name in body["error"]["fields"]


NUMERIC_FILTERS = [("/api/production/jobs/", "pandaid"), ("/api/autopilot/pilots/", "workerid"), ("/api/production/jobs/", "jeditaskid")]


@pytest.mark.parametrize(("url", "name"), NUMERIC_FILTERS)
def test_a_numeric_filter_takes_only_ascii_digits(get_json: Callable[..., Any], url: str, name: str) -> None:
    body = get_json(url, status=400, **{name: "١٢"})
    assert name in body["error"]["fields"]


@pytest.mark.parametrize("url", ["/api/production/jobs/", "/api/production/jobs/summary/", "/api/sites/", "/api/autopilot/pilots/"])
def test_a_long_wildcard_alternation_is_refused_before_any_query(get_json: Callable[..., Any], url: str) -> None:
    field = "computingsite" if "sites" not in url else "nickname"
    body = get_json(url, status=400, **{field: "a*" * 200})
    assert field in body["error"]["fields"]
    many = "|".join(f"Q{i}" for i in range(101))
    assert field in get_json(url, status=400, **{field: many})["error"]["fields"]


def test_a_deeply_nested_status_body_is_a_400(anon_client: Client) -> None:
    for body in ("[" * 5000, '{"pandaid": ' + "[" * 2000 + "1" + "]" * 2000 + "}"):
        response = anon_client.post("/api/production/jobs/status/", body, content_type="application/json")
        assert response.status_code == 400 and response["Content-Type"].startswith("application/json")


def test_options_on_a_hidden_section_reveals_nothing(
    anon_client: Client, beta_client: Client, pandjango_config: Callable[[str, Any], None]
) -> None:
    pandjango_config("sections.stats.state", "beta")
    hidden = [cls.path_template for cls in ENDPOINTS.values() if cls.section == "stats" and "<" not in cls.path_template]
    assert hidden
    for path in hidden:
        response = anon_client.options(path)
        assert response.status_code == 403, path
        assert b"Jobs Matrix" not in response.content and b"description" not in response.content
        assert beta_client.options(path).status_code == 200


def _hostile_values(cls: type) -> list[tuple[str, str]]:
    """For an endpoint, each class of hostile value for each parameter it takes."""
    spec = cls.spec
    names = set(spec.parameter_names())
    values: list[tuple[str, str]] = []
    if spec.is_list:
        values += [("sort", "--" + spec.sort_fields[0]), ("limit", "١٠")]
    if spec.default_hours is not None:
        values += [("date_to", "0001-01-01"), ("date_from", "9999-12-31T23:00:00-05:00"), ("hours", "١٢")]
    if spec.filterset is not None:
        for name, flt in spec.filterset.base_filters.items():
            if name in names:
                values.append((name, "١٢" if getattr(flt, "numeric", False) else "a*" * 100))
    return values


OUR_FUZZ = [
    pytest.param(cls.path_template, name, value, id=f"{cls.endpoint}-{name}")
    for cls in ENDPOINTS.values()
    if "<" not in cls.path_template
    for name, value in _hostile_values(cls)
]


@pytest.mark.parametrize(("path", "name", "value"), OUR_FUZZ)
def test_every_endpoint_answers_each_class_of_hostile_value_with_a_4xx_naming_it(
    staff_client: Client, path: str, name: str, value: str
) -> None:
    response = staff_client.get(path, {name: value})
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert name in response.json()["error"].get("fields", {}), response.content[:300]
