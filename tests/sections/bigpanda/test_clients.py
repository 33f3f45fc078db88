"""The tools written for the BigPanDA monitor, pointed at Pandjango by changing only the
host: pandamonium itself (installed from PyPI) against a live server, and the requests of
panda-client's monitor queries, Rucio's workload collector, a site's collectd plugin and a
task monitor, with their headers, each answer read the way that client reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from django.test import Client
from django.utils import timezone

from pandjango.pandadb.models import JOB_MODELS, JediDatasets, MetaTable

from .conftest import JSON_HEADERS, not_retried, task_jobs

BIGPANDA = "https://bigpanda.cern.ch"
# pandamonium's command line with its one address, BIGPANDA, replaced by the live server's.
PANDAMON = f"""
import sys, urllib.request
import pandamonium.pandamon as pandamon
here = sys.argv.pop(1)
def urlopen(request, *args, **kwargs):
    request.full_url = request.full_url.replace("{BIGPANDA}", here, 1)
    return urllib.request.urlopen(request, *args, **kwargs)
pandamon.urlopen = urlopen
sys.exit(pandamon.main())
"""


def pandamon(server: str, *args: str) -> str:
    env = {**os.environ, "USER": "nobody", "GRID_USER_NAME": ""}
    env.pop("RUCIO_ACCOUNT", None)
    done = subprocess.run([sys.executable, "-c", PANDAMON, server, *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def on(server: str, request: Request) -> Any:
    request.full_url = request.full_url.replace(BIGPANDA, server, 1)
    with urlopen(request, timeout=60) as answer:
        return answer.read().decode("utf-8")


def percent_finished(jeditaskid: int) -> float:
    ds = JediDatasets.objects.get(jeditaskid=jeditaskid, type="input")
    return (100 * ds.nfilesfinished // ds.nfiles) / 100.0


def metadata_sums(jeditaskid: int) -> dict[str, int]:
    sums: dict[str, int] = {}
    for text in MetaTable.objects.filter(pandaid__in=list(task_jobs(jeditaskid))).values_list("metadata", flat=True):
        for key, value in json.loads(text)["user_job_metadata"].items():
            sums[key] = sums.get(key, 0) + value
    return sums


@pytest.mark.django_db(databases=["default", "panda"], transaction=False)
def test_pandamonium_lists_a_users_task_with_its_progress(live_server: Any, user_task: dict[str, Any]) -> None:
    printed = pandamon(live_server.url, user_task["taskname"], "-c", "-d", "30")
    pct = percent_finished(user_task["jeditaskid"])
    assert printed == f"{user_task['status']} {user_task['jeditaskid']} {pct:.0%} {user_task['taskname']} \n"


def test_pandamonium_prints_a_tasks_output_datasets_and_ids(live_server: Any, user_task: dict[str, Any]) -> None:
    name = user_task["taskname"]
    assert pandamon(live_server.url, name, "-s", "-d", "30") == f"{name.rstrip('/')}.output/\n"
    assert pandamon(live_server.url, name, "-t", "-d", "30") == f"{user_task['jeditaskid']}\n"


def test_pandamonium_sums_the_metadata_of_a_tasks_jobs(live_server: Any, user_task: dict[str, Any]) -> None:
    printed = pandamon(live_server.url, user_task["taskname"], "-m", "-d", "30")
    sums = metadata_sums(user_task["jeditaskid"])
    assert printed.split("  ", 1) == [user_task["taskname"], ", ".join(f"{k}:{v}" for k, v in sums.items()) + "\n"]


def test_pandamoniums_jobs_query_gives_each_jobs_metastruct(live_server: Any, user_task: dict[str, Any]) -> None:
    from pandamonium.pandamon import get_jobid_request

    reply = json.loads(on(live_server.url, get_jobid_request(user_task["jeditaskid"], days=30, force=True)))
    documents = [job["metastruct"] for job in reply["jobs"] if job]
    assert len(documents) == MetaTable.objects.filter(pandaid__in=list(not_retried(user_task["jeditaskid"]))).count() > 0


def _time(text: str) -> datetime:
    """As panda-client's datetime_parser reads times: these two forms, nothing else."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def test_panda_clients_task_query(anon_client: Client, user_task: dict[str, Any]) -> None:
    params = {"json": 1, "datasets": True, "limit": 10000, "username": user_task["username"],
              "taskname": user_task["taskname"].rstrip("/") + "*", "days": 30, "timestamp": 1764633600}
    response = anon_client.get(f"/tasks/?{urlencode(params)}", headers=JSON_HEADERS)
    tasks = json.loads(response.content)
    assert [t["jeditaskid"] for t in tasks] == [user_task["jeditaskid"]]
    assert _time(tasks[0]["creationdate"]) == user_task["creationdate"].replace(tzinfo=None)
    assert tasks[0]["dsinfo"]["pctfinished"] == int(percent_finished(user_task["jeditaskid"]) * 100)


