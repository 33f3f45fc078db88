"""The filters the autopilot section accepts, in PanDA syntax (a|b, !a, *)."""

from __future__ import annotations

from pandjango.api import PandaFilterSet, filterset_for
from pandjango.pandadb.models import PilotQueue, SchedConfig, ServiceList

PilotFilterSet: type[PandaFilterSet] = filterset_for(
    PilotQueue,
    {name: name for name in ("nickname", "queueid", "type", "state", "status", "submithost", "errcode", "tpid")},
    numeric=("errcode",),
    name="PilotFilterSet",
)

# The queues of the autopilot overview, chosen by their SCHEDCONFIG row.
QueueFilterSet: type[PandaFilterSet] = filterset_for(
    SchedConfig, {name: name for name in ("cloud", "region", "nickname")}, name="QueueFilterSet"
)

ServiceFilterSet: type[PandaFilterSet] = filterset_for(
    ServiceList, {name: name for name in ("name", "host", "type", "status")}, name="ServiceFilterSet"
)
