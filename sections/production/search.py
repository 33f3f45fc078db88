"""The kinds of quick-search hit the production section owns: jobs, tasks and users."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from pandjango.endpoints.search import Lookup, hit, register_kind
from pandjango.pandadb.jobs import LIVE_TABLES, find_jobs
from pandjango.pandadb.models import JOB_MODELS, JediTasks


def _job_hits(pandaids: Iterable[int]) -> list[dict[str, Any]]:
    jobs = find_jobs(pandaids, ["jobstatus", "computingsite"])
    return [
        hit("job", pandaid, f"/production/jobs/{pandaid}/", f"{job['jobstatus']} at {job['computingsite']}")
        for pandaid, job in sorted(jobs.items())
    ]


def jobs(lookup: Lookup) -> list[dict[str, Any]]:
    """The job with this PandaID, and the jobs run under this batch id."""
    pandaids = set(lookup.batch_pandaids) if lookup.one_word else set()
    if lookup.is_id:
        pandaids.add(int(lookup.text))
    return _job_hits(pandaids) if pandaids else []


def tasks(lookup: Lookup) -> list[dict[str, Any]]:
    if not lookup.is_id:
        return []
    found = JediTasks.objects.filter(jeditaskid=int(lookup.text)).values("jeditaskid", "taskname", "status")
    return [hit("task", t["jeditaskid"], f"/production/tasks/{t['jeditaskid']}/", f"{t['status']}: {t['taskname']}") for t in found]


def users(lookup: Lookup) -> list[dict[str, Any]]:
    """A user with jobs in the live job tables (the recent ones) or with JEDI tasks."""
    if lookup.is_id:
        return []
    name = lookup.text
    for table in LIVE_TABLES:
        if JOB_MODELS[table]._default_manager.filter(produsername=name).exists():
            return [hit("user", name, "/production/jobs/?" + urlencode({"produsername": name}), "jobs of this user")]
    if JediTasks.objects.filter(username=name).exists():
        return [hit("user", name, "/production/tasks/?" + urlencode({"username": name}), "tasks of this user")]
    return []


register_kind("job", "production", 1, jobs)
register_kind("task", "production", 2, tasks)
register_kind("user", "production", 5, users)
