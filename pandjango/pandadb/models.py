"""Models of today's PanDA tables (PANDA-SCHEMA.md, from PanDAWMS/panda-database), read-only.

Column names, types, keys and index names are the published DDL's (only the columns the
monitor reads are modelled). The models are unmanaged: Django's migrations never touch a
PanDA database. The tables are created only in a database of ours, by
`manage.py pandadb createschema`, with the DDL's index names, which the raw SQL hints name.

PanDA stores UTC in columns without a time zone on every vendor: UTCDateTimeField is the one
place that reads them as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from .tables import db_table


class UTCDateTimeField(models.DateTimeField):  # type: ignore[type-arg]
    """A PanDA DATE / `timestamp without time zone` column: naive values from the database
    are UTC, and aware values go to the database as naive UTC. Django converts on SQLite and
    MySQL already; PostgreSQL's driver hands back naive values for such columns."""

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if connection.vendor == "postgresql":
            return "timestamp without time zone"
        if connection.vendor == "oracle":
            return "DATE"
        if connection.vendor == "mysql":
            return "datetime"  # whole seconds, as PanDA's DATE
        return super().db_type(connection)

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        return as_utc(value)

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        if connection.vendor == "postgresql" and isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return super().get_db_prep_value(value, connection, prepared)


def as_utc(value: Any) -> Any:
    """A PanDA time as an aware UTC datetime (naive values are UTC); anything else as is."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class JSONDocumentField(models.TextField):  # type: ignore[type-arg]
    """A JSON document column (SCHEDCONFIG_JSON.DATA): CLOB on Oracle, json on PostgreSQL,
    text elsewhere. Read as it comes (text, or already parsed by the PostgreSQL driver) and
    parsed by the caller, so that one broken document never fails a whole query."""

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        if connection.vendor == "oracle":
            return "CLOB"
        if connection.vendor == "mysql":
            return "longtext"
        return "text"

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        if value is not None and not isinstance(value, str):
            import json

            return json.dumps(value)
        return value


def _char(n: int, **kw: object) -> models.CharField:  # type: ignore[type-arg]
    return models.CharField(max_length=n, null=True, blank=True, **kw)  # type: ignore[arg-type]


def _num(**kw: object) -> models.BigIntegerField:  # type: ignore[type-arg]
    return models.BigIntegerField(null=True, blank=True, **kw)  # type: ignore[arg-type]


def _int(**kw: object) -> models.IntegerField:  # type: ignore[type-arg]
    return models.IntegerField(null=True, blank=True, **kw)  # type: ignore[arg-type]


def _small(**kw: object) -> models.SmallIntegerField:  # type: ignore[type-arg]
    return models.SmallIntegerField(null=True, blank=True, **kw)  # type: ignore[arg-type]


def _date() -> UTCDateTimeField:
    return UTCDateTimeField(null=True, blank=True)


def _code() -> models.IntegerField:  # type: ignore[type-arg]
    return models.IntegerField(default=0)


def _index(name: str, *fields: str) -> models.Index:
    return models.Index(fields=list(fields), name=name)


class JobColumns(models.Model):
    """The column set shared by the five job tables."""

    # identity
    pandaid = models.BigIntegerField()
    jobdefinitionid = _num()
    schedulerid = _char(128)
    pilotid = _char(200)
    batchid = _char(80)
    parentid = _num()
    jobsetid = _num()
    jobname = _char(256)
    # times (UTC; 1970-01-01 marks "not set" for starttime/endtime)
    creationtime = _date()
    modificationtime = UTCDateTimeField()
    statechangetime = _date()
    starttime = _date()
    endtime = _date()
    # hosts
    creationhost = _char(128)
    modificationhost = _char(128)
    # classification
    prodsourcelabel = _char(20)
    produsername = _char(60)
    produserid = _char(250)
    computingsite = _char(128)
    computingelement = _char(128)
    cloud = _char(50)
    nucleus = _char(52)
    vo = _char(16)
    workinggroup = _char(20)
    countrygroup = _char(20)
    processingtype = _char(64)
    gshare = _char(32)
    resource_type = _char(56)
    eventservice = _small()
    # payload
    transformation = _char(250)
    atlasrelease = _char(64)
    homepackage = _char(80)
    cmtconfig = _char(250)
    jobstatus = models.CharField(max_length=15)
    jobsubstatus = _char(80)
    commandtopilot = _char(250)
    transexitcode = _char(128)
    specialhandling = _char(80)
    lockedby = _char(128)
    workqueue_id = _int()
    jobexecutionid = _num()
    # tasks
    jeditaskid = _num()
    taskid = _int()
    reqid = _int()
    # priority and attempts
    assignedpriority = _int()
    currentpriority = _int()
    attemptnr = _small()
    maxattempt = _small()
    # errors: one code/diag pair per component
    piloterrorcode = _code()
    piloterrordiag = _char(500)
    exeerrorcode = _code()
    exeerrordiag = _char(500)
    superrorcode = _code()
    superrordiag = _char(250)
    ddmerrorcode = _code()
    ddmerrordiag = _char(700)
    brokerageerrorcode = _code()
    brokerageerrordiag = _char(250)
    jobdispatchererrorcode = _code()
    jobdispatchererrordiag = _char(250)
    taskbuffererrorcode = _code()
    taskbuffererrordiag = _char(300)
    # resources
    cpuconsumptiontime = _num()
    corecount = _small()
    actualcorecount = _int()
    hs06 = _num()
    hs06sec = _num()
    maxrss = _num()
    maxpss = _num()
    maxvmem = _num()
    minramcount = _num()
    maxdiskcount = _num()
    maxwalltime = _num()
    nevents = _num()
    ninputfiles = _int()
    inputfilebytes = _num()
    outputfilebytes = _num()
    # data
    proddblock = _char(255)
    destinationdblock = _char(255)
    destinationse = _char(250)
    sourcesite = _char(36)
    destinationsite = _char(36)

    class Meta:
        abstract = True


class JobsDefined4(JobColumns):
    pandaid = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = db_table("JOBSDEFINED4")
        indexes = [
            _index("JOBSDEFINED4_JEDITASKID_IDX", "jeditaskid", "pandaid"),
            _index("JOBSDEFINED4_JOBNAME_IDX", "jobname"),
            _index("JOBSDEFINED4_JOBSETID_IDX", "jobsetid"),
            _index("JOBSDEFINED4_LABEL_CSITE_STAT", "prodsourcelabel", "computingsite", "jobstatus"),
            _index("JOBSDEFINED4_PRODUSERNAME_IDX", "produsername"),
            _index("JOBSDEFINED4_REQID_IDX", "reqid"),
            _index("JOBSDEFINED4_WORKQUEUE_IDX", "workqueue_id", "cloud", "jobstatus", "prodsourcelabel", "currentpriority"),
            _index("JOBSDEF_STATECHANGETIME_IDX", "statechangetime"),
        ]


class JobsWaiting4(JobColumns):
    """No longer written by PanDA (since 2025), still in the DDL and read where it has rows."""

    pandaid = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = db_table("JOBSWAITING4")
        indexes = [
            _index("JOBSWAITING4_JEDITASKID_IDX", "jeditaskid", "pandaid"),
            _index("JOBSWAITING4_JOBEXECID_IDX", "jobexecutionid"),
            _index("JOBSWAITING4_REQID_IDX", "reqid"),
            _index("JOBSWAITING4_WORKQUEUE_IDX", "workqueue_id", "cloud", "jobstatus", "prodsourcelabel", "currentpriority"),
            _index("JOBSWAIT_STATECHANGETIME_IDX", "statechangetime"),
        ]


class JobsActive4(JobColumns):
    pandaid = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = db_table("JOBSACTIVE4")
        indexes = [
            _index("JOBSACTIVE4_COMPSITESTATUS_IDX", "computingsite", "jobstatus"),
            _index(
                "JOBSACTIVE4_CSITE_LABEL_PRIOR3",
                "computingsite", "prodsourcelabel", "currentpriority", "jobstatus", "maxdiskcount", "commandtopilot",
            ),
            _index("JOBSACTIVE4_JEDITASKIDSTAT_IDX", "jeditaskid", "jobstatus"),
            _index("JOBSACTIVE4_JEDITASKID_IDX", "jeditaskid", "pandaid"),
            _index("JOBSACTIVE4_JOBDEFID_IDX", "jobdefinitionid"),
            _index("JOBSACTIVE4_JOBNAME_IDX", "jobname"),
            _index("JOBSACTIVE4_MODTIME_IDX", "modificationtime"),
            _index("JOBSACTIVE4_PRIOR_IDX", "currentpriority", "pandaid"),
            _index("JOBSACTIVE4_PRODDBLOCK_ST_IDX", "proddblock", "jobstatus"),
            _index("JOBSACTIVE4_PRODUSERNAMEST_IDX", "produsername", "jobstatus"),
            _index("JOBSACTIVE4_REQID_IDX", "reqid"),
            _index("JOBSACTIVE4_STAT_LABEL_WGR_IDX", "jobstatus", "prodsourcelabel", "workinggroup"),
            _index("JOBSACTIVE4_WORKQUEUE_IDX", "workqueue_id", "cloud", "jobstatus", "prodsourcelabel", "currentpriority"),
            _index("JOBSACTIVE_STATECHANGETIME_IDX", "statechangetime"),
        ]


class JobsArchived4(JobColumns):
    pk = models.CompositePrimaryKey("pandaid", "modificationtime")

    class Meta:
        managed = False
        db_table = db_table("JOBSARCHIVED4")
        # The DDL's expression indexes (JOBSARCHIVED4_CHANGETIME, JOBS_UPPER_PRODUSERNAME_IDX)
        # serve PanDA's own jobs, not the monitor's reads, and are left out.
        indexes = [
            _index("JOBSARC4_JEDITASKID3ATTR_IDX", "jeditaskid", "jobstatus", "prodsourcelabel", "pandaid"),
            _index(
                "JOBSARCH4_COMPSITE_5ATTR_IDX",
                "computingsite", "cloud", "jobstatus", "prodsourcelabel", "processingtype", "modificationtime",
            ),
            _index("JOBSARCH4_MTIMEPRODSLABEL_IDX", "modificationtime", "prodsourcelabel"),
            _index("JOBSARCH4_PILOTERRCODE_IDX", "piloterrorcode"),
            _index("JOBSARCH4_PRODUSERNAMEST_IDX", "produsername", "jobstatus"),
            _index("JOBSARCH4_SPECIALHANDLING_IDX", "specialhandling"),
            _index("JOBSARCH4_TASKID_3ATTR_IDX", "taskid", "prodsourcelabel", "jobstatus", "processingtype"),
            _index("JOBSARCH4_WORKGROUP_STATUS_IDX", "workinggroup", "jobstatus"),
            _index("JOBSARCHIVED4_BATCHID_IDX", "batchid"),
            _index("JOBSARCHIVED4_JOBDEFID_IDX", "jobdefinitionid"),
            _index("JOBSARCHIVED4_JOBNAME_IDX", "jobname"),
            _index("JOBSARCHIVED4_JOBSETID_IDX", "jobsetid"),
            _index("JOBSARCHIVED4_REQID_IDX", "reqid"),
            _index("JOBSARCHIVED4_WORKQUEUE_IDX", "workqueue_id", "cloud", "jobstatus", "prodsourcelabel", "currentpriority"),
            _index("JOBS_DESTINATIONDBLOCK_IDX", "destinationdblock"),
            _index("JOBS_STATECHANGETIME_IDX", "statechangetime"),
        ]


class JobsArchived(JobColumns):
    """ATLAS_PANDAARCH.JOBSARCHIVED: years of history. The real table has no primary key;
    Django needs one to name rows, so (PANDAID, MODIFICATIONTIME) stands in for it, and is
    the key in the databases createschema builds. Its only time index is on STATECHANGETIME."""

    pk = models.CompositePrimaryKey("pandaid", "modificationtime")

    class Meta:
        managed = False
        db_table = db_table("JOBSARCHIVED")
        indexes = [
            _index("JOBSARCHIVED_REQID_IDX", "reqid"),
            _index("JOBS_BATCHID_IDX", "batchid"),
            _index(
                "JOBS_COMSITE_3ATTR_PANDAID_IDX",
                "computingsite", "jobstatus", "prodsourcelabel", "processingtype", "pandaid",
            ),
            _index("JOBS_EXEERRORCODE_IDX", "exeerrorcode"),
            _index("JOBS_JEDITASKID_PANDAID_IDX", "jeditaskid", "pandaid"),
            _index("JOBS_JOBDEFID_PRODUSERNAME_IDX", "jobdefinitionid", "produsername"),
            _index("JOBS_JOBNAME_IDX", "jobname"),
            _index("JOBS_JOBSETID_PRODUSERNAME_IDX", "jobsetid", "produsername"),
            _index("JOBS_PANDAID_IDX", "pandaid"),
            _index("JOBS_PRODUSERNAME_4ATTR_IDX", "produsername", "jobstatus", "prodsourcelabel", "jobsetid", "jobdefinitionid"),
            _index("JOBS_SPECIALHANDLING_IDX", "specialhandling"),
            # JOBS_STATECHANGETIME_IDX: see SHARED_NAME_INDEXES.
            _index("JOBS_TASKID_3ATTR_PANDAID_IDX", "taskid", "prodsourcelabel", "jobstatus", "processingtype", "pandaid"),
            _index("JOB_PRODLABEL_STATUS_IDX", "prodsourcelabel", "jobstatus"),
        ]


# Indexes whose DDL name is also used in another schema (JOBSARCHIVED4 and the archive both
# have JOBS_STATECHANGETIME_IDX). Django wants index names unique across models, so these
# stay out of Meta.indexes; createschema builds them where the schemas keep the names apart.
SHARED_NAME_INDEXES: dict[type[models.Model], list[models.Index]] = {
    JobsArchived: [models.Index(fields=["statechangetime"], name="JOBS_STATECHANGETIME_IDX")],
}


JOB_MODELS: dict[str, type[JobColumns]] = {
    "defined": JobsDefined4,
    "waiting": JobsWaiting4,
    "active": JobsActive4,
    "archived": JobsArchived4,
    "archive": JobsArchived,
}


class JediTasks(models.Model):
    jeditaskid = models.BigIntegerField(primary_key=True)
    taskname = _char(256)
    status = models.CharField(max_length=64)
    superstatus = _char(64)
    username = _char(128)
    creationdate = _date()
    modificationtime = _date()
    starttime = _date()
    endtime = _date()
    reqid = _int()
    parent_tid = _num()
    cloud = _char(10)
    site = _char(60)
    prodsourcelabel = _char(20)
    workinggroup = _char(32)
    vo = _char(16)
    tasktype = _char(64)
    processingtype = _char(64)
    campaign = _char(72)
    taskpriority = _int()
    currentpriority = _int()
    corecount = _int()
    progress = _int()
    failurerate = _int()
    errordialog = _char(510)
    workqueue_id = _int()

    class Meta:
        managed = False
        db_table = db_table("JEDI_TASKS")
        indexes = [
            _index("JEDI_TASKS_CREATION_IDX", "creationdate"),
            _index("JEDI_TASKS_MODIFTIME_IDX", "modificationtime"),
            _index("JEDI_TASKS_NAMETASKID_IDX", "taskname", "jeditaskid"),
            _index("JEDI_TASKS_PARENT_TID_IDX", "parent_tid"),
            _index("JEDI_TASKS_REQID_IDX", "reqid", "username"),
            _index("JEDI_TASKS_STATUS3ATTR_IDX", "status", "workqueue_id", "prodsourcelabel", "jeditaskid"),
        ]


class JediDatasets(models.Model):
    pk = models.CompositePrimaryKey("jeditaskid", "datasetid")
    jeditaskid = models.BigIntegerField()
    datasetid = models.BigIntegerField()
    datasetname = _char(255)
    type = _char(20)
    status = _char(20)
    nfiles = _int()
    nfilesfinished = _int()
    nfilesfailed = _int()
    nevents = _num()
    masterid = _num()
    containername = _char(255)
    streamname = _char(20)
    site = _char(60)

    class Meta:
        managed = False
        db_table = db_table("JEDI_DATASETS")
        indexes = [
            _index("JEDI_DATASETS_DSETID_IDX", "datasetid"),
            _index("JEDI_DATASETS_TASKID_TYPE_IDX", "jeditaskid", "type"),
            _index("JEDI_DATASET_DNAMETYPETID_IDX", "datasetname", "type", "jeditaskid"),
        ]


class JediTaskParams(models.Model):
    """A task's parameters as its submitter gave them: one JSON document (CLOB / text)."""

    jeditaskid = models.BigIntegerField(primary_key=True)
    taskparams = models.TextField(null=True, blank=True)  # CLOB / text holding JSON

    class Meta:
        managed = False
        db_table = db_table("JEDI_TASKPARAMS")


