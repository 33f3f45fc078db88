"""Models of today's PanDA tables (PANDA-SCHEMA.md, from PanDAWMS/panda-database), read-only.

Column names, types, keys and index names are the published DDL's (only the columns the
monitor reads are modelled). The models are unmanaged: Django's migrations never touch a
PanDA database. The tables are created only in a database of ours, by
`manage.py pandadb createschema`, with the DDL's index names, which the raw SQL hints name.

One module per family of tables: `fields` (the column types, UTC times), `jobs`, `tasks`,
`files`, `queues`, `workers`, `meta`. Django finds an app's models through its `models`
module, so this one imports every model class (and the job tables' JOB_MODELS), and
`from pandjango.pandadb.models import JobsActive4` works: the one package that re-exports.
"""

from __future__ import annotations

from django.db import models

from .files import FileColumns, FilesTable4, FilesTableArch
from .jobs import JOB_MODELS, JobColumns, JobsActive4, JobsArchived, JobsArchived4, JobsDefined4, JobsWaiting4
from .meta import ErrorDescriptions, MetaTable
from .queues import ResourceTypes, SchedConfigJson, SiteData
from .tasks import JediDatasets, JediTaskParams, JediTasks
from .workers import HarvesterInstances, HarvesterRelJobsWorkers, HarvesterWorkers, HarvesterWorkerStats

__all__ = [
    "ALL_MODELS", "JOB_MODELS", "ErrorDescriptions", "FileColumns", "FilesTable4", "FilesTableArch",
    "HarvesterInstances", "HarvesterRelJobsWorkers", "HarvesterWorkerStats", "HarvesterWorkers", "JediDatasets",
    "JediTaskParams", "JediTasks", "JobColumns", "JobsActive4", "JobsArchived", "JobsArchived4", "JobsDefined4",
    "JobsWaiting4", "MetaTable", "ResourceTypes", "SchedConfigJson", "SiteData",
]

ALL_MODELS: list[type[models.Model]] = [
    *JOB_MODELS.values(),
    JediTasks,
    JediDatasets,
    JediTaskParams,
    FilesTable4,
    FilesTableArch,
    MetaTable,
    SchedConfigJson,
    SiteData,
    ResourceTypes,
    HarvesterInstances,
    HarvesterWorkers,
    HarvesterWorkerStats,
    HarvesterRelJobsWorkers,
    ErrorDescriptions,
]
