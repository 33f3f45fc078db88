"""The Harvester workers (the pilots), their links to their jobs, and HARVESTER_WORKER_STATS."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from .catalogue import HARVESTER_INSTANCES, PILOT_VERSION, SUBMISSIONHOSTS, Queue

WORKER_END = {"finished": "finished", "failed": "failed", "cancelled": "cancelled", "closed": "finished"}


def make_worker(rnd: random.Random, n: int, q: Queue, submitted: datetime, now: datetime, job: dict[str, Any] | None) -> dict[str, Any]:
    """A Harvester worker (a pilot) at queue q, submitted at `submitted`: running the job it
    got, or, without a job, idle, ended, or missed."""
    host = SUBMISSIONHOSTS[n % len(SUBMISSIONHOSTS)]
    batchid = f"{20_000_000 + n}.0"
    started = submitted + timedelta(minutes=rnd.randint(1, 30))
    if job is not None:  # its pilot started before the job did, and so never in the future
        started = min(started, job["starttime"] - timedelta(seconds=60))
    pilotstatus: str | None = None
    if job is None:
        ended = started + timedelta(seconds=rnd.randint(20, 900))
        if started > now:
            status, ended_at, errorcode, diag = "submitted", None, 0, ""
        elif ended > now:
            status, ended_at, errorcode, diag = "idle", None, 0, ""
        else:
            status, errorcode, diag = rnd.choices(
                [("finished", 0, ""), ("missed", 0, "worker was not found in the batch system"),
                 ("failed", 1, "batch job held: exceeded memory limit"), ("cancelled", 0, "killed by harvester sweeper")],
                [70, 10, 12, 8],
            )[0]
            ended_at = ended
        pilotstatus = "finished" if status == "finished" else ("started" if status == "idle" else None)
    else:
        final = job["jobstatus"] in WORKER_END
        ended_at = (job["endtime"] + timedelta(seconds=rnd.randint(10, 300))) if final else None
        if ended_at is not None and ended_at > now:
            ended_at = None
        if ended_at is None:
            status, errorcode, diag = "running", 0, ""
            pilotstatus = "started"
        else:
            status = WORKER_END[job["jobstatus"]] if job["jobstatus"] != "failed" or job.get("piloterrorcode") else "finished"
            errorcode, diag = (1, (job.get("piloterrordiag") or "")[:500]) if status == "failed" else (0, "")
            pilotstatus = "finished"
    lastupdate = min(now, ended_at or max(started if started <= now else submitted, now - timedelta(minutes=rnd.randint(0, 20))))
    log = f"https://{host}.cern.ch/condor_logs/{submitted:%y-%m-%d_%H}/{q.nickname}/{batchid}"
    return {
        "harvesterid": q.harvester, "workerid": 9_000_000 + n, "lastupdate": lastupdate, "status": status,
        "batchid": batchid, "nodeid": f"wn{rnd.randint(1, 900):04d}.{q.siteid.lower()}.org" if started <= now else None,
        "queuename": q.nickname, "computingsite": q.nickname, "submittime": submitted,
        "starttime": started if started <= now else None, "endtime": ended_at, "ncore": q.corecount,
        "errorcode": errorcode, "stdout": f"{log}.out", "stderr": f"{log}.err", "batchlog": f"{log}.log",
        "resourcetype": ("MCORE" if q.corecount > 1 else "SCORE") + ("_HIMEM" if q.nickname.endswith("HIMEM") else ""),
        "nativeexitcode": 0 if status in ("finished", "running", "idle", "submitted") else rnd.choice([1, 143]),
        "nativestatus": {"submitted": "idle", "running": "running", "idle": "running"}.get(status, "completed"),
        "diagmessage": diag, "computingelement": f"ce01.{q.siteid.lower()}.org:9619",
        "njobs": 1 if job is not None else 0, "submissionhost": f"{host},{host}.cern.ch:9618",
        "harvesterhost": HARVESTER_INSTANCES[q.harvester][0], "jdl": f"/data/atlpan/harvester/jdl/{q.nickname}.sdf",
        "jobtype": "user" if q.is_analysis else "managed",
        "pilotstarttime": min(now, started + timedelta(seconds=40)) if pilotstatus else None,
        "pilotendtime": ended_at if pilotstatus == "finished" else None, "pilotstatus": pilotstatus,
        "pilotstatussynctime": lastupdate if pilotstatus else None, "minramcount": 2000 * q.corecount,
    }


def tie_job_to_worker(job: dict[str, Any], worker: dict[str, Any]) -> dict[str, Any]:
    """Sets the job's pilot columns as PanDA does and returns the HARVESTER_REL_JOBS_WORKERS row."""
    job["schedulerid"] = f"harvester-{worker['harvesterid']}"
    job["pilotid"] = f"{worker['stdout']}|htcondor|PR|{PILOT_VERSION}"
    job["batchid"] = worker["batchid"]
    return {"harvesterid": worker["harvesterid"], "workerid": worker["workerid"], "pandaid": job["pandaid"], "lastupdate": worker["lastupdate"]}


def worker_stats(workers: Iterator[dict[str, Any]] | list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """HARVESTER_WORKER_STATS as Harvester reports it: the workers not yet ended, per
    instance, queue, resource type, status and job type."""
    counts: dict[tuple[str, str, str, str, str], int] = {}
    for w in workers:
        if w["status"] in ("submitted", "ready", "running", "idle"):
            key = (w["harvesterid"], w["computingsite"], w["resourcetype"], w["status"], w["jobtype"])
            counts[key] = counts.get(key, 0) + 1
    return [
        {"harvester_id": h, "computingsite": site, "resourcetype": rt, "status": status, "jobtype": jt, "n_workers": n, "lastupdate": now}
        for (h, site, rt, status, jt), n in sorted(counts.items())
    ]
