"""A realistic, deterministic PanDA database for the demo, the tests and the benchmarks.

The same seed and reference time give the same rows. Jobs sit in the table their state
belongs to (PANDA-SCHEMA.md); times are consistent (creation <= start <= end <= modification);
about 10% of finished jobs fail with a code of the right component and its diag; pilots have
real-format TPIDs and the jobs they ran point back at them.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import errorcodes

UNSET = datetime(1970, 1, 1)  # PanDA's "not set" marker for dates (naive; made aware on insert)

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
SUBMITHOSTS = ["gridui07", "gridui08", "gridui12", "voatlas60", "voatlas94", "aipanda021", "aipanda022", "pandafactory03"]
PILOT_TYPES = ["atlasOfficial2", "atlasAnalysis", "atlasMultiCore", "atlasTest"]
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


@dataclass
class DemoData:
    """Every generated row, by table (names as in PANDA-SCHEMA.md)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


def make_queues(rnd: random.Random) -> list[Queue]:
    queues: list[Queue] = []
    for cloud in CLOUD_NAMES:
        tier1, others = CLOUDS[cloud]
        for i, site in enumerate([tier1, *others]):
            tier = "T1" if i == 0 else ("T2D" if i % 3 == 0 else "T2")
            short = site.replace("-", "_").replace("UKI_", "").upper()
            names = [f"{short}_PROD", f"ANALY_{short}", f"{short}_MCORE"]
            count = 3 if i == 0 else rnd.choice([1, 2, 2, 3])
            for nick in names[:count]:
                status = rnd.choices(["online", "offline", "test", "brokeroff"], [85, 6, 5, 4])[0]
                queues.append(
                    Queue(nick, site, cloud, tier, status, nick.startswith("ANALY_"), 8 if nick.endswith("MCORE") else 1)
                )
    return queues