class FileColumns(models.Model):
    """The columns FILESTABLE4 and its archive FILESTABLE_ARCH share: one row per file of a
    job (input, output, log)."""

    row_id = models.BigIntegerField()
    pandaid = models.BigIntegerField()
    modificationtime = UTCDateTimeField()
    guid = _char(64)
    lfn = _char(4000)
    type = _char(20)
    dataset = _char(255)
    status = _char(64)
    proddblock = _char(255)
    dispatchdblock = _char(255)
    destinationdblock = _char(255)
    destinationse = _char(250)
    fsize = models.BigIntegerField(default=0)
    checksum = _char(36)
    scope = _char(30)
    jeditaskid = _num()
    datasetid = _num()
    fileid = _num()
    attemptnr = _small()

    class Meta:
        abstract = True


class FilesTable4(FileColumns):
    """Kept 30 days (partitioned on MODIFICATIONTIME, which is the job's)."""

    pk = models.CompositePrimaryKey("row_id", "modificationtime")

    class Meta:
        managed = False
        db_table = db_table("FILESTABLE4")
        # The DDL's FILESTABLE4_LFN_IDX is on a VARCHAR(4000), past MariaDB's key length: the
        # monitor finds files by PANDAID and by task, never by LFN, and it is left out.
        indexes = [
            _index("FILESTABLE4_DESTDBLOCK_IDX", "destinationdblock"),
            _index("FILESTABLE4_DISPDBLOCK_IDX", "dispatchdblock"),
            _index("FILESTABLE4_PANDAID_IDX", "pandaid"),
            _index("FILESTABLE4_TASKFILEID_IDX", "jeditaskid", "datasetid", "fileid"),
        ]


