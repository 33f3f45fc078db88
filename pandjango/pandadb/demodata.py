"""A realistic, deterministic PanDA database for the demo, the tests and the benchmarks.

The same seed and reference time give the same rows. Jobs sit in the table their state
belongs to (PANDA-SCHEMA.md); times are consistent (creation <= start <= end <= modification,
nothing starts after the reference time, a pilot starts before its job); a task in a final
state (done, finished, failed, broken, aborted) has only jobs that ended;
about 10% of finished jobs fail with a code of the right component and its diag. Queues are
SCHEDCONFIG_JSON documents with the keys real ones have (plus one with keys missing and, where
the column is text, one of broken JSON); pilots are Harvester workers in their real statuses,
linked to their jobs by HARVESTER_REL_JOBS_WORKERS and by the jobs' SCHEDULERID, PILOTID and
BATCHID; a few finished jobs sit in both JOBSARCHIVED4 and the archive, as during PanDA's
daily copy. Each job has its files (inputs, an output, a log) in FILESTABLE4, or in the
archive's FILESTABLE_ARCH, finished analysis jobs their metadata in METATABLE, and each task
its parameters in JEDI_TASKPARAMS. These are derived from the other rows without drawing
from the random generator, so adding them left every other row as it was.
"""

from __future__ import annotations

import json
import random
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import dates, errorcodes
from .jobs import FINAL_STATES, FINAL_TABLES

UNSET = dates.UNSET.replace(tzinfo=None)  # demo dates are naive UTC, made aware on insert

CLOUDS: dict[str, tuple[str, list[str]]] = {
    # cloud: (tier-1 site, other sites)
    "CA": ("TRIUMF", ["SFU", "MCGILL", "UVIC", "TORONTO"]),
    "CERN": ("CERN-PROD", ["CERN-P1", "CERN-TZERO"]),
    "DE": ("FZK", ["DESY-HH", "LRZ-LMU", "MPPMU", "GOEGRID", "WUPPERTAL"]),
    "ES": ("PIC", ["IFIC", "IFAE", "UAM"]),
    "FR": ("IN2P3-CC", ["GRIF-LAL", "LAPP", "LPSC", "CPPM"]),
    "IT": ("INFN-T1", ["INFN-MILANO", "INFN-NAPOLI", "INFN-ROMA1", "INFN-FRASCATI"]),
    "ND": ("NDGF-T1", ["ARC-BERGEN", "SIGNET"]),
    "NL": ("SARA-MATRIX", ["NIKHEF-ELPROD", "TECHNION"]),
    "RU": ("RRC-KI-T1", ["JINR", "IHEP", "ITEP", "PNPI"]),
    "TW": ("TAIWAN-LCG2", ["TW-FTT", "AU-ATLAS"]),
    "UK": ("RAL-LCG2", ["UKI-NORTHGRID-MAN-HEP", "UKI-SCOTGRID-GLASGOW", "UKI-LT2-QMUL", "UKI-SOUTHGRID-OX-HEP"]),
    "US": ("BNL-ATLAS", ["AGLT2", "MWT2", "SWT2_CPB", "NET2", "SLAC", "OU_OSCER"]),
}
CLOUD_NAMES = sorted(CLOUDS)
COUNTRIES = {
    "CA": "Canada", "CERN": "Switzerland", "DE": "Germany,Poland,Czechia", "ES": "Spain,Portugal",
    "FR": "France,Romania,Japan", "IT": "Italy", "ND": "Norway,Sweden,Denmark,Slovenia",
    "NL": "Netherlands,Israel", "RU": "Russia", "TW": "Taiwan,Australia",
    "UK": "United Kingdom", "US": "United States",
}
# Harvester instances: id -> (host, owner, version); the last one has stopped reporting.
HARVESTER_INSTANCES = {
    "CERN_central_A": ("aipanda171.cern.ch", "atlpan", "0.5.14"),
    "CERN_central_B": ("aipanda172.cern.ch", "atlpan", "0.5.14"),
    "CERN_central_k8s": ("harvester-k8s-01.cern.ch", "atlpan", "0.5.13"),
    "BNL_harvester": ("gridgk08.racf.bnl.gov", "usatlas1", "0.5.12"),
    "cern_cloud_old": ("aipanda160.cern.ch", "atlpan", "0.4.9"),
}
SUBMISSIONHOSTS = ["aipanda171", "aipanda172", "aipanda173", "gridgk08", "harvester-k8s-01"]
RESOURCE_TYPES = {
    # name: (mincore, maxcore, minrampercore, maxrampercore)
    "SCORE": (1, 1, 0, 2000), "MCORE": (2, None, 0, 2000),
    "SCORE_HIMEM": (1, 1, 2001, None), "MCORE_HIMEM": (2, None, 2001, None),
}
PILOT_VERSION = "3.9.2.41"
USERS = [
    "jdoe", "asmith", "mmueller", "lrossi", "pdupont", "kwong", "yivanov", "sgarcia", "tnakamura",
    "olsson", "rkowalski", "bchen", "ahernandez", "fbianchi", "dkim", "jnovak", "emartin", "vpetrov",
    "hlee", "gfischer",
]
PROD_USERS = ["atlas-dpd-production", "gangarbt", "atlas-mc-production"]
TRANSFORMATIONS = {
    "managed": ["Reco_tf.py", "Sim_tf.py", "Derivation_tf.py", "EVNTtoHITS_tf.py", "Merge_tf.py"],
    "user": ["runGen-00-00-02", "runAthena-00-00-12", "buildJob-00-00-03"],
    "panda": ["runAthena-00-00-12"],
    "ptest": ["Sim_tf.py"],
    "prod_test": ["Reco_tf.py"],
    "rc_test": ["runAthena-00-00-12"],
    "install": ["installPackage.py"],
}
PROCESSINGTYPES = {"managed": ["simul", "reprocessing", "evgen", "merge", "deriv"], "user": ["panda-client-1.5-jedi-run"]}
RELEASES = ["Athena 24.0.23", "Athena 23.0.41", "AthSimulation 21.0.15", "AnalysisBase 25.2.12"]
CAMPAIGNS = ["MC23a", "MC23c", "data24", "MC21a", "group"]

