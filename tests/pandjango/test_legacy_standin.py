"""The stand-in old monitor of the demo shows the demo database's figures: its pages read the
PanDA SQLite file, read-only, as `make demo` starts it beside the server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from pandjango.legacy.standin import StandinServer
from pandjango.pandadb.models import JediTasks, JobsActive4, JobsArchived4, JobsDefined4, JobsWaiting4
from tests.legacy_helpers import running_standin

pytestmark = [pytest.mark.once, pytest.mark.django_db(databases=["panda"])]


@pytest.fixture
def old_monitor(panda_data: dict[str, Any]) -> Iterator[StandinServer]:
    with running_standin(database=settings.DATABASES["panda"]["NAME"]) as server:
        yield server


def page(server: StandinServer, query: str) -> str:
    response = httpx.get(f"{server.base_url}query?{query}", timeout=10)
    assert response.status_code == 200
    return response.text


def cells(text: str, first: str) -> list[str]:
    """The cells of the table row that starts with `first`."""
    row = re.search(rf"<tr><td>(?:<a [^>]*>)?{re.escape(first)}(?:</a>)?</td>(.*?)</tr>", text)
    assert row, first
    return re.findall(r"<td>(\d+)</td>", row.group(1))


def jobs_in_the_last_12_hours(**filters: Any) -> int:
    since = timezone.now() - timedelta(hours=12)
    ids: set[int] = set()
    for model in (JobsDefined4, JobsWaiting4, JobsActive4, JobsArchived4):
        ids |= set(model.objects.filter(Q(modificationtime__gte=since), **filters).values_list("pandaid", flat=True))
    return len(ids)


def test_the_clouds_page_counts_the_demo_s_jobs(old_monitor: StandinServer) -> None:
    text = page(old_monitor, "dash=clouds")
    cloud = JobsArchived4.objects.filter(jobstatus="failed").values_list("cloud", flat=True).order_by("cloud")[0]
    running, finished, failed = (int(n) for n in cells(text, cloud)[3:4] + cells(text, cloud)[5:7])
    # The figures may move on by a job or two between the page and these counts: now moves.
    assert abs(failed - jobs_in_the_last_12_hours(cloud=cloud, jobstatus="failed")) <= 2
    assert abs(finished - jobs_in_the_last_12_hours(cloud=cloud, jobstatus="finished")) <= 2
    assert abs(running - jobs_in_the_last_12_hours(cloud=cloud, jobstatus="running")) <= 2
    assert finished > 0


def test_the_task_list_is_the_demo_s_tasks(old_monitor: StandinServer) -> None:
    text = page(old_monitor, "mode=listtasks")
    newest = JediTasks.objects.order_by("-modificationtime", "jeditaskid").values("jeditaskid", "taskname", "status").first()
    assert newest is not None
    assert f"<td>{newest['taskname']}</td><td>{newest['status']}</td>" in text


def test_a_job_page_shows_the_job_s_state_and_queue(old_monitor: StandinServer) -> None:
    job = JobsArchived4.objects.values("pandaid", "jobstatus", "computingsite").first()
    assert job is not None
    text = page(old_monitor, f"job={job['pandaid']}")
    assert f"<td>{job['jobstatus']}</td>" in text and job["computingsite"] in text
