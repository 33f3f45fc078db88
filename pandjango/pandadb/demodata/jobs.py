"""The jobs, in the tables their states belong to, each with its files, metadata and pilot."""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .. import errorcodes
from ..jobs import FINAL_STATES, FINAL_TABLES
from .catalogue import (
    CLOUDS,
    FINAL_TASK_STATES,
    LABEL_WEIGHTS,
    PROD_USERS,
    RELEASES,
    RUNNING_STATES,
    TABLE_OF_STATE,
    TRANSFORMATIONS,
    UNSET,
    WAITING_STATES,
    Queue,
)
from .files import job_files, job_metadata
from .workers import make_worker, tie_job_to_worker


def _error_for(rnd: random.Random) -> dict[str, Any]:
    component = rnd.choices(["pilot", "exe", "taskbuffer", "jobdispatcher", "ddm", "brokerage"], [55, 20, 10, 8, 5, 2])[0]
    codes = errorcodes.CODES.get(component)
    if component == "exe":
        code, diag = rnd.choice([(65, "Non-zero return code from Reco (65)"), (137, "Non-zero return code from Sim (137): killed"),
                                 (8, "Athena crashed: segmentation violation"), (1, "Transform failed with exit code 1")])
    else:
        assert codes is not None
        code = rnd.choice(sorted(codes))
        diag = f"{codes[code]}: " + rnd.choice(["see pilot log", "rucio error", "timeout after 3600 s", f"node wn{rnd.randint(1, 400):03d}"])
    return {f"{errorcodes.COLUMNS[component][0]}": code, f"{errorcodes.COLUMNS[component][1]}": diag}


def _job_state(rnd: random.Random, created: datetime, now: datetime) -> tuple[str, datetime | None, datetime | None, datetime]:
    """State, start, end and modification time of a job created at `created`."""
    wait = timedelta(minutes=rnd.randint(1, 240))
    run = timedelta(minutes=rnd.randint(10, 720))
    started = created + wait
    if started > now:
        return rnd.choice(WAITING_STATES), None, None, min(now, created + timedelta(minutes=rnd.randint(0, 30)))
    ended = started + run
    if ended > now:
        return rnd.choice(RUNNING_STATES), started, None, min(now, started + timedelta(minutes=rnd.randint(0, 60)))
    state = rnd.choices(["finished", "failed", "cancelled", "closed"], [85, 10, 3, 2])[0]
    modified = min(now, ended + timedelta(seconds=rnd.randint(5, 600)))
    return state, started, ended, modified


def _pick_label(rnd: random.Random) -> str:
    return rnd.choices([label for label, _ in LABEL_WEIGHTS], [w for _, w in LABEL_WEIGHTS])[0]


@dataclass
class Generated:
    tables: tuple[str, ...]
    job: dict[str, Any]
    worker: dict[str, Any] | None
    relation: dict[str, Any] | None
    files: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None


