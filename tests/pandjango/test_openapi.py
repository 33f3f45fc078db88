"""/api/schema/: a valid OpenAPI 3 document that describes every endpoint of API.md, with its
parameters and the shape of its answer."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import orjson
import pytest
import schemathesis
from django.conf import settings as django_settings
from django.test import Client
from django.urls import Resolver404, resolve
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.validation import validate_schema

from pandjango.endpoints.base import ENDPOINTS, SectionView
from pandjango.endpoints.meta import PandjangoSchemaGenerator
from tests.api_helpers import as_json_schema, with_query

# Every path API.md lists, in OpenAPI's {param} form.
API_MD_PATHS = (
    "/api/production/jobs/",
    "/api/production/jobs/{pandaid}/",
    "/api/production/jobs/summary/",
    "/api/production/jobs/facets/",
    "/api/production/jobs/status/",
    "/api/production/tasks/",
    "/api/production/tasks/{jeditaskid}/",
    "/api/production/errors/",
    "/api/sites/",
    "/api/sites/{nickname}/",
    "/api/sites/clouds/",
    "/api/autopilot/pilots/",
    "/api/autopilot/pilots/{harvesterid}/{workerid}/",
    "/api/autopilot/queues/",
    "/api/autopilot/submithosts/",
    "/api/autopilot/services/",
    "/api/autopilot/pilottypes/",
    "/api/autopilot/info/",
    "/api/stats/jobs/",
    "/api/stats/timeseries/",
    "/api/stats/sites/",
    "/api/",
    "/api/search/",
    "/api/schema/",
    "/api/meta/queries/",
    "/api/meta/cache/",
    "/healthz",
)
SAMPLE_PATH_VALUES = {"int": "6400000001", "str": "ANALY_X"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The whole document, as staff see it (generated once: it takes a while)."""
    generated = PandjangoSchemaGenerator().get_schema(request=None, public=True)
    return orjson.loads(OpenApiJsonRenderer().render(generated))


def test_it_is_served_at_api_schema(staff_client: Client, document: dict[str, Any]) -> None:
    response = staff_client.get("/api/schema/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert orjson.loads(response.content)["paths"].keys() == document["paths"].keys()


def _openapi_path(endpoint: type[SectionView]) -> str:
    return re.sub(r"<(\w+)>", r"{\1}", endpoint.path_template)


def _concrete_path(endpoint: type[SectionView]) -> str:
    return re.sub(r"<(\w+)>", lambda m: SAMPLE_PATH_VALUES[endpoint.path_params[m.group(1)]], endpoint.path_template)


def test_it_is_a_valid_openapi_3_document(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    validate_schema(document)  # the OpenAPI 3.0 JSON Schema that drf-spectacular ships
    schemathesis.openapi.from_dict(document).validate()  # and schemathesis' own reading of it


@pytest.mark.parametrize("path", API_MD_PATHS)
def test_it_describes_every_path_of_api_md(document: dict[str, Any], path: str) -> None:
    try:
        resolve(re.sub(r"\{\w+\}", "1", path))
    except Resolver404:
        pytest.fail(f"{path} of API.md is not served")
    assert path in document["paths"], f"{path} is served but missing from /api/schema/"
    operation = document["paths"][path]["get"]
    assert operation["responses"]["200"]["content"], path


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_every_registered_endpoint_has_its_path_parameters_and_answer(document: dict[str, Any], name: str) -> None:
    endpoint = ENDPOINTS[name]
    assert resolve(_concrete_path(endpoint)).func.view_class is endpoint  # type: ignore[attr-defined]
    operation = document["paths"][_openapi_path(endpoint)]["get"]
    assert operation["operationId"] == name.replace(".", "_")
    documented = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
    expected = {("query", p) for p in endpoint.spec.parameter_names()} | {("path", p) for p in endpoint.path_params}
    assert expected <= documented, expected - documented
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(answer["required"]) == {"data", "meta"}
    assert answer["properties"]["data"] == endpoint.data_schema
    assert {"400", "403"} <= set(operation["responses"])


def test_choices_and_required_parameters_are_typed(document: dict[str, Any]) -> None:
    params = {p["name"]: p for p in document["paths"]["/api/stats/timeseries/"]["get"]["parameters"]}
    assert params["metric"]["required"] is True
    assert set(params["metric"]["schema"]["enum"]) == {"jobs_finished", "jobs_failed", "jobs_created", "pilots_submitted"}
    assert set(params["bin"]["schema"]["enum"]) == {"5m", "15m", "1h", "1d"} and params["bin"]["schema"]["default"] == "1h"
    assert params["top"]["schema"]["type"] == "integer"
    assert [p["name"] for p in document["paths"]["/api/search/"]["get"]["parameters"]] == ["format", "q", "refresh"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/", {}),
        ("/healthz", {}),
        ("/api/search/", {"q": "ANALY_"}),
        ("/api/stats/jobs/", {"rows": "jeditaskid"}),
        ("/api/stats/timeseries/", {"metric": "jobs_created", "groupby": "nucleus", "top": 2}),
        ("/api/stats/timeseries/", {"metric": "pilots_submitted"}),
        ("/api/stats/sites/", {"days": 1}),
    ],
)
def test_answers_match_the_documented_schema(document: dict[str, Any], get_json, path: str, params: dict[str, Any]) -> None:
    body = get_json(with_query(path, **params))
    schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(body, as_json_schema(schema, strict=True), format_checker=jsonschema.FormatChecker())


def test_it_hides_a_section_this_user_may_not_see(anon_client: Client, pandjango_config) -> None:
    pandjango_config("sections.stats.state", "beta")
    paths = orjson.loads(anon_client.get("/api/schema/").content)["paths"]
    assert "/api/stats/jobs/" not in paths and "/api/search/" in paths and "/healthz" in paths


def test_the_document_constrains_sort_dates_numbers_and_fields() -> None:
    document = orjson.loads(Client().get("/api/schema/").content)
    params = {p["name"]: p["schema"] for p in document["paths"]["/api/production/jobs/"]["get"]["parameters"]}
    assert "pandaid" in params["sort"]["enum"] and "-modificationtime" in params["sort"]["enum"]
    assert "--pandaid" not in params["sort"]["enum"]
    assert params["date_from"]["format"] == params["date_to"]["format"] == "date-time"
    assert params["hours"]["minimum"] == 1 and params["hours"]["maximum"] == django_settings.PANDJANGO["limits"]["max_window_days"] * 24
    assert params["limit"]["maximum"] == django_settings.PANDJANGO["limits"]["max_limit"]
    pattern = re.compile(params["fields"]["pattern"])
    assert pattern.match("pandaid,jobstatus") and not pattern.match("pandaid,,jobstatus") and not pattern.match("nosuchfield")
