"""What the BigPanDA-compatible paths read beyond the production section's queries: a job's
files (FILESTABLE4, else the archive's FILESTABLE_ARCH, both on their PANDAID index), a task's
parameters (JEDI_TASKPARAMS by its key), jobs' metadata (METATABLE by PANDAID), the datasets
of a page of tasks (JEDI_DATASETS on its (JEDITASKID, TYPE) index), and the job a batch id or
a job name names (the job tables' BATCHID and JOBNAME indexes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q

from pandjango.pandadb.jobs import all_jobs, job_querysets
from pandjango.pandadb.models import FilesTable4, FilesTableArch, JediDatasets, JediTaskParams, MetaTable

FILE_COLUMNS = (
    "row_id", "pandaid", "modificationtime", "guid", "lfn", "type", "dataset", "status", "proddblock",
    "dispatchdblock", "destinationdblock", "destinationse", "fsize", "checksum", "scope", "jeditaskid",
    "datasetid", "fileid", "attemptnr",
)
TASK_DATASET_COLUMNS = (
    "jeditaskid", "datasetid", "datasetname", "containername", "type", "masterid", "streamname", "status",
    "site", "nfiles", "nfilesfinished", "nfilesfailed", "nevents",
)
TASK_DATASET_TYPES = ("input", "pseudo_input", "output")
# The states of a task's jobs whose metadata the task list gathers (extra=metastruct).
METADATA_STATES = ("finished", "failed", "transferring", "merging", "cancelled", "closed", "holding")
MAX_METADATA_TASKS = 100
CHUNK = 1000  # ids per IN list


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def job_files(pandaid: int) -> list[dict[str, Any]]:
    """The job's files, inputs first; from the archive only when FILESTABLE4 has none left."""
    for model in (FilesTable4, FilesTableArch):
        rows = list(model._default_manager.filter(pandaid=pandaid).order_by("type", "row_id").values(*FILE_COLUMNS))
        if rows:
            return rows
    return []


def task_params(jeditaskid: int) -> Any:
    """The task's parameters as a document; None when there are none or they are not JSON."""
    text = JediTaskParams.objects.filter(jeditaskid=jeditaskid).values_list("taskparams", flat=True).first()
    return _parsed(text)


def _parsed(text: Any) -> Any:
    if text is None or not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return None


def job_metadata(pandaids: Sequence[int]) -> dict[int, Any]:
    """pandaid -> its metadata document, for the jobs that have one that reads as JSON."""
    found: dict[int, Any] = {}
    for chunk in _chunks(list(dict.fromkeys(pandaids))):
        for pandaid, text in MetaTable.objects.filter(pandaid__in=chunk).values_list("pandaid", "metadata"):
            document = _parsed(text)
            if document is not None:
                found[pandaid] = document
    return found


def tasks_metadata(jeditaskids: Sequence[int], limit: int) -> dict[int, dict[int, Any]]:
    """jeditaskid -> {pandaid: metadata} of the tasks' jobs that ended or are ending, at most
    `limit` jobs, for at most MAX_METADATA_TASKS tasks (none past that, as BigPanDA does)."""
    if not jeditaskids or len(jeditaskids) > MAX_METADATA_TASKS:
        return {}
    q = Q(jeditaskid__in=list(jeditaskids), jobstatus__in=METADATA_STATES)
    jobs = all_jobs(q, None, fields=["pandaid", "jeditaskid"], tables=["active", "archived", "archive"], limit=limit).rows
    metadata = job_metadata([job["pandaid"] for job in jobs])
    out: dict[int, dict[int, Any]] = {}
    for job in jobs:
        if job["pandaid"] in metadata:
            out.setdefault(job["jeditaskid"], {})[job["pandaid"]] = metadata[job["pandaid"]]
    return out


def tasks_datasets(jeditaskids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """jeditaskid -> its input and output datasets."""
    out: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(list(jeditaskids)):
        rows = JediDatasets.objects.filter(jeditaskid__in=chunk, type__in=TASK_DATASET_TYPES).order_by("jeditaskid", "datasetid")
        for row in rows.values(*TASK_DATASET_COLUMNS):
            out.setdefault(row["jeditaskid"], []).append(row)
    return out


def pandaid_of(column: str, value: str) -> int | None:
    """The newest job whose BATCHID or JOBNAME is `value`, in any job table."""
    newest = None
    for _, qs in job_querysets(Q(**{column: value}), None):
        found = qs.order_by("-pandaid").values_list("pandaid", flat=True).first()
        if found is not None and (newest is None or found > newest):
            newest = found
    return newest