def generate_jobs(rnd: random.Random, queues: list[Queue], tasks: list[dict[str, Any]], jobs: int, days: int,
                  now: datetime, retention_days: int) -> Iterator[Generated]:
    """Yields each job with the tables it sits in and the worker that ran it, and the
    workers that ran no job. Finished jobs modified in the day after JOBSARCHIVED4's
    retention boundary sit in the archive too, as after PanDA's daily copy."""
    online = [q for q in queues if q.status in ("online", "test")] or queues
    boundary = now - timedelta(days=retention_days)
    span = days * 86400
    pilot_n = 0
    row_id = 1
    # A task in a final state has only jobs that ended: a job still waiting or running
    # belongs to a task that is not over.
    unfinished_tasks = [t for t in tasks if t["status"] not in FINAL_TASK_STATES] or tasks
    for i in range(jobs):
        created = now - timedelta(seconds=span * (1 - (i + rnd.random()) / jobs))
        state, started, ended, modified = _job_state(rnd, created, now)
        candidates = tasks if state in FINAL_STATES else unfinished_tasks
        task = candidates[rnd.randrange(len(candidates))]
        label = task["prodsourcelabel"] if rnd.random() < 0.9 else _pick_label(rnd)
        analysis = label in ("user", "panda")
        q = rnd.choice([x for x in online if x.is_analysis == analysis] or online) if i % 50 else rnd.choice(queues)
        table = TABLE_OF_STATE[state]
        tables: tuple[str, ...] = (table,)
        if table == "archived" and modified < boundary:
            tables = ("archive",)
        elif table == "archived" and modified < boundary + timedelta(days=1):
            tables = FINAL_TABLES
        user = task["username"] if analysis else rnd.choice(PROD_USERS)
        pandaid = 6_400_000_000 + i
        job: dict[str, Any] = {
            "pandaid": pandaid, "jobdefinitionid": 1_000_000 + i // 20, "schedulerid": None, "pilotid": None,
            "batchid": None, "parentid": pandaid - 17 if rnd.random() < 0.05 else None, "jobsetid": 9000 + i // 50,
            "jobname": f"{task['taskname'].rstrip('/')}._{i % 100000:06d}", "creationtime": created,
            "modificationtime": modified, "statechangetime": modified, "starttime": started or UNSET, "endtime": ended or UNSET,
            "creationhost": "aipanda031.cern.ch", "modificationhost": f"wn{rnd.randint(1, 900):04d}.{q.siteid.lower()}.org" if started else None,
            "prodsourcelabel": label, "produsername": user,
            "produserid": f"/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN={user}/CN={zlib.crc32(user.encode()) % 900000 + 100000}/CN={user.title()}",
            "computingsite": q.nickname, "computingelement": f"ce01.{q.siteid.lower()}.org", "cloud": q.cloud,
            "nucleus": CLOUDS[q.cloud][0], "vo": "atlas", "workinggroup": task["workinggroup"] if not analysis else None,
            "countrygroup": None, "processingtype": task["processingtype"], "gshare": "User Analysis" if analysis else "MC Simulation",
            "resource_type": "MCORE" if q.corecount > 1 else "SCORE", "eventservice": 0,
            "transformation": rnd.choice(TRANSFORMATIONS[label]), "atlasrelease": rnd.choice(RELEASES),
            "homepackage": "AtlasOffline/24.0.23", "cmtconfig": "x86_64-el9-gcc13-opt", "jobstatus": state,
            "jobsubstatus": None, "commandtopilot": None, "transexitcode": "0" if state == "finished" else None,
            "jeditaskid": task["jeditaskid"], "taskid": task["jeditaskid"] % 10**9, "reqid": task["reqid"],
            "assignedpriority": task["taskpriority"], "currentpriority": task["currentpriority"],
            "attemptnr": rnd.choice([1, 1, 1, 2, 3]), "maxattempt": 5,
            "piloterrorcode": 0, "piloterrordiag": None, "exeerrorcode": 0, "exeerrordiag": None, "superrorcode": 0,
            "superrordiag": None, "ddmerrorcode": 0, "ddmerrordiag": None, "brokerageerrorcode": 0, "brokerageerrordiag": None,
            "jobdispatchererrorcode": 0, "jobdispatchererrordiag": None, "taskbuffererrorcode": 0, "taskbuffererrordiag": None,
            "cpuconsumptiontime": int((ended - started).total_seconds() * q.corecount * 0.8) if ended and started else 0,
            "corecount": q.corecount, "actualcorecount": q.corecount if started else None, "hs06": 10 * q.corecount,
            "hs06sec": None, "maxrss": rnd.randint(500_000, 3_000_000) * q.corecount if ended else None,
            "maxpss": None, "maxvmem": None, "minramcount": 2000 * q.corecount, "maxwalltime": 86400,
            "nevents": rnd.choice([100, 500, 1000, 2000]) if state == "finished" else 0, "ninputfiles": rnd.randint(1, 10),
            "inputfilebytes": rnd.randint(10**8, 10**10), "outputfilebytes": rnd.randint(10**7, 10**9) if state == "finished" else 0,
            "proddblock": f"{task['taskname'].rstrip('/')}.input", "destinationdblock": f"{task['taskname'].rstrip('/')}.output",
            "destinationse": f"{q.siteid}_DATADISK", "sourcesite": None, "destinationsite": None,
        }
        if state == "failed":
            job.update(_error_for(rnd))
        elif state == "cancelled":
            job.update({"taskbuffererrorcode": 100, "taskbuffererrordiag": "killed by user"})
        worker, relation = None, None
        if started is not None and state != "cancelled":
            pilot_n += 1
            worker = make_worker(rnd, pilot_n, q, started - timedelta(minutes=rnd.randint(2, 30)), now, job)
            relation = tie_job_to_worker(job, worker)
        files = job_files(job, task, row_id)
        row_id += len(files)
        yield Generated(tables, job, worker, relation, files, job_metadata(job, task))
        if rnd.random() < 0.15:  # a worker that ran no job: still queued, idle, ended or missed
            pilot_n += 1
            yield Generated((), {}, make_worker(rnd, pilot_n, q, created, now, None), None)
