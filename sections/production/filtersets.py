"""The filters the production section accepts besides the shared job filters
(pandjango.api.jobfilters): JEDI task columns."""

from __future__ import annotations

from pandjango.api.filters import PandaFilterSet, filterset_for
from pandjango.pandadb.models import JediTasks

TaskFilterSet: type[PandaFilterSet] = filterset_for(
    JediTasks,
    {
        "status": "status",
        "superstatus": "superstatus",
        "username": "username",
        "taskname": "taskname",
        "tasktype": "tasktype",
        "campaign": "campaign",
        "cloud": "cloud",
        "site": "site",
        "prodsourcelabel": "prodsourcelabel",
        "processingtype": "processingtype",
        "workinggroup": "workinggroup",
        "vo": "vo",
        "jeditaskid": "jeditaskid",
        "reqid": "reqid",
        "parent_tid": "parent_tid",
    },
    numeric=("jeditaskid", "reqid", "parent_tid"),
    name="TaskFilterSet",
)
