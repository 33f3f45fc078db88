"""The kind of quick-search hit the autopilot section owns: pilots (Harvester workers), by
worker id or by the batch id of the jobs they ran."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any
from urllib.parse import quote

from django.db.models import Q

from pandjango.endpoints.search import MAX_HITS, Lookup, hit, register_kind
from pandjango.pandadb.models import HarvesterRelJobsWorkers, HarvesterWorkers

WORKER_FIELDS = ("harvesterid", "workerid", "status", "computingsite", "batchid")


def _workers_with_id(workerid: int) -> list[dict[str, Any]]:
    rows = HarvesterWorkers.objects.filter(workerid=workerid).values(*WORKER_FIELDS).order_by("harvesterid")
    return [dict(row) for row in rows[:MAX_HITS]]


def _workers_of_jobs(pandaids: set[int], batchid: str) -> list[dict[str, Any]]:
    """The workers that ran these jobs and carry this batch id."""
    if not pandaids:
        return []
    keys = set(HarvesterRelJobsWorkers.objects.filter(pandaid__in=pandaids).values_list("harvesterid", "workerid")[:MAX_HITS])
    if not keys:
        return []
    # One read by primary key for all of them, not one per worker.
    by_key = reduce(operator.or_, (Q(harvesterid=h, workerid=w) for h, w in keys))
    found = HarvesterWorkers.objects.filter(by_key, batchid=batchid).values(*WORKER_FIELDS).order_by("harvesterid", "workerid")
    return [dict(row) for row in found]


def pilots(lookup: Lookup) -> list[dict[str, Any]]:
    workers = _workers_of_jobs(lookup.batch_pandaids, lookup.text) if lookup.one_word else []
    if lookup.is_id:
        workers += [w for w in _workers_with_id(int(lookup.text)) if w not in workers]
    return [
        hit(
            "pilot", f"{w['harvesterid']}/{w['workerid']}", f"/autopilot/pilots/{quote(w['harvesterid'])}/{w['workerid']}/",
            f"{w['status']} at {w['computingsite']}, batch id {w['batchid']}",
        )
        for w in workers
    ]


register_kind("pilot", "autopilot", 3, pilots)