class FilesTableArch(FileColumns):
    """PANDAARCH.FILESTABLE_ARCH: the files of archived jobs. The real table has no primary
    key; (ROW_ID, MODIFICATIONTIME) stands in for it, as for JOBSARCHIVED."""

    pk = models.CompositePrimaryKey("row_id", "modificationtime")
    creationtime = _date()

    class Meta:
        managed = False
        db_table = db_table("FILESTABLE_ARCH")
        indexes = [
            _index("FILES_ARCH_PANDAID_IDX", "pandaid"),
            _index("FILES_ARCH_ROWID_IDX", "row_id"),
            _index("FILE_ARCH_TASK_DSET_FILEID_IDX", "jeditaskid", "datasetid", "fileid", "pandaid"),
        ]


class MetaTable(models.Model):
    """A job's metadata as its payload reported it (the user's userMetadata.json, a
    transformation's job report): one JSON document per job."""

    pk = models.CompositePrimaryKey("pandaid", "modificationtime")
    pandaid = models.BigIntegerField()
    modificationtime = UTCDateTimeField()
    metadata = models.TextField(null=True, blank=True)  # CLOB / text holding JSON

    class Meta:
        managed = False
        db_table = db_table("METATABLE")


class SchedConfigJson(models.Model):
    """One CRIC document per PanDA queue (PANDA_QUEUE = the jobs' COMPUTINGSITE). The
    document is read as text and parsed in Python (pandadb/queues.py)."""

    panda_queue = models.CharField(max_length=50, primary_key=True)
    data = JSONDocumentField(null=True, blank=True)
    last_update = _date()

    class Meta:
        managed = False
        db_table = db_table("SCHEDCONFIG_JSON")


