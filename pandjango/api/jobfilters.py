"""The filters every job query accepts (jobs list, summaries, queue job counts, stats),
shared by the sections that read jobs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from pandjango.api.filters import Filter, PandaFilter, PandaFilterSet, split_filter
from pandjango.pandadb.models import JobsActive4

# API.md: jobtype is derived from prodsourcelabel.
JOBTYPES: dict[str, list[str]] = {
    "analysis": ["user", "panda"],
    "production": ["managed"],
    "test": ["ptest", "prod_test", "rc_test"],
    "install": ["install"],
}

TEXT_FILTERS = (
    "jobstatus", "jobsubstatus", "computingsite", "computingelement", "cloud", "nucleus",
    "prodsourcelabel", "produsername", "processingtype", "transformation", "atlasrelease",
    "workinggroup", "gshare", "resource_type", "schedulerid", "pilotid", "batchid", "jobname",
    "modificationhost", "destinationse", "vo", "homepackage", "cmtconfig",
)
NUMBER_FILTERS = (
    "pandaid", "jeditaskid", "taskid", "reqid", "jobdefinitionid", "jobsetid", "parentid",
    "attemptnr", "currentpriority", "piloterrorcode", "exeerrorcode", "superrorcode",
    "ddmerrorcode", "brokerageerrorcode", "jobdispatchererrorcode", "taskbuffererrorcode",
    "corecount", "eventservice",
)


class JobTypeFilter(PandaFilter):
    """jobtype=analysis|production|test|install, as sets of prodsourcelabels."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "analysis, production, test or install; a|b, !a")
        super().__init__(field_name="prodsourcelabel", **kwargs)

    def parse(self, raw: str) -> Filter:
        if not raw:
            return Filter("prodsourcelabel")
        negate, parts = split_filter(raw)
        wrong = [p for p in parts if p not in JOBTYPES]
        if wrong:
            raise ValidationError(f"{', '.join(wrong)}: must be one of {', '.join(JOBTYPES)}")
        return Filter("prodsourcelabel", negate, tuple(label for p in parts for label in JOBTYPES[p]))


def _job_filters() -> dict[str, Any]:
    attrs: dict[str, Any] = {name: PandaFilter(field_name=name) for name in TEXT_FILTERS}
    attrs.update({name: PandaFilter(field_name=name, numeric=True) for name in NUMBER_FILTERS})
    attrs["jobtype"] = JobTypeFilter()
    # Any job table: they share one column set.
    attrs["Meta"] = type("Meta", (), {"model": JobsActive4, "fields": []})
    return attrs


JobFilterSet: type[PandaFilterSet] = type("JobFilterSet", (PandaFilterSet,), _job_filters())
