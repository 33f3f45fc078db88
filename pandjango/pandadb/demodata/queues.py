"""The queues: their SCHEDCONFIG_JSON documents (one sparse, one broken) and SITEDATA."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from .catalogue import CLOUD_NAMES, CLOUDS, COUNTRIES, HARVESTER_INSTANCES, PILOT_VERSION, DemoData, Queue


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


def queues_and_sitedata(data: DemoData, rnd: random.Random, queues: list[Queue], now: datetime, vendor: str) -> None:
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