class SiteData(models.Model):
    pk = models.CompositePrimaryKey("site", "flag", "hours")
    site = models.CharField(max_length=60)
    flag = models.CharField(max_length=30)
    hours = models.IntegerField(default=0)
    getjob = models.IntegerField(default=0)
    updatejob = models.IntegerField(default=0)
    nojob = _int()
    nstart = models.IntegerField(default=0)
    finished = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    defined = models.IntegerField(default=0)
    assigned = models.IntegerField(default=0)
    waiting = models.IntegerField(default=0)
    activated = models.IntegerField(default=0)
    holding = models.IntegerField(default=0)
    running = models.IntegerField(default=0)
    transferring = models.IntegerField(default=0)
    lastmod = UTCDateTimeField()

    class Meta:
        managed = False
        db_table = db_table("SITEDATA")


class ResourceTypes(models.Model):
    resource_name = models.CharField(max_length=56, primary_key=True)
    mincore = _int()
    maxcore = _int()
    minrampercore = _int()
    maxrampercore = _int()

    class Meta:
        managed = False
        db_table = db_table("RESOURCE_TYPES")


class HarvesterInstances(models.Model):
    harvester_id = models.CharField(max_length=50, primary_key=True)
    description = _char(200)
    starttime = _date()
    owner = _char(100)
    hostname = _char(100)
    lastupdate = _date()
    sw_version = _char(50)
    commit_stamp = _char(100)

    class Meta:
        managed = False
        db_table = db_table("HARVESTER_INSTANCES")


