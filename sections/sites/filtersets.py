"""The filters the sites section accepts, in PanDA syntax (a|b, !a, *)."""

from __future__ import annotations

from pandjango.api import PandaFilterSet, filterset_for
from pandjango.pandadb.models import SchedConfig

QueueFilterSet: type[PandaFilterSet] = filterset_for(
    SchedConfig,
    {name: name for name in ("cloud", "region", "tier", "status", "siteid", "nickname")},
    name="QueueFilterSet",
)
