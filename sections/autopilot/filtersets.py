"""The filters the autopilot section accepts, in PanDA syntax (a|b, !a, *)."""

from __future__ import annotations

from pandjango.api.filters import PandaFilterSet, filterset_for
from pandjango.pandadb.models import HarvesterWorkers, SchedConfigJson

WORKER_FILTERS = (
    "computingsite", "harvesterid", "status", "pilotstatus", "resourcetype", "jobtype", "submissionhost",
    "computingelement", "errorcode", "batchid", "workerid",
)

WorkerFilterSet: type[PandaFilterSet] = filterset_for(
    HarvesterWorkers, {name: name for name in WORKER_FILTERS}, numeric=("errorcode", "workerid"), name="WorkerFilterSet"
)

# The queues of the overview by region: keys of their SCHEDCONFIG_JSON documents, which are
# matched in Python (queries.queues_by_region); the filterset only checks the syntax.
QUEUE_FILTERS = ("cloud", "region", "nickname")
QueueFilterSet: type[PandaFilterSet] = filterset_for(
    SchedConfigJson, {name: name for name in QUEUE_FILTERS}, name="QueueFilterSet"
)
