"""Batch job status for pipelines (/api/production/jobs/status/), GET and POST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from django.db import connections
from django.test import Client

from pandjango.api.output import iso
from pandjango.pandadb.jobs import FINAL_STATES
from pandjango.pandadb.models import JOB_MODELS

STATUS = "/api/production/jobs/status/"
UNKNOWN = [11, 12]


def one_job_per_table() -> dict[str, dict[str, Any]]:
    jobs = {}
    for table, model in JOB_MODELS.items():
        job = model._default_manager.order_by("pandaid").values("pandaid", "jobstatus", "modificationtime", "computingsite").first()
        if job is not None:
            jobs[table] = dict(job)
    assert {"defined", "active", "archived", "archive"} <= set(jobs)
    return jobs


def post(client: Client, body: Any, **extra: Any) -> Any:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post(STATUS, data, content_type="application/json", **extra)


def test_it_gives_the_state_of_each_job_wherever_it_is(get_json: Callable[..., Any]) -> None:
    jobs = one_job_per_table()
    ids = [job["pandaid"] for job in jobs.values()]
    body = get_json(STATUS, pandaid=",".join(map(str, ids)))
    assert list(body["data"]) == [str(i) for i in ids]
    for table, job in jobs.items():
        assert body["data"][str(job["pandaid"])] == {
            "jobstatus": job["jobstatus"],
            "table": table,
            "modificationtime": iso(job["modificationtime"]),
            "computingsite": job["computingsite"],
            "final": job["jobstatus"] in FINAL_STATES,
        }
    assert body["meta"]["missing"] == [] and body["meta"]["count"] == len(ids)


def test_it_lists_ids_found_nowhere_as_missing(get_json: Callable[..., Any]) -> None:
    known = one_job_per_table()["active"]["pandaid"]
    body = get_json(STATUS, pandaid=f"{UNKNOWN[0]},{known},{UNKNOWN[1]}")
    assert list(body["data"]) == [str(known)]
    assert body["meta"]["missing"] == UNKNOWN


def test_it_agrees_with_the_job_detail(get_json: Callable[..., Any]) -> None:
    ids = [job["pandaid"] for job in one_job_per_table().values()]
    data = get_json(STATUS, pandaid=",".join(map(str, ids)))["data"]
    for pandaid in ids:
        detail = get_json(f"/api/production/jobs/{pandaid}/")["data"]
        status = data[str(pandaid)]
        shared = ("jobstatus", "table", "modificationtime", "computingsite")
        assert {k: detail[k] for k in shared} == {k: status[k] for k in shared}
        assert status["final"] == (detail["jobstatus"] in ("finished", "failed", "cancelled", "closed"))


def test_a_repeated_id_is_answered_once(get_json: Callable[..., Any]) -> None:
    known = one_job_per_table()["defined"]["pandaid"]
    body = get_json(STATUS, pandaid=f"{known},{known}")
    assert list(body["data"]) == [str(known)] and body["meta"]["count"] == 1


@pytest.mark.parametrize("raw", ["", "abc", "1,,2", "1,-2", "0", "1.5", "1;2", "٣", str(10**11), str(10**25)])
def test_it_rejects_what_is_not_a_pandaid(get_json: Callable[..., Any], raw: str) -> None:
    error = get_json(STATUS, status=400, pandaid=raw)["error"]
    assert "pandaid" in error["fields"]


def test_it_needs_pandaid(get_json: Callable[..., Any]) -> None:
    assert "pandaid" in get_json(STATUS, status=400)["error"]["fields"]


def test_it_rejects_an_unknown_parameter(get_json: Callable[..., Any]) -> None:
    assert get_json(STATUS, status=400, pandaid="1", hours="3")["error"]["fields"] == {"hours": "unknown parameter"}


def test_it_takes_up_to_the_configured_number_of_ids(get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.max_status_ids", 3)
    assert get_json(STATUS, pandaid="1,2,3")["meta"]["missing"] == [1, 2, 3]
    error = get_json(STATUS, status=400, pandaid="1,2,3,4")["error"]
    assert "limits.max_status_ids" in error["message"] and "3" in error["fields"]["pandaid"]


def test_a_post_takes_a_thousand_ids_out_of_the_box(anon_client: Client) -> None:
    ids = list(range(6_500_000_000, 6_500_001_000))
    response = post(anon_client, {"pandaid": ids})
    assert response.status_code == 200 and orjson.loads(response.content)["meta"]["missing"] == ids
    too_many = post(anon_client, {"pandaid": [*ids, 1]})
    assert too_many.status_code == 400 and b"limits.max_status_ids" in too_many.content


def test_a_get_takes_a_thousand_ids_out_of_the_box(get_json: Callable[..., Any]) -> None:
    ids = list(range(6_500_000_000, 6_500_001_000))
    assert get_json(STATUS, pandaid=",".join(map(str, ids)))["meta"]["missing"] == ids


def test_a_get_is_also_bound_by_the_length_of_the_query_string(get_json: Callable[..., Any], pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.max_query_string", 4096)
    ids = ",".join(str(i) for i in range(6_500_000_000, 6_500_001_000))
    assert "limits.max_query_string" in get_json(STATUS, status=414, pandaid=ids)["error"]["message"]


def test_it_reads_each_table_once_whatever_the_number_of_ids(anon_client: Client, django_assert_num_queries: Any) -> None:
    ids = [job["pandaid"] for job in one_job_per_table().values()] + list(range(1, 200))
    with django_assert_num_queries(len(JOB_MODELS), connection=connections["panda"]):
        assert anon_client.get(STATUS, {"pandaid": ",".join(map(str, ids))}).status_code == 200


# ---------------------------------------------------------------------------- POST


def test_a_post_from_a_plain_client_needs_no_session_or_csrf_token(get_json: Callable[..., Any]) -> None:
    ids = [job["pandaid"] for job in one_job_per_table().values()] + UNKNOWN
    response = post(Client(enforce_csrf_checks=True), {"pandaid": ids})
    assert response.status_code == 200, response.content
    assert response["X-Cache"] == "BYPASS" and response["Cache-Control"] == "no-store"
    body = orjson.loads(response.content)
    by_get = get_json(STATUS, pandaid=",".join(map(str, ids)))
    assert body["data"] == by_get["data"] and body["meta"]["missing"] == UNKNOWN


def test_a_post_from_a_signed_in_browser_needs_no_csrf_token(staff_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = post(client, {"pandaid": ["1", 2]})
    assert response.status_code == 200, response.content
    assert orjson.loads(response.content)["meta"]["missing"] == [1, 2]


def test_a_post_counts_the_session_of_a_beta_tester(beta_user: Any, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("sections.production.state", "beta")
    assert post(Client(), {"pandaid": [1]}).status_code == 403
    client = Client(enforce_csrf_checks=True)
    client.force_login(beta_user)
    assert post(client, {"pandaid": [1]}).status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "pandaid"),
        ({"pandaid": []}, "pandaid"),
        ({"pandaid": "1,2"}, "pandaid"),
        ({"pandaid": [1, "x"]}, "pandaid"),
        ({"pandaid": [1, True]}, "pandaid"),
        ({"pandaid": [1.5]}, "pandaid"),
        ({"pandaid": [-1]}, "pandaid"),
        ({"pandaid": [None]}, "pandaid"),
        (b'{"pandaid": [10000000000000000000000000]}', "pandaid"),
        ({"pandaid": [1], "jobstatus": "running"}, "jobstatus"),
        ([1, 2], "pandaid"),
    ],
)
def test_a_post_rejects_a_bad_body(anon_client: Client, body: Any, field: str) -> None:
    response = post(anon_client, body)
    assert response.status_code == 400, response.content
    assert field in orjson.loads(response.content)["error"]["fields"]


def test_a_post_rejects_too_many_ids(anon_client: Client, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("limits.max_status_ids", 2)
    response = post(anon_client, {"pandaid": [1, 2, 3]})
    assert response.status_code == 400 and b"limits.max_status_ids" in response.content


def test_a_post_rejects_broken_json_and_other_media_types(anon_client: Client) -> None:
    broken = anon_client.post(STATUS, b"{pandaid", content_type="application/json")
    assert broken.status_code == 400 and broken["Content-Type"] == "application/json"
    form = anon_client.post(STATUS, "pandaid=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and orjson.loads(form.content)["error"]["code"] == "unsupported_media_type"


def test_a_post_takes_no_query_parameters(anon_client: Client) -> None:
    response = anon_client.post(STATUS + "?pandaid=1", orjson.dumps({"pandaid": [1]}), content_type="application/json")
    assert response.status_code == 400 and orjson.loads(response.content)["error"]["fields"] == {"pandaid": "unknown parameter"}


def test_other_methods_are_refused_in_json(anon_client: Client) -> None:
    response = anon_client.delete(STATUS)
    assert response.status_code == 405 and orjson.loads(response.content)["error"]["code"] == "method_not_allowed"


def test_the_openapi_document_describes_the_post_body_and_the_missing_ids(anon_client: Client) -> None:
    response = anon_client.get("/api/schema/")
    assert response.status_code == 200
    operations = orjson.loads(response.content)["paths"][STATUS]
    body = operations["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["pandaid"] and body["properties"]["pandaid"]["items"]["type"] == "integer"
    for method in ("get", "post"):
        meta = operations[method]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["meta"]
        assert meta["properties"]["missing"]["items"]["type"] == "integer"
    assert any(p["name"] == "pandaid" for p in operations["get"]["parameters"])