def _sites_and_clouds(data: DemoData, rnd: random.Random, queues: list[Queue], now: datetime) -> None:
    for cloud in CLOUD_NAMES:
        tier1 = CLOUDS[cloud][0]
        data.add("CLOUDCONFIG", {
            "name": cloud, "description": f"{cloud} cloud", "tier1": tier1, "tier1se": f"{tier1}_DATADISK",
            "status": "online" if cloud != "TW" else "brokeroff", "server": "pandaserver.cern.ch",
            "weight": rnd.randint(1, 10), "comment_": "", "countries": COUNTRIES[cloud],
            "modtime": now - timedelta(days=rnd.randint(1, 90)),
        })
    comments = ["", "", "", "HC.Blacklist.set.offline", "downtime: storage upgrade", "test queue for new CE", "HC.Test.Me"]
    for q in queues:
        data.add("SCHEDCONFIG", {
            "nickname": q.nickname, "siteid": q.siteid, "site": q.siteid, "cloud": q.cloud,
            "region": q.cloud, "tier": q.tier, "gocname": q.siteid, "countrygroup": COUNTRIES[q.cloud].split(",")[0],
            "status": q.status, "gatekeeper": f"ce{rnd.randint(1, 9):02d}.{q.siteid.lower()}.org",
            "queue": "grid", "jobmanager": "condor", "system": "htcondor", "jdl": f"{q.nickname}-jdl",
            "nqueue": rnd.choice([5, 10, 20, 50]), "nodes": rnd.randint(50, 5000),
            "maxtime": rnd.choice([0, 86400, 172800]), "memory": 2000 * q.corecount,
            "maxmemory": 4000 * q.corecount, "corecount": q.corecount, "timefloor": rnd.choice([0, 60, 180]),
            "pilotlimit": rnd.choice([100, 500, 1000]),
            "comment_": comments[rnd.randrange(len(comments))] if q.status != "online" else "",
            "lastmod": now - timedelta(hours=rnd.randint(1, 500)), "errinfo": "",
            "email": f"atlas-support@{q.siteid.lower()}.org", "copytool": rnd.choice(["rucio", "xrdcp"]),
            "se": f"token:ATLASDATADISK:srm://se.{q.siteid.lower()}.org", "ddm": f"{q.siteid}_DATADISK",
            "releases": "ANY", "multicloud": "", "pilotversion": "3.9.2", "capability": "ucore" if q.corecount > 1 else "score",
            "resource_type": "MCORE" if q.corecount > 1 else "SCORE",
        })
        data.add("SCHEDINSTANCE", {
            "nickname": q.nickname, "pandasite": q.siteid, "nqueue": 5, "nqueued": rnd.randint(0, 40),
            "nrunning": rnd.randint(0, 400), "nfinished": rnd.randint(0, 5000), "nfailed": rnd.randint(0, 500),
            "naborted": rnd.randint(0, 20), "njobs": rnd.randint(0, 6000), "ndone": rnd.randint(0, 5000),
            "totrunt": rnd.randint(0, 10**7), "tvalid": now - timedelta(minutes=rnd.randint(1, 30)),
            "lastmod": now - timedelta(minutes=rnd.randint(1, 30)), "errinfo": "", "comment_": "",
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


def _autopilot_config(data: DemoData, rnd: random.Random, queues: list[Queue], now: datetime) -> None:
    for host in SUBMITHOSTS:
        data.add("SUBMITHOSTS", {
            "host": host, "name": f"{host}.cern.ch", "nickname": host, "system": "condor",
            "rundir": f"/data/atlpan/{host}/run", "runurl": f"http://{host}.cern.ch/run",
            "jdltxt": "", "pilotqueue": "", "outurl": f"http://{host}.cern.ch/out",
        })
    for name in PILOT_TYPES:
        data.add("PILOTTYPE", {"name": name, "script": "pilot3.tar.gz", "url": f"http://pandaserver.cern.ch/cache/{name}", "system": "condor"})
    for q in queues:
        data.add("JDLLIST", {"name": f"{q.nickname}-jdl", "host": SUBMITHOSTS[len(q.nickname) % len(SUBMITHOSTS)], "system": "condor",
                             "jdl": f"universe = grid\ngrid_resource = condor ce.{q.siteid.lower()}.org\n"})
    services = [("pilotfactory", h) for h in SUBMITHOSTS] + [("pandaserver", "aipanda011"), ("pandaserver", "aipanda012"), ("jedi", "aipanda031")]
    for i, (kind, host) in enumerate(services, start=1):
        stale = i % 5 == 0  # a few services have stopped reporting
        last = now - (timedelta(hours=rnd.randint(2, 48)) if stale else timedelta(seconds=rnd.randint(10, 300)))
        data.add("SERVICELIST", {
            "id": i, "name": f"{kind}-{host}", "host": f"{host}.cern.ch", "pid": rnd.randint(1000, 60000),
            "userid": "atlpan", "type": kind, "grp": "atlas", "description": f"{kind} on {host}",
            "url": f"http://{host}.cern.ch/{kind}", "testurl": "", "response": "OK", "tresponse": last,
            "tstart": now - timedelta(days=rnd.randint(1, 30)), "tstop": UNSET, "tcheck": last,
            "cyclesec": 300, "status": "running" if not stale else "unknown", "lastmod": last,
            "config": "", "message": "" if not stale else "no heartbeat", "restartcmd": "", "doaction": "",
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
            data.add("JEDI_DATASETS", {
                "jeditaskid": jeditaskid, "datasetid": jeditaskid * 10 + j,
                "datasetname": f"{task['taskname'].rstrip('/')}.{kind}", "type": kind, "status": "ready" if kind == "input" else "defined",
                "nfiles": nfiles, "nfilesfinished": rnd.randint(0, nfiles), "nfilesfailed": rnd.randint(0, nfiles // 20),
                "nevents": nfiles * 1000,
            })
        tasks.append(task)
    return tasks


def _tpid(host: str, rnd: random.Random, when: datetime, n: int) -> str:
    return f"tp_{host}_{rnd.randint(1000, 65000)}_{when:%Y%m%d-%H%M%S}_{n}"


def _pilot(rnd: random.Random, n: int, q: Queue, submitted: datetime, now: datetime, job: dict[str, Any] | None) -> dict[str, Any]:
    host = SUBMITHOSTS[n % len(SUBMITHOSTS)]
    tpid = _tpid(host, rnd, submitted, n)
    started = submitted + timedelta(minutes=rnd.randint(1, 30))
    if job is None:  # found no work: a clean, quick exit
        ended = started + timedelta(seconds=rnd.randint(20, 200))
        state, status, errcode, errinfo = ("done", "finished", 0, "Dispatcher has no jobs") if ended <= now else ("running", "active", 0, "")
        pandaid = None
    else:
        pandaid = job["pandaid"]
        ended = job["endtime"] or now
        final = job["jobstatus"] in ("finished", "failed", "cancelled", "closed")
        if not final:
            state, status, errcode, errinfo = ("running", "active", 0, "")
        elif job["jobstatus"] == "failed" and job.get("piloterrorcode"):
            state, status, errcode, errinfo = ("done", "failed", job["piloterrorcode"], (job.get("piloterrordiag") or "")[:150])
        else:
            state, status, errcode, errinfo = ("done", "finished", 0, "")
    done = state == "done"
    return {
        "jobid": f"{20_000_000 + n}.{n % 4}", "tpid": tpid,  # batch ids are unique per submission
        "url": f"http://{host}.cern.ch/logs/{submitted:%Y-%m-%d}/{q.nickname}/{tpid}.out", "nickname": q.nickname,
        "queueid": q.siteid, "system": "condor", "user_": "atlpan", "host": host, "submithost": host,
        "schedd_name": f"{host}.cern.ch", "type": PILOT_TYPES[0] if not q.is_analysis else PILOT_TYPES[1],
        "pandaid": pandaid, "workernode": f"wn{rnd.randint(1, 900):04d}.{q.siteid.lower()}.org",
        "state": state, "status": status, "tcheck": min(now, ended if done else now), "tstate": min(now, ended if done else started),
        "tenter": submitted, "tsubmit": submitted, "taccept": submitted + timedelta(seconds=30),
        "tschedule": submitted + timedelta(seconds=60), "tstart": started, "tend": ended if done else UNSET,
        "tdone": ended if done else UNSET, "tretrieve": UNSET, "errcode": errcode, "errinfo": errinfo, "message": "",
    }


def _pick_label(rnd: random.Random) -> str:
    return rnd.choices([label for label, _ in LABEL_WEIGHTS], [w for _, w in LABEL_WEIGHTS])[0]


def generate_jobs(rnd: random.Random, queues: list[Queue], tasks: list[dict[str, Any]], jobs: int, days: int,
                  now: datetime, retention_days: int) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """Yields (table, job row, pilot row or None) for each job, and the pilots that found no work."""
    online = [q for q in queues if q.status in ("online", "test")] or queues
    boundary = now - timedelta(days=retention_days)
    span = days * 86400
    pilot_n = 0
    for i in range(jobs):
        task = tasks[rnd.randrange(len(tasks))]
        label = task["prodsourcelabel"] if rnd.random() < 0.9 else _pick_label(rnd)
        analysis = label in ("user", "panda")
        q = rnd.choice([x for x in online if x.is_analysis == analysis] or online) if i % 50 else rnd.choice(queues)
        created = now - timedelta(seconds=span * (1 - (i + rnd.random()) / jobs))
        state, started, ended, modified = _job_state(rnd, created, now)
        table = TABLE_OF_STATE[state]
        if table == "archived" and modified < boundary:
            table = "archive"
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
        pilot = None
        if started is not None and state != "cancelled":
            pilot_n += 1
            pilot = _pilot(rnd, pilot_n, q, started - timedelta(minutes=rnd.randint(2, 30)), now, job)
            job["schedulerid"] = pilot["submithost"]
            job["pilotid"] = pilot["tpid"]
            job["batchid"] = pilot["jobid"]
        yield table, job, pilot
        if rnd.random() < 0.15:  # a pilot that started, asked for work and found none
            pilot_n += 1
            yield "", {}, _pilot(rnd, pilot_n, q, created, now, None)


def generate_static(seed: int, now: datetime, jobs: int, days: int) -> tuple[DemoData, list[Queue], list[dict[str, Any]], random.Random]:
    rnd = random.Random(seed)
    data = DemoData()
    queues = make_queues(rnd)
    _sites_and_clouds(data, rnd, queues, now)
    _autopilot_config(data, rnd, queues, now)
    tasks = _tasks(data, rnd, max(10, jobs // 200), now, days)
    return data, queues, tasks, rnd
