"""The job tables: JOBSDEFINED4, JOBSWAITING4, JOBSACTIVE4, JOBSARCHIVED4 and the archive's JOBSARCHIVED."""

from __future__ import annotations

from django.db import models

from ..tables import db_table
from .fields import UTCDateTimeField, char, date, error_code, index, integer, num, small


class JobColumns(models.Model):
    """The column set shared by the five job tables."""

    # identity
    pandaid = models.BigIntegerField()
    jobdefinitionid = num()
    schedulerid = char(128)
    pilotid = char(200)
    batchid = char(80)
    parentid = num()
    jobsetid = num()
    jobname = char(256)
    # times (UTC; 1970-01-01 marks "not set" for starttime/endtime)
    creationtime = date()
    modificationtime = UTCDateTimeField()
    statechangetime = date()
    starttime = date()
    endtime = date()
    # hosts
    creationhost = char(128)
    modificationhost = char(128)
    # classification
    prodsourcelabel = char(20)
    produsername = char(60)
    produserid = char(250)
    computingsite = char(128)
    computingelement = char(128)
    cloud = char(50)
    nucleus = char(52)
    vo = char(16)
    workinggroup = char(20)
    countrygroup = char(20)
    processingtype = char(64)
    gshare = char(32)
    resource_type = char(56)
    eventservice = small()
    # payload
    transformation = char(250)
    atlasrelease = char(64)
    homepackage = char(80)
    cmtconfig = char(250)
    jobstatus = models.CharField(max_length=15)
    jobsubstatus = char(80)
    commandtopilot = char(250)
    transexitcode = char(128)
    specialhandling = char(80)
    lockedby = char(128)
    workqueue_id = integer()
    jobexecutionid = num()
    # tasks
    jeditaskid = num()
    taskid = integer()
    reqid = integer()
    # priority and attempts
    assignedpriority = integer()
    currentpriority = integer()
    attemptnr = small()
    maxattempt = small()
    # errors: one code/diag pair per component
    piloterrorcode = error_code()
    piloterrordiag = char(500)
    exeerrorcode = error_code()
    exeerrordiag = char(500)
    superrorcode = error_code()
    superrordiag = char(250)
    ddmerrorcode = error_code()
    ddmerrordiag = char(700)
    brokerageerrorcode = error_code()
    brokerageerrordiag = char(250)
    jobdispatchererrorcode = error_code()
    jobdispatchererrordiag = char(250)
    taskbuffererrorcode = error_code()
    taskbuffererrordiag = char(300)
    # resources
    cpuconsumptiontime = num()
    corecount = small()
    actualcorecount = integer()
    hs06 = num()
    hs06sec = num()
    maxrss = num()
    maxpss = num()
    maxvmem = num()
    minramcount = num()
    maxdiskcount = num()
    maxwalltime = num()
    nevents = num()
    ninputfiles = integer()
    inputfilebytes = num()
    outputfilebytes = num()
    # data
    proddblock = char(255)
    destinationdblock = char(255)
    destinationse = char(250)
    sourcesite = char(36)
    destinationsite = char(36)

    class Meta:
        abstract = True


class JobsDefined4(JobColumns):
    pandaid = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = db_table("JOBSDEFINED4")
        indexes = [
            index("JOBSDEFINED4_JEDITASKID_IDX", "jeditaskid", "pandaid"),
            index("JOBSDEFINED4_JOBNAME_IDX", "jobname"),
            index("JOBSDEFINED4_JOBSETID_IDX", "jobsetid"),
            index("JOBSDEFINED4_LABEL_CSITE_STAT", "prodsourcelabel", "computingsite", "jobstatus"),
            index("JOBSDEFINED4_PRODUSERNAME_IDX", "produsername"),
            index("JOBSDEFINED4_REQID_IDX", "reqid"),
            index("JOBSDEFINED4_WORKQUEUE_IDX", "workqueue_id", "cloud", "jobstatus", "prodsourcelabel", "currentpriority"),
            index("JOBSDEF_STATECHANGETIME_IDX", "statechangetime"),
        ]


class JobsWaiting4(JobColumns):
    """No longer written by PanDA (since 2025), still in the DDL and read where it has rows."""

    pandaid = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = db_table("JOBSWAITING4")
        indexes = [
            index("JOBSWAITING4_JEDITASKID_IDX", "jeditaskid", "pandaid"),
            index("JOBSWAITING4_JOBEXECID_IDX", "jobexecutionid"),
            index("JOBSWAITING4_REQID_IDX", "reqid"),
            index("JOBSWAITING4_WORKQUEUE_IDX", "workqueue_id", "cloud", "jobstatus", "prodsourcelabel", "currentpriority"),
            index("JOBSWAIT_STATECHANGETIME_IDX", "statechangetime"),
        ]