LABEL_WEIGHTS = [("managed", 60), ("user", 30), ("panda", 3), ("ptest", 3), ("prod_test", 1), ("rc_test", 1), ("install", 2)]
# Where an unfinished job is, by how far along it is.
WAITING_STATES = ["pending", "defined", "assigned", "waiting", "activated", "throttled"]
RUNNING_STATES = ["sent", "starting", "running", "running", "running", "holding", "transferring", "merging"]
# JEDI's task states after which a task runs no more jobs.
FINAL_TASK_STATES = frozenset({"done", "finished", "failed", "broken", "aborted"})
TABLE_OF_STATE = {
    "pending": "defined", "defined": "defined", "assigned": "defined", "waiting": "defined",
    "activated": "active", "throttled": "active", "sent": "active", "starting": "active",
    "running": "active", "holding": "active", "transferring": "active", "merging": "active",
    "finished": "archived", "failed": "archived", "cancelled": "archived", "closed": "archived",
}


@dataclass
class Queue:
    nickname: str
    siteid: str
    cloud: str
    tier: str
    status: str
    is_analysis: bool
    corecount: int
    harvester: str = ""


@dataclass
class DemoData:
    """Every generated row, by table (names as in PANDA-SCHEMA.md)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


def make_queues(rnd: random.Random) -> list[Queue]:
    queues: list[Queue] = []
    harvesters = list(HARVESTER_INSTANCES)[:-1]
    for cloud in CLOUD_NAMES:
        tier1, others = CLOUDS[cloud]
        for i, site in enumerate([tier1, *others]):
            tier = "T1" if i == 0 else ("T2D" if i % 3 == 0 else "T2")
            short = site.replace("-", "_").replace("UKI_", "").upper()
            names = [f"{short}_PROD", f"ANALY_{short}", f"{short}_MCORE", f"{short}_UCORE", f"{short}_HIMEM", f"{short}_TEST"]
            count = 6 if i == 0 else rnd.choice([2, 3, 4, 5])
            for nick in names[:count]:
                status = rnd.choices(["online", "offline", "test", "brokeroff"], [85, 6, 5, 4])[0]
                if nick.endswith("_TEST"):
                    status = "test"
                corecount = 8 if nick.endswith(("MCORE", "UCORE")) else 1
                harvester = "BNL_harvester" if cloud == "US" and i < 3 else harvesters[len(nick) % (len(harvesters) - 1)]
                queues.append(Queue(nick, site, cloud, tier, status, nick.startswith("ANALY_"), corecount, harvester))
    return queues


# A queue whose document lacks most keys, and (where the column takes any text) one whose
# document is not JSON at all: the monitor must show what they have.
SPARSE_QUEUE = "SPARSE_DOC_TEST"
BROKEN_QUEUE = "BROKEN_DOC_TEST"


def queue_document(q: Queue, rnd: random.Random, now: datetime) -> dict[str, Any]:
    """A SCHEDCONFIG_JSON document with the keys real CRIC documents have."""
    comments = ["", "", "", "HC.Blacklist.set.offline", "downtime: storage upgrade", "test queue for new CE", "HC.Test.Me"]
    kind = "analysis" if q.is_analysis else ("unified" if q.nickname.endswith("UCORE") else "production")
    host = q.siteid.lower()
    return {
        "nickname": q.nickname, "siteid": q.nickname, "panda_resource": q.nickname,
        "atlas_site": q.siteid, "rc_site": q.siteid, "gocname": q.siteid, "panda_site": q.siteid,
        "cloud": q.cloud, "region": q.cloud, "country": COUNTRIES[q.cloud].split(",")[0], "tier": q.tier,
        "tier_level": int(q.tier[1]),
        "status": q.status, "state": "ACTIVE" if q.status != "offline" else "DISABLED",
        "comment": comments[rnd.randrange(len(comments))] if q.status != "online" else "",
        "lastmod": (now - timedelta(hours=rnd.randint(1, 500))).strftime("%Y-%m-%dT%H:%M:%S"),
        "type": kind, "resource_type": "GRID", "capability": "ucore" if q.corecount > 1 else "score",
        "catchall": "", "workflow": "pull_ups" if q.corecount > 1 else "pull",
        "corecount": q.corecount, "corepower": round(rnd.uniform(9.0, 14.0), 2),
        "maxtime": rnd.choice([86400, 172800, 259200]), "maxrss": 2000 * q.corecount,
        "minrss": 0, "memory": 2000 * q.corecount,
        "harvester": q.harvester, "pilot_manager": "Harvester", "pilot_version": PILOT_VERSION,
        "maxinputsize": 14336, "maxwdir": 32768,
        "copytools": {"rucio": {"setup": ""}},
        "queues": [
            {"ce_endpoint": f"ce{n:02d}.{host}.org:9619", "ce_flavour": "HTCONDOR-CE", "ce_jobmanager": "condor", "ce_state": "ACTIVE"}
            for n in range(1, rnd.randint(2, 3))
        ],
    }


def _queues_and_sitedata(data: DemoData, rnd: random.Random, queues: list[Queue], now: datetime, vendor: str) -> None:
    for q in queues:
        data.add("SCHEDCONFIG_JSON", {
            "panda_queue": q.nickname, "data": json.dumps(queue_document(q, rnd, now)),
            "last_update": now - timedelta(minutes=rnd.randint(1, 30)),
        })
        flag = "analysis" if q.is_analysis else "production"
        for hours in (1, 3):
            data.add("SITEDATA", {
                "site": q.nickname, "flag": flag, "hours": hours, "getjob": rnd.randint(0, 900) * hours,
                "updatejob": rnd.randint(0, 3000) * hours, "nojob": rnd.randint(0, 50) * hours,
                "nstart": rnd.randint(0, 400) * hours, "finished": rnd.randint(0, 400) * hours,
                "failed": rnd.randint(0, 40) * hours, "defined": rnd.randint(0, 20), "assigned": rnd.randint(0, 50),
                "waiting": 0, "activated": rnd.randint(0, 300), "holding": rnd.randint(0, 20),
                "running": rnd.randint(0, 400), "transferring": rnd.randint(0, 30),
                "lastmod": now - timedelta(minutes=rnd.randint(1, 10)),
            })
    data.add("SCHEDCONFIG_JSON", {
        "panda_queue": SPARSE_QUEUE, "data": json.dumps({"cloud": "CERN", "status": "test", "corecount": "eight"}),
        "last_update": now - timedelta(hours=2),
    })
    if vendor != "postgresql":  # PostgreSQL's json type refuses a broken document
        data.add("SCHEDCONFIG_JSON", {"panda_queue": BROKEN_QUEUE, "data": '{"cloud": "CERN", "status": ', "last_update": now - timedelta(hours=3)})


def _harvester_and_reference(data: DemoData, rnd: random.Random, now: datetime) -> None:
    for i, (harvester_id, (host, owner, version)) in enumerate(HARVESTER_INSTANCES.items()):
        stale = i == len(HARVESTER_INSTANCES) - 1
        data.add("HARVESTER_INSTANCES", {
            "harvester_id": harvester_id, "description": f"Harvester on {host}", "owner": owner, "hostname": host,
            "starttime": now - timedelta(days=rnd.randint(2, 40)),
            "lastupdate": now - (timedelta(days=rnd.randint(2, 9)) if stale else timedelta(seconds=rnd.randint(10, 240))),
            "sw_version": version, "commit_stamp": f"{version}-{zlib.crc32(harvester_id.encode()):08x}",
        })
    for name, (mincore, maxcore, minram, maxram) in RESOURCE_TYPES.items():
        data.add("RESOURCE_TYPES", {"resource_name": name, "mincore": mincore, "maxcore": maxcore, "minrampercore": minram, "maxrampercore": maxram})
    ident = 0
    for component, codes in errorcodes.CODES.items():
        for code, text in sorted(codes.items()):
            ident += 1
            data.add("ERROR_DESCRIPTIONS", {
                "id": ident, "component": errorcodes.TABLE_COMPONENT.get(component, component), "code": code, "acronym": text.upper().replace(" ", "_")[:64],
                "diagnostics": text, "description": text, "category": 0,
            })


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


def _tasks(data: DemoData, rnd: random.Random, count: int, now: datetime, days: int) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for i in range(count):
        label = "managed" if i % 3 else "user"
        username = rnd.choice(PROD_USERS if label == "managed" else USERS)
        created = now - timedelta(days=days, hours=rnd.randint(0, 48)) + timedelta(seconds=rnd.randint(0, days * 86400))
        status = rnd.choices(["running", "done", "finished", "failed", "broken", "aborted", "ready", "scouting", "pending"],
                             [40, 25, 10, 8, 3, 2, 5, 4, 3])[0]
        jeditaskid = 40_000_000 + i * 7 + 3
        processingtype = rnd.choice(PROCESSINGTYPES.get(label, ["panda-client-1.5-jedi-run"]))
        task: dict[str, Any] = {
            "jeditaskid": jeditaskid,
            "taskname": f"mc23_13p6TeV.{801000 + i}.{processingtype}.e8514_s4159_r{15000 + i}" if label == "managed"
            else f"user.{username}.{now:%Y%m%d}.analysis_{i}/",
            "status": status, "superstatus": status, "username": username, "creationdate": created,
            "modificationtime": min(now, created + timedelta(hours=rnd.randint(1, 60))),
            "starttime": created + timedelta(minutes=10),
            "endtime": None if status in ("running", "ready", "scouting", "pending") else min(now, created + timedelta(hours=rnd.randint(2, 70))),
            "reqid": 50000 + i // 5, "parent_tid": jeditaskid, "cloud": rnd.choice(CLOUD_NAMES), "site": None,
            "prodsourcelabel": label, "workinggroup": "AP_MCGN" if label == "managed" else None, "vo": "atlas",
            "tasktype": "prod" if label == "managed" else "anal", "processingtype": processingtype,
            "campaign": rnd.choice(CAMPAIGNS) if label == "managed" else None, "taskpriority": rnd.choice([500, 900, 1000]),
            "currentpriority": rnd.choice([500, 900, 1000]), "corecount": rnd.choice([1, 8]), "progress": rnd.randint(0, 100),
            "failurerate": rnd.randint(0, 30), "errordialog": "" if status != "broken" else "task broken: too many failed scout jobs",
        }
        data.add("JEDI_TASKS", task)
        for j, kind in enumerate(["input", "output"]):
            nfiles = rnd.randint(10, 2000)
            name = f"{task['taskname'].rstrip('/')}.{kind}"
            data.add("JEDI_DATASETS", {
                "jeditaskid": jeditaskid, "datasetid": jeditaskid * 10 + j,
                "datasetname": name, "type": kind, "status": "ready" if kind == "input" else "defined",
                "nfiles": nfiles, "nfilesfinished": rnd.randint(0, nfiles), "nfilesfailed": rnd.randint(0, nfiles // 20),
                "nevents": nfiles * 1000, "masterid": None, "containername": f"{name}/",
                "streamname": "IN" if kind == "input" else "OUTPUT0",
                "site": None if kind == "input" else f"{CLOUDS[task['cloud']][0]}_DATADISK",
            })
        data.add("JEDI_TASKPARAMS", {"jeditaskid": jeditaskid, "taskparams": json.dumps(task_params(task))})
        tasks.append(task)
    return tasks


def task_params(task: dict[str, Any]) -> dict[str, Any]:
    """JEDI_TASKPARAMS' document for a task, with the keys its submitter (prun, pathena, the
    production system) gives."""
    name = task["taskname"].rstrip("/")
    analysis = task["prodsourcelabel"] == "user"
    return {
        "taskName": task["taskname"], "userName": task["username"], "vo": "atlas", "taskType": task["tasktype"],
        "prodSourceLabel": task["prodsourcelabel"], "processingType": task["processingtype"],
        "taskPriority": task["taskpriority"], "coreCount": task["corecount"], "cloud": task["cloud"],
        "architecture": "x86_64-el9-gcc13-opt", "transUses": "Athena-24.0.23",
        "transPath": "runGen-00-00-02" if analysis else "Sim_tf.py", "nMaxFilesPerJob": 200,
        "log": {"dataset": f"{name}.log/", "type": "template", "param_type": "log", "value": f"{name}.log.$JEDITASKID.${{SN}}.log.tgz"},
        "jobParameters": [{"type": "constant", "value": "-j \"\" --sourceURL https://aipanda048.cern.ch:25443"}],
        "campaign": task["campaign"], "workingGroup": task["workinggroup"],
    }


def _scope(task: dict[str, Any]) -> str:
    name = task["taskname"]
    return ".".join(name.split(".")[:2]) if name.startswith("user.") else name.split(".")[0]


def job_files(job: dict[str, Any], task: dict[str, Any], first_row_id: int) -> list[dict[str, Any]]:
    """The job's rows of FILESTABLE4: up to three inputs of the task's input dataset, one
    output and the log, with the job's MODIFICATIONTIME (PanDA's partition key)."""
    name = task["taskname"].rstrip("/")
    scope = _scope(task)
    pandaid, jeditaskid = job["pandaid"], job["jeditaskid"]
    final = job["jobstatus"] in ("finished", "failed", "cancelled", "closed")
    out_status = {"finished": "ready", "failed": "failed", "cancelled": "failed", "closed": "failed"}.get(job["jobstatus"], "unknown")
    files: list[tuple[str, str, str, int, str]] = []
    for n in range(min(job["ninputfiles"] or 1, 3)):
        number = (pandaid * 3 + n) % 100000
        files.append(("input", f"{name}.input", f"EVNT.{jeditaskid}._{number:06d}.pool.root.1", jeditaskid * 10, "ready"))
    files.append(("output", f"{name}.output", f"{name}.{pandaid}._000001.root", jeditaskid * 10 + 1, out_status))
    files.append(("log", f"{name}.log", f"{name}.log.{pandaid}.log.tgz", jeditaskid * 10 + 2, "ready" if final else "unknown"))
    rows = []
    for i, (kind, dataset, lfn, datasetid, status) in enumerate(files):
        rows.append({
            "row_id": first_row_id + i, "pandaid": pandaid, "modificationtime": job["modificationtime"],
            "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}:{lfn}")), "lfn": lfn, "type": kind,
            "dataset": dataset, "status": status, "proddblock": job["proddblock"] if kind == "input" else None,
            "dispatchdblock": f"panda.{jeditaskid}.{pandaid % 1000}.dis" if kind == "input" else None,
            "destinationdblock": None if kind == "input" else f"{dataset}_sub{pandaid % 10**8:08d}",
            "destinationse": None if kind == "input" else job["destinationse"],
            "fsize": (job["inputfilebytes"] // 3 if kind == "input" else zlib.crc32(lfn.encode()) % 10**9 + 10**5),
            "checksum": f"ad:{zlib.crc32(lfn.encode()):08x}", "scope": scope, "jeditaskid": jeditaskid,
            "datasetid": datasetid, "fileid": pandaid * 10 + i, "attemptnr": job["attemptnr"],
            "creationtime": job["creationtime"],
        })
    return rows


def job_metadata(job: dict[str, Any], task: dict[str, Any]) -> dict[str, Any] | None:
    """METATABLE's row for a finished analysis job: the userMetadata.json its payload wrote."""
    if job["jobstatus"] != "finished" or task["prodsourcelabel"] != "user":
        return None
    document = {"user_job_metadata": {"nevents": job["nevents"], "nfiles": min(job["ninputfiles"] or 1, 3)}}
    return {"pandaid": job["pandaid"], "modificationtime": job["modificationtime"], "metadata": json.dumps(document)}


