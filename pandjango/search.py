"""Quick search, as the old monitor's front page had it: what does this string name? A
PandaID, a batch id, a JEDI task id, a pilot's TPID, a queue nickname or a user name.

Every lookup is an equality or a prefix on an indexed column (or on SCHEDCONFIG, which is
small), and only for the kinds of thing the string can be: a TPID starts with "tp_", ids are
digits, a batch id is one word. Hits of a section this user may not see are
left out, so the search never points at a 403.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

from pandjango.pandadb.jobs import LIVE_TABLES, find_jobs
from pandjango.pandadb.models import JOB_MODELS, JediTasks, JobsArchived4, PilotQueue, SchedConfig
from pandjango.sections import can_see

MAX_QUEUES = 20
MAX_PILOTS = 20
MAX_ID_DIGITS = 18  # PanDA ids are NUMBER(11); longer strings of digits are not ids
TPID_PREFIX = "tp_"
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


def _pilot_hits(pilots: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        _hit("pilot", p["tpid"], f"/autopilot/pilots/{quote(p['tpid'])}/", f"{p['state']} at {p['nickname']}, batch id {p['jobid']}")
        for p in pilots
    ]


def _pilots(**lookup: str) -> list[dict[str, Any]]:
    rows = PilotQueue.objects.filter(**lookup).values("tpid", "jobid", "nickname", "state", "pandaid").order_by("tpid")
    return [dict(row) for row in rows[:MAX_PILOTS]]


def _batch_pandaids(batchid: str, pilots: list[dict[str, Any]]) -> set[int]:
    """Jobs run under this batch id: through the pilots that carry it (PILOTQUEUE.JOBID, the
    primary key) and in JOBSARCHIVED4.BATCHID (indexed there, and only there)."""
    ids = {p["pandaid"] for p in pilots if p["pandaid"]}
    ids |= set(JobsArchived4.objects.filter(batchid=batchid).values_list("pandaid", flat=True)[:MAX_PILOTS])
    return ids


def _queue_hits(text: str) -> list[dict[str, Any]]:
    queues = list(SchedConfig.objects.filter(nickname__istartswith=text).values("nickname", "status", "cloud").order_by("nickname")[:MAX_QUEUES])
    queues.sort(key=lambda s: s["nickname"].lower() != text.lower())  # the exact name first
    return [_hit("queue", s["nickname"], f"/sites/{quote(s['nickname'])}/", f"{s['status']}, cloud {s['cloud']}") for s in queues]


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
    pilots: list[dict[str, Any]] = []
    pandaids: set[int] = set()
    if "pilot" in visible and text.startswith(TPID_PREFIX):
        pilots += _pilots(tpid=text)
    if one_word and not text.startswith(TPID_PREFIX) and visible & {"pilot", "job"}:
        batch_pilots = _pilots(jobid=text)
        pilots += batch_pilots
        if "job" in visible:
            pandaids |= _batch_pandaids(text, batch_pilots)
    hits: list[dict[str, Any]] = []
    if "job" in visible and (is_id or pandaids):
        hits += _job_hits(pandaids | ({int(text)} if is_id else set()))
    if "task" in visible and is_id:
        hits += _task_hits(int(text))
    if "pilot" in visible:
        hits += _pilot_hits(pilots)
    if "queue" in visible:
        hits += _queue_hits(text)
    if "user" in visible and not is_id:
        hits += _user_hits(text)
    return hits
