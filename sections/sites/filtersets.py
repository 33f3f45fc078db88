"""The filters the sites section accepts, in PanDA syntax (a|b, !a, *). The queues are
documents, filtered in Python (queries.queue_list): the filterset only validates the values."""

from __future__ import annotations

from pandjango.api.filters import PandaFilterSet, filterset_for
from pandjango.pandadb.models import SchedConfigJson

QUEUE_FILTERS = ("cloud", "region", "tier", "status", "state", "type", "siteid", "atlas_site", "resource_type", "nickname")

QueueFilterSet: type[PandaFilterSet] = filterset_for(
    SchedConfigJson,
    {name: name for name in QUEUE_FILTERS},
    name="QueueFilterSet",
)