class JobsActive4(JobColumns):
    pandaid = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = db_table("JOBSACTIVE4")
        indexes = [
            index("JOBSACTIVE4_COMPSITESTATUS_IDX", "computingsite", "jobstatus"),
            index(
                "JOBSACTIVE4_CSITE_LABEL_PRIOR3",
                "computingsite", "prodsourcelabel", "currentpriority", "jobstatus", "maxdiskcount", "commandtopilot",
            ),
            index("JOBSACTIVE4_JEDITASKIDSTAT_IDX", "jeditaskid", "jobstatus"),
            index("JOBSACTIVE4_JEDITASKID_IDX", "jeditaskid", "pandaid"),
            index("JOBSACTIVE4_JOBDEFID_IDX", "jobdefinitionid"),
            index("JOBSACTIVE4_JOBNAME_IDX", "jobname"),
            index("JOBSACTIVE4_MODTIME_IDX", "modificationtime"),
            index("JOBSACTIVE4_PRIOR_IDX", "currentpriority", "pandaid"),
            index("JOBSACTIVE4_PRODDBLOCK_ST_IDX", "proddblock", "jobstatus"),
            index("JOBSACTIVE4_PRODUSERNAMEST_IDX", "produsername", "jobstatus"),
            index("JOBSACTIVE4_REQID_IDX", "reqid"),
            index("JOBSACTIVE4_STAT_LABEL_WGR_IDX", "jobstatus", "prodsourcelabel", "workinggroup"),
            index("JOBSACTIVE4_WORKQUEUE_IDX", "workqueue_id", "cloud", "jobstatus", "prodsourcelabel", "currentpriority"),
            index("JOBSACTIVE_STATECHANGETIME_IDX", "statechangetime"),
        ]


class JobsArchived4(JobColumns):
    pk = models.CompositePrimaryKey("pandaid", "modificationtime")

    class Meta:
        managed = False
        db_table = db_table("JOBSARCHIVED4")
        # The DDL's expression indexes (JOBSARCHIVED4_CHANGETIME, JOBS_UPPER_PRODUSERNAME_IDX)
        # serve PanDA's own jobs, not the monitor's reads, and are left out.
        indexes = [
            index("JOBSARC4_JEDITASKID3ATTR_IDX", "jeditaskid", "jobstatus", "prodsourcelabel", "pandaid"),
            index(
                "JOBSARCH4_COMPSITE_5ATTR_IDX",
                "computingsite", "cloud", "jobstatus", "prodsourcelabel", "processingtype", "modificationtime",
            ),
            index("JOBSARCH4_MTIMEPRODSLABEL_IDX", "modificationtime", "prodsourcelabel"),
            index("JOBSARCH4_PILOTERRCODE_IDX", "piloterrorcode"),
            index("JOBSARCH4_PRODUSERNAMEST_IDX", "produsername", "jobstatus"),
            index("JOBSARCH4_SPECIALHANDLING_IDX", "specialhandling"),
            index("JOBSARCH4_TASKID_3ATTR_IDX", "taskid", "prodsourcelabel", "jobstatus", "processingtype"),
            index("JOBSARCH4_WORKGROUP_STATUS_IDX", "workinggroup", "jobstatus"),
            index("JOBSARCHIVED4_BATCHID_IDX", "batchid"),
            index("JOBSARCHIVED4_JOBDEFID_IDX", "jobdefinitionid"),
            index("JOBSARCHIVED4_JOBNAME_IDX", "jobname"),
            index("JOBSARCHIVED4_JOBSETID_IDX", "jobsetid"),
            index("JOBSARCHIVED4_REQID_IDX", "reqid"),
            index("JOBSARCHIVED4_WORKQUEUE_IDX", "workqueue_id", "cloud", "jobstatus", "prodsourcelabel", "currentpriority"),
            index("JOBS_DESTINATIONDBLOCK_IDX", "destinationdblock"),
            index("JOBS_STATECHANGETIME_IDX", "statechangetime"),
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
            index("JOBSARCHIVED_REQID_IDX", "reqid"),
            index("JOBS_BATCHID_IDX", "batchid"),
            index(
                "JOBS_COMSITE_3ATTR_PANDAID_IDX",
                "computingsite", "jobstatus", "prodsourcelabel", "processingtype", "pandaid",
            ),
            index("JOBS_EXEERRORCODE_IDX", "exeerrorcode"),
            index("JOBS_JEDITASKID_PANDAID_IDX", "jeditaskid", "pandaid"),
            index("JOBS_JOBDEFID_PRODUSERNAME_IDX", "jobdefinitionid", "produsername"),
            index("JOBS_JOBNAME_IDX", "jobname"),
            index("JOBS_JOBSETID_PRODUSERNAME_IDX", "jobsetid", "produsername"),
            index("JOBS_PANDAID_IDX", "pandaid"),
            index("JOBS_PRODUSERNAME_4ATTR_IDX", "produsername", "jobstatus", "prodsourcelabel", "jobsetid", "jobdefinitionid"),
            index("JOBS_SPECIALHANDLING_IDX", "specialhandling"),
            # JOBS_STATECHANGETIME_IDX: see SHARED_NAME_INDEXES.
            index("JOBS_TASKID_3ATTR_PANDAID_IDX", "taskid", "prodsourcelabel", "jobstatus", "processingtype", "pandaid"),
            index("JOB_PRODLABEL_STATUS_IDX", "prodsourcelabel", "jobstatus"),
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