def test_panda_clients_jobs_query(anon_client: Client, busy_task: int) -> None:
    for drop in (True, False):
        params = {"json": 1, "limit": 10000, "jeditaskid": busy_task, **({} if drop else {"mode": "nodrop"})}
        jobs = json.loads(anon_client.get(f"/jobs/?{urlencode(params)}", headers=JSON_HEADERS).content)["jobs"]
        assert {j["pandaid"] for j in jobs} == (not_retried(busy_task) if drop else set(task_jobs(busy_task)))
        assert all(isinstance(_time(j["creationtime"]), datetime) for j in jobs)


def test_rucios_collector_reads_the_queues_of_running_analysis_jobs(anon_client: Client) -> None:
    response = anon_client.get("/jobs/?category=analysis&jobstatus=running", headers={"Accept": "application/json"})
    sites = [job["computingsite"] for job in json.loads(response.content)["jobs"]]
    running = JOB_MODELS["active"]._default_manager.filter(jobstatus="running")
    assert sorted(sites) == sorted(running.values_list("computingsite", flat=True))


def test_a_sites_collectd_plugin_splits_the_text_into_jobs(anon_client: Client) -> None:
    # A running job at a CE with jobs in the plugin's window (the last hour).
    recent = timezone.now() - timedelta(minutes=50)
    job = JOB_MODELS["active"]._default_manager.filter(jobstatus="running", modificationtime__gte=recent).order_by("pandaid").first()
    assert job is not None
    params = f"hours=1&fields=pandaid,modificationhost,jobstatus&computingelement={job.computingelement}"
    text = anon_client.get(f"/jobs/?{params}", headers={"Accept": "application/json"}).content.decode()
    listed = text[text.index('"jobs": [') + len('"jobs": ['): text.index('], "errsByCount"')]
    pieces = listed.strip("{}").split("}, {") if listed else []
    expected = JOB_MODELS["active"]._default_manager.filter(computingelement=job.computingelement).count()
    assert 0 < len(pieces) <= expected + JOB_MODELS["defined"]._default_manager.filter(computingelement=job.computingelement).count()
    assert all(piece.startswith('"pandaid": ') and '"jobstatus": ' in piece for piece in pieces)


def test_a_task_monitor_reads_job_states_and_error_diags(anon_client: Client, busy_task: int) -> None:
    body = json.loads(anon_client.get(f"/jobs/?jeditaskid={busy_task}&json", headers={"Accept": "application/json"}).content)
    states = next(s for s in body["selectionsummary"] if s["field"] == "jobstatus")["list"]
    jobs = [job for pandaid, job in task_jobs(busy_task).items() if pandaid in not_retried(busy_task)]
    assert sum(s["kvalue"] for s in states) == len(jobs)
    failed_diags = {v for j in jobs if j["jobstatus"] == "failed" for k, v in j.items() if k.endswith("errordiag") and v}
    assert all(isinstance(e["diag"], str) for e in body["errsByCount"])
    assert {e["diag"] for e in body["errsByCount"]} <= failed_diags | {""}