WORKER_END = {"finished": "finished", "failed": "failed", "cancelled": "cancelled", "closed": "finished"}


def _worker(rnd: random.Random, n: int, q: Queue, submitted: datetime, now: datetime, job: dict[str, Any] | None) -> dict[str, Any]:
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


def _tie_job_to_worker(job: dict[str, Any], worker: dict[str, Any]) -> dict[str, Any]:
    """Sets the job's pilot columns as PanDA does and returns the HARVESTER_REL_JOBS_WORKERS row."""
    job["schedulerid"] = f"harvester-{worker['harvesterid']}"
    job["pilotid"] = f"{worker['stdout']}|htcondor|PR|{PILOT_VERSION}"
    job["batchid"] = worker["batchid"]
    return {"harvesterid": worker["harvesterid"], "workerid": worker["workerid"], "pandaid": job["pandaid"], "lastupdate": worker["lastupdate"]}


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
            worker = _worker(rnd, pilot_n, q, started - timedelta(minutes=rnd.randint(2, 30)), now, job)
            relation = _tie_job_to_worker(job, worker)
        files = job_files(job, task, row_id)
        row_id += len(files)
        yield Generated(tables, job, worker, relation, files, job_metadata(job, task))
        if rnd.random() < 0.15:  # a worker that ran no job: still queued, idle, ended or missed
            pilot_n += 1
            yield Generated((), {}, _worker(rnd, pilot_n, q, created, now, None), None)


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


def generate_static(
    seed: int, now: datetime, jobs: int, days: int, vendor: str = "sqlite"
) -> tuple[DemoData, list[Queue], list[dict[str, Any]], random.Random]:
    rnd = random.Random(seed)
    data = DemoData()
    queues = make_queues(rnd)
    _queues_and_sitedata(data, rnd, queues, now, vendor)
    _harvester_and_reference(data, rnd, now)
    tasks = _tasks(data, rnd, max(10, jobs // 200), now, days)
    return data, queues, tasks, rnd
