"""The JEDI tasks, their datasets and their parameters."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from .catalogue import CAMPAIGNS, CLOUD_NAMES, CLOUDS, PROCESSINGTYPES, PROD_USERS, USERS, DemoData


def make_tasks(data: DemoData, rnd: random.Random, count: int, now: datetime, days: int) -> list[dict[str, Any]]:
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