class HarvesterWorkers(models.Model):
    """One pilot: a worker a Harvester instance submitted to a queue. On Oracle the key is
    (HARVESTERID, WORKERID); PostgreSQL adds LASTUPDATE, its partition key."""

    pk = models.CompositePrimaryKey("harvesterid", "workerid")
    harvesterid = models.CharField(max_length=50)
    workerid = models.BigIntegerField()
    lastupdate = UTCDateTimeField()
    status = models.CharField(max_length=80)
    batchid = _char(80)
    nodeid = _char(80)
    queuename = _char(80)
    computingsite = _char(128)
    submittime = _date()
    starttime = _date()
    endtime = _date()
    ncore = _int()
    errorcode = _int()
    stdout = _char(250)
    stderr = _char(250)
    batchlog = _char(250)
    resourcetype = _char(56)
    nativeexitcode = _int()
    nativestatus = _char(80)
    diagmessage = _char(500)
    computingelement = _char(128)
    njobs = _int()
    submissionhost = _char(128)
    harvesterhost = _char(128)
    jdl = _char(250)
    jobtype = _char(52)
    pilotstarttime = _date()
    pilotendtime = _date()
    pilotstatus = _char(80)
    pilotstatussynctime = _date()
    minramcount = _int()

    class Meta:
        managed = False
        db_table = db_table("HARVESTER_WORKERS")
        indexes = [
            _index("HARVESTER_WORKERS_COMPSITE_IDX", "computingsite"),
            _index("HARVESTER_WORKERS_STATUS_IDX", "status", "pilotstatus"),
            _index("HARV_WORKERS_HARV_SUBMTIME_IDX", "harvesterid", "submittime"),
            _index("HARV_WORKERS_LASTUPD_IDX", "lastupdate"),
            _index("HARV_WORKERS_SUBMITTIME_IDX", "submittime"),
        ]


