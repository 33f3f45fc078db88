"""`?format=csv` on every list and summary: the same rows as the JSON, the same limits and
personal-data rules, quoted by the csv module, a file name, and a cache entry of its own."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from pandjango.api import csvformat

LISTS_AND_SUMMARIES = [
    "/api/production/jobs/",
    "/api/production/jobs/summary/",
    "/api/production/jobs/facets/",
    "/api/production/errors/",
    "/api/production/tasks/",
    "/api/sites/",
    "/api/sites/clouds/",
    "/api/autopilot/pilots/",
    "/api/autopilot/queues/",
    "/api/autopilot/submithosts/",
    "/api/autopilot/services/",
    "/api/autopilot/pilottypes/",
    "/api/stats/jobs/",
    "/api/stats/timeseries/?metric=jobs_finished&groupby=cloud",
    "/api/stats/sites/",
]


def _csv(client: Client, path: str, **params: Any) -> list[dict[str, str]]:
    response = client.get(path, {**params, "format": "csv"})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("path", LISTS_AND_SUMMARIES)
def test_every_list_and_summary_answers_csv_with_a_file_name(staff_client: Client, path: str) -> None:
    response = staff_client.get(path + ("&" if "?" in path else "?") + "format=csv")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="') and response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows and len({len(row) for row in rows}) == 1  # a header, and lines as wide as it


def test_a_list_in_csv_has_the_rows_and_the_limit_of_the_json(staff_client: Client) -> None:
    params = {"limit": 7, "days": 4, "sort": "pandaid", "fields": "pandaid,jobstatus,computingsite"}
    as_json = staff_client.get("/api/production/jobs/", params).json()["data"]
    rows = _csv(staff_client, "/api/production/jobs/", **params)
    assert len(rows) == 7
    assert [row["pandaid"] for row in rows] == [str(row["pandaid"]) for row in as_json]
    assert list(rows[0]) == ["pandaid", "jobstatus", "computingsite", "table"]


def test_personal_data_stays_out_of_csv_for_anonymous_users(anon_client: Client, staff_client: Client) -> None:
    assert "produserid" in _csv(staff_client, "/api/production/jobs/", days=4, limit=5, fields="pandaid,produserid")[0]
    assert "produserid" not in _csv(anon_client, "/api/production/jobs/", days=4, limit=5)[0]
    refused = anon_client.get("/api/production/jobs/", {"format": "csv", "fields": "pandaid,produserid"})
    assert refused.status_code == 400 and refused["Content-Type"] == "application/json"
    assert refused.json()["error"]["fields"]["fields"]


def test_a_csv_answer_and_a_json_answer_never_share_a_cache_entry(anon_client: Client) -> None:
    first_json = anon_client.get("/api/production/jobs/summary/")
    first_csv = anon_client.get("/api/production/jobs/summary/", {"format": "csv"})
    assert (first_json["X-Cache"], first_csv["X-Cache"]) == ("MISS", "MISS")
    again_csv = anon_client.get("/api/production/jobs/summary/", {"format": "csv"})
    again_json = anon_client.get("/api/production/jobs/summary/")
    assert (again_csv["X-Cache"], again_json["X-Cache"]) == ("HIT", "HIT")
    assert again_csv["Content-Type"].startswith("text/csv") and again_csv.content == first_csv.content
    assert again_json["Content-Type"] == "application/json" and again_json.content == first_json.content
    assert again_json["ETag"] != again_csv["ETag"]


def test_an_unknown_format_is_a_400_naming_it(anon_client: Client) -> None:
    response = anon_client.get("/api/production/jobs/", {"format": "xml"})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["fields"] == {"format": "must be one of json, csv"}


def test_the_matrix_is_one_line_per_cell(anon_client: Client) -> None:
    matrix = anon_client.get("/api/stats/jobs/", {"days": 4}).json()["data"]
    rows = _csv(anon_client, "/api/stats/jobs/", days=4)
    assert list(rows[0]) == ["cloud", "jobstatus", "count"]
    assert len(rows) == len(matrix["rows"]) * len(matrix["cols"])
    assert sum(int(row["count"]) for row in rows) == sum(map(sum, matrix["cells"]))


def test_facets_and_the_errors_summary_name_their_group(anon_client: Client) -> None:
    facets = anon_client.get("/api/production/jobs/facets/", {"days": 4}).json()["data"]
    rows = _csv(anon_client, "/api/production/jobs/facets/", days=4)
    assert list(rows[0]) == ["group", "value", "count"]
    assert {row["group"] for row in rows} == {name for name, items in facets.items() if items}
    errors = _csv(anon_client, "/api/production/errors/", days=4)
    assert list(errors[0])[:3] == ["group", "component", "code"] and errors[0]["group"] == "by_code"


def test_the_flat_forms_quote_and_defuse_what_a_spreadsheet_would_run() -> None:
    text = csvformat.render_rows(csvformat.flat_rows([
        {"pandaid": 1, "diag": 'said "no", then, left\nearly', "cmd": "=HYPERLINK(1)", "final": True, "site": None},
    ])).decode()
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row == {"pandaid": "1", "diag": 'said "no", then, left\nearly', "cmd": "'=HYPERLINK(1)", "final": "true", "site": ""}
    series = {"metric": "jobs_finished", "groupby": "cloud", "bins": ["b0", "b1"], "series": [{"name": "US", "values": [1, 2]}]}
    assert csvformat.flat_rows(series) == [{"bin": "b0", "cloud": "US", "jobs_finished": 1}, {"bin": "b1", "cloud": "US", "jobs_finished": 2}]
    regions = [{"cloud": "US", "queues": [{"nickname": "A", "workers": {"running": 1}}, {"nickname": "B", "workers": {"running": 2}}]}]
    assert csvformat.flat_rows(regions) == [
        {"cloud": "US", "nickname": "A", "workers.running": 1}, {"cloud": "US", "nickname": "B", "workers.running": 2},
    ]
    status = {"11": {"jobstatus": "running"}, "12": {"jobstatus": "failed"}}
    assert csvformat.flat_rows(status) == [{"key": "11", "jobstatus": "running"}, {"key": "12", "jobstatus": "failed"}]


def test_an_empty_format_is_a_400_too(anon_client: Client) -> None:
    assert anon_client.get("/api/production/jobs/", {"format": ""}).status_code == 400


def test_the_status_post_answers_csv_too_even_with_no_job_found(anon_client: Client) -> None:
    response = anon_client.post("/api/production/jobs/status/?format=csv", {"pandaid": [2]}, content_type="application/json")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="production-status.csv"'
