"""Quick search, as the old monitor's front page had it: what does this string name? A
PandaID, a batch id (of jobs and of the Harvester workers that ran them), a JEDI task id, a
Harvester worker id, a queue nickname or a user name.

Every lookup is an equality or a prefix on an indexed column (a worker id is the second
column of HARVESTER_WORKERS' key, read by an index skip scan over the few instances; the
queues are the cached SCHEDCONFIG_JSON set), and only for the kinds of thing the string can
be: ids are digits, a batch id is one word. Hits of a section this user may not see are
left out, so the search never points at a 403.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

from pandjango.pandadb.jobs import LIVE_TABLES, find_jobs
from pandjango.pandadb.models import JOB_MODELS, HarvesterRelJobsWorkers, HarvesterWorkers, JediTasks
from pandjango.pandadb.queues import all_queues
from pandjango.sections import can_see

MAX_QUEUES = 20
MAX_PILOTS = 20
MAX_ID_DIGITS = 18  # PanDA ids are NUMBER(11); longer strings of digits are not ids
# The job tables with an index on BATCHID.
BATCHID_TABLES = ("archived", "archive")
ONE_WORD = re.compile(r"^[\w.@:+/-]+$")

# The section a kind of hit belongs to, and so who may see it.
SECTION_OF_KIND = {"job": "production", "task": "production", "user": "production", "pilot": "autopilot", "queue": "sites"}


def _hit(kind: str, id_: Any, url: str, label: str) -> dict[str, Any]:
    return {"kind": kind, "id": str(id_), "url": url, "label": label}


def _job_hits(pandaids: Iterable[int]) -> list[dict[str, Any]]:
    jobs = find_jobs(pandaids, ["jobstatus", "computingsite"])
    return [
        _hit("job", pandaid, f"/production/jobs/{pandaid}/", f"{job['jobstatus']} at {job['computingsite']}")
        for pandaid, job in sorted(jobs.items())
    ]


def _task_hits(jeditaskid: int) -> list[dict[str, Any]]:
    tasks = JediTasks.objects.filter(jeditaskid=jeditaskid).values("jeditaskid", "taskname", "status")
    return [_hit("task", t["jeditaskid"], f"/production/tasks/{t['jeditaskid']}/", f"{t['status']}: {t['taskname']}") for t in tasks]


def _pilot_hits(workers: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        _hit(
            "pilot", f"{w['harvesterid']}/{w['workerid']}", f"/autopilot/pilots/{quote(w['harvesterid'])}/{w['workerid']}/",
            f"{w['status']} at {w['computingsite']}, batch id {w['batchid']}",
        )
        for w in workers
    ]


WORKER_FIELDS = ("harvesterid", "workerid", "status", "computingsite", "batchid")


def _workers_with_id(workerid: int) -> list[dict[str, Any]]:
    rows = HarvesterWorkers.objects.filter(workerid=workerid).values(*WORKER_FIELDS).order_by("harvesterid")
    return [dict(row) for row in rows[:MAX_PILOTS]]


def _batch_pandaids(batchid: str) -> set[int]:
    """Jobs run under this batch id (BATCHID is indexed in the final job tables only)."""
    ids: set[int] = set()
    for table in BATCHID_TABLES:
        ids |= set(JOB_MODELS[table]._default_manager.filter(batchid=batchid).values_list("pandaid", flat=True)[:MAX_PILOTS])
    return ids


def _workers_of_jobs(pandaids: set[int], batchid: str) -> list[dict[str, Any]]:
    """The workers that ran these jobs and carry this batch id."""
    if not pandaids:
        return []
    keys = HarvesterRelJobsWorkers.objects.filter(pandaid__in=pandaids).values_list("harvesterid", "workerid")[:MAX_PILOTS]
    found: list[dict[str, Any]] = []
    for harvesterid, workerid in keys:
        found += HarvesterWorkers.objects.filter(harvesterid=harvesterid, workerid=workerid, batchid=batchid).values(*WORKER_FIELDS)
    return sorted({(w["harvesterid"], w["workerid"]): w for w in found}.values(), key=lambda w: (w["harvesterid"], w["workerid"]))


def _queue_hits(text: str) -> list[dict[str, Any]]:
    wanted = text.lower()
    queues = [q for q in all_queues() if q["nickname"].lower().startswith(wanted)][:MAX_QUEUES]
    queues.sort(key=lambda q: q["nickname"].lower() != wanted)  # the exact name first
    return [_hit("queue", q["nickname"], f"/sites/{quote(q['nickname'])}/", f"{q['status']}, cloud {q['cloud']}") for q in queues]


def _user_hits(name: str) -> list[dict[str, Any]]:
    """A user with jobs in the live job tables (the recent ones) or with JEDI tasks."""
    for table in LIVE_TABLES:
        if JOB_MODELS[table]._default_manager.filter(produsername=name).exists():
            return [_hit("user", name, "/production/jobs/?" + urlencode({"produsername": name}), "jobs of this user")]
    if JediTasks.objects.filter(username=name).exists():
        return [_hit("user", name, "/production/tasks/?" + urlencode({"username": name}), "tasks of this user")]
    return []


def quick_search(text: str, user: Any) -> list[dict[str, Any]]:
    """Everything `text` names, jobs first, then tasks, pilots, queues and users."""
    visible = {kind for kind, section in SECTION_OF_KIND.items() if can_see(user, section)}
    is_id = text.isdigit() and len(text) <= MAX_ID_DIGITS
    one_word = bool(ONE_WORD.match(text))
    workers: list[dict[str, Any]] = []
    pandaids: set[int] = set()
    if one_word and visible & {"pilot", "job"}:
        batch_pandaids = _batch_pandaids(text)
        if "job" in visible:
            pandaids |= batch_pandaids
        if "pilot" in visible:
            workers += _workers_of_jobs(batch_pandaids, text)
    if "pilot" in visible and is_id:
        workers += [w for w in _workers_with_id(int(text)) if w not in workers]
    hits: list[dict[str, Any]] = []
    if "job" in visible and (is_id or pandaids):
        hits += _job_hits(pandaids | ({int(text)} if is_id else set()))
    if "task" in visible and is_id:
        hits += _task_hits(int(text))
    if "pilot" in visible:
        hits += _pilot_hits(workers)
    if "queue" in visible:
        hits += _queue_hits(text)
    if "user" in visible and not is_id:
        hits += _user_hits(text)
    return hits