class HarvesterWorkerStats(models.Model):
    """Workers now, per instance, queue, resource type, status and job type."""

    pk = models.CompositePrimaryKey("harvester_id", "computingsite", "resourcetype", "status", "jobtype")
    harvester_id = models.CharField(max_length=50)
    computingsite = models.CharField(max_length=128)
    resourcetype = models.CharField(max_length=56)
    status = models.CharField(max_length=80)
    jobtype = models.CharField(max_length=52)
    n_workers = _int()
    lastupdate = UTCDateTimeField()

    class Meta:
        managed = False
        db_table = db_table("HARVESTER_WORKER_STATS")


class HarvesterRelJobsWorkers(models.Model):
    """Which worker ran which job."""

    pk = models.CompositePrimaryKey("harvesterid", "workerid", "pandaid")
    harvesterid = models.CharField(max_length=50)
    workerid = models.BigIntegerField()
    pandaid = models.BigIntegerField()
    lastupdate = UTCDateTimeField()

    class Meta:
        managed = False
        db_table = db_table("HARVESTER_REL_JOBS_WORKERS")
        indexes = [
            _index("HARVREL_JOBWORKERS_PANDAID_IDX", "pandaid"),
            _index("HARV_WORK_RELJOBS_LASTUPD_IDX", "lastupdate"),
        ]


class ErrorDescriptions(models.Model):
    """PanDA's own table of error codes; older databases lack it (errorcodes.py then answers)."""

    id = models.BigAutoField(primary_key=True)
    component = models.CharField(max_length=32)
    code = models.IntegerField()
    acronym = _char(64)
    diagnostics = _char(256)
    description = _char(4000)
    category = models.SmallIntegerField()

    class Meta:
        managed = False
        db_table = db_table("ERROR_DESCRIPTIONS")


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
