"""Models of the real PanDA tables (see PANDA-SCHEMA.md), read-only.

Column names are PanDA's own, in lower case (Oracle upper-cases quoted names itself).
The models are unmanaged: Django's migrations never touch a PanDA database. The tables are
created only in a database of ours, by `manage.py pandadb createschema`.
Index names are ours (the public DDL does not fix them); raw SQL hints use these names.
"""

from __future__ import annotations

from django.db import models

from .tables import db_table


def _char(n: int, **kw: object) -> models.CharField:  # type: ignore[type-arg]
    return models.CharField(max_length=n, null=True, blank=True, **kw)  # type: ignore[arg-type]


def _num(**kw: object) -> models.BigIntegerField:  # type: ignore[type-arg]
    return models.BigIntegerField(null=True, blank=True, **kw)  # type: ignore[arg-type]


def _int(**kw: object) -> models.IntegerField:  # type: ignore[type-arg]
    return models.IntegerField(null=True, blank=True, **kw)  # type: ignore[arg-type]


def _date() -> models.DateTimeField:  # type: ignore[type-arg]
    return models.DateTimeField(null=True, blank=True)


def _code() -> models.IntegerField:  # type: ignore[type-arg]
    return models.IntegerField(default=0)


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
    modificationtime = models.DateTimeField()
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
    eventservice = _int()
    # payload
    transformation = _char(250)
    atlasrelease = _char(64)
    homepackage = _char(80)
    cmtconfig = _char(250)
    jobstatus = models.CharField(max_length=15)
    jobsubstatus = _char(80)
    commandtopilot = _char(250)
    transexitcode = _char(128)
    # tasks
    jeditaskid = _num()
    taskid = _int()
    reqid = _int()
    # priority and attempts
    assignedpriority = _int()
    currentpriority = _int()
    attemptnr = _int()
    maxattempt = _int()
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
    corecount = _int()
    actualcorecount = _int()
    hs06 = _num()
    hs06sec = _num()
    maxrss = _num()
    maxpss = _num()
    maxvmem = _num()
    minramcount = _num()
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


def _index(name: str, *fields: str) -> models.Index:
    return models.Index(fields=list(fields), name=name)


class JobsDefined4(JobColumns):
    pandaid = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = db_table("JOBSDEFINED4")
        indexes = [
            _index("JOBSDEF4_LABEL_SITE_IDX", "prodsourcelabel", "computingsite", "jobstatus"),
            _index("JOBSDEF4_PRODUSERNAME_IDX", "produsername"),
            _index("JOBSDEF4_STATECHTIME_IDX", "statechangetime"),
        ]


class JobsWaiting4(JobColumns):
    pandaid = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = db_table("JOBSWAITING4")


class JobsActive4(JobColumns):
    pandaid = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = db_table("JOBSACTIVE4")
        indexes = [
            _index("JOBSACT4_SITE_STATUS_IDX", "computingsite", "jobstatus"),
            _index("JOBSACT4_TASK_STATUS_IDX", "jeditaskid", "jobstatus"),
            _index("JOBSACT4_MODTIME_IDX", "modificationtime"),
            _index("JOBSACT4_STATECHTIME_IDX", "statechangetime"),
            _index("JOBSACT4_USER_STATUS_IDX", "produsername", "jobstatus"),
            _index("JOBSACT4_STATUS_LABEL_WG_IDX", "jobstatus", "prodsourcelabel", "workinggroup"),
        ]


class JobsArchived4(JobColumns):
    pk = models.CompositePrimaryKey("pandaid", "modificationtime")

    class Meta:
        managed = False
        db_table = db_table("JOBSARCHIVED4")
        indexes = [
            _index(
                "JOBSARCH4_SITE_CLOUD_IDX",
                "computingsite", "cloud", "jobstatus", "prodsourcelabel", "processingtype",
                "modificationtime",
            ),
            _index("JOBSARCH4_MODTIME_LABEL_IDX", "modificationtime", "prodsourcelabel"),
            _index("JOBSARCH4_TASK_STATUS_IDX", "jeditaskid", "jobstatus", "prodsourcelabel", "pandaid"),
            _index("JOBSARCH4_USER_STATUS_IDX", "produsername", "jobstatus"),
            _index("JOBSARCH4_PILOTERR_IDX", "piloterrorcode"),
            _index("JOBSARCH4_BATCHID_IDX", "batchid"),
        ]


class JobsArchived(JobColumns):
    """ATLAS_PANDAARCH.JOBSARCHIVED: years of history. The real table has no primary key;
    Django needs one to name rows, so (PANDAID, MODIFICATIONTIME) stands in for it."""

    pk = models.CompositePrimaryKey("pandaid", "modificationtime")

    class Meta:
        managed = False
        db_table = db_table("JOBSARCHIVED")
        indexes = [
            _index(
                "JOBSARCH_SITE_STATUS_IDX",
                "computingsite", "jobstatus", "prodsourcelabel", "processingtype", "pandaid",
            ),
            _index("JOBSARCH_TASK_PANDAID_IDX", "jeditaskid", "pandaid"),
            _index("JOBSARCH_PANDAID_IDX", "pandaid"),
            _index("JOBSARCH_EXEERRORCODE_IDX", "exeerrorcode"),
            # The archive is filtered on time; PANDA-SCHEMA.md: "a time column that is
            # indexed there".
            _index("JOBSARCH_MODTIME_IDX", "modificationtime"),
        ]


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

    class Meta:
        managed = False
        db_table = db_table("JEDI_TASKS")
        indexes = [
            _index("JEDI_TASKS_MODTIME_IDX", "modificationtime"),
            _index("JEDI_TASKS_STATUS_IDX", "status"),
            _index("JEDI_TASKS_USERNAME_IDX", "username"),
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

    class Meta:
        managed = False
        db_table = db_table("JEDI_DATASETS")


class SchedConfig(models.Model):
    nickname = models.CharField(max_length=60, primary_key=True)
    siteid = _char(60)
    site = _char(60)
    cloud = _char(60)
    region = _char(64)
    tier = _char(15)
    gocname = _char(64)
    countrygroup = _char(64)
    status = _char(10)
    gatekeeper = _char(120)
    queue = _char(60)
    jobmanager = _char(80)
    system = _char(60)
    jdl = _char(60)
    nqueue = _int()
    nodes = _int()
    maxtime = _int()
    memory = _int()
    maxmemory = _int()
    corecount = _int()
    timefloor = _int()
    pilotlimit = _int()
    comment = _char(500, db_column="comment_")
    lastmod = _date()
    errinfo = _char(80)
    email = _char(60)
    copytool = _char(80)
    se = _char(400)
    ddm = _char(120)
    releases = _char(4000)
    multicloud = _char(64)
    pilotversion = _char(32)
    capability = _char(32)
    resource_type = _char(56)

    class Meta:
        managed = False
        db_table = db_table("SCHEDCONFIG")
        indexes = [_index("SCHEDCONFIG_CLOUD_IDX", "cloud"), _index("SCHEDCONFIG_SITEID_IDX", "siteid")]


class CloudConfig(models.Model):
    name = models.CharField(max_length=20, primary_key=True)
    description = _char(50)
    tier1 = _char(20)
    tier1se = _char(400)
    status = _char(20)
    server = _char(100)
    weight = _int()
    comment = _char(200, db_column="comment_")
    countries = _char(80)
    modtime = _date()

    class Meta:
        managed = False
        db_table = db_table("CLOUDCONFIG")


class SiteData(models.Model):
    pk = models.CompositePrimaryKey("site", "flag", "hours")
    site = models.CharField(max_length=60)
    flag = models.CharField(max_length=20)
    hours = models.IntegerField()
    getjob = _int()
    updatejob = _int()
    nojob = _int()
    nstart = _int()
    finished = _int()
    failed = _int()
    defined = _int()
    assigned = _int()
    waiting = _int()
    activated = _int()
    holding = _int()
    running = _int()
    transferring = _int()
    lastmod = _date()

    class Meta:
        managed = False
        db_table = db_table("SITEDATA")


class PilotQueue(models.Model):
    pk = models.CompositePrimaryKey("jobid", "nickname")
    jobid = models.CharField(max_length=100)
    tpid = models.CharField(max_length=60, unique=True)
    url = _char(200)
    nickname = models.CharField(max_length=60)
    queueid = _char(60)
    system = _char(20)
    user = _char(60, db_column="user_")
    host = _char(60)
    submithost = _char(60)
    schedd_name = _char(60)
    type = _char(20)
    pandaid = _num()
    workernode = _char(60)
    state = _char(30)
    status = _char(20)
    tcheck = _date()
    tstate = _date()
    tenter = _date()
    tsubmit = _date()
    taccept = _date()
    tschedule = _date()
    tstart = _date()
    tend = _date()
    tdone = _date()
    tretrieve = _date()
    errcode = _int()
    errinfo = _char(150)
    message = _char(4000)

    class Meta:
        managed = False
        db_table = db_table("PILOTQUEUE")
        indexes = [
            _index("PILOTQUEUE_PANDAID_IDX", "pandaid"),
            _index("PILOTQUEUE_QUEUEID_IDX", "queueid"),
            _index("PILOTQUEUE_NICKNAME_IDX", "nickname"),
            _index("PILOTQUEUE_STATE_IDX", "state"),
            # Recent pilots are listed by TSTATE; without it the list scans the table.
            _index("PILOTQUEUE_TSTATE_IDX", "tstate"),
        ]


class SchedInstance(models.Model):
    pk = models.CompositePrimaryKey("nickname", "pandasite")
    nickname = models.CharField(max_length=60)
    pandasite = models.CharField(max_length=60)
    nqueue = models.IntegerField(default=5)
    nqueued = _int()
    nrunning = _int()
    nfinished = _int()
    nfailed = _int()
    naborted = _int()
    njobs = _int()
    ndone = _int()
    totrunt = _num()
    tvalid = _date()
    lastmod = _date()
    errinfo = _char(150)
    comment = _char(500, db_column="comment_")

    class Meta:
        managed = False
        db_table = db_table("SCHEDINSTANCE")


class SubmitHosts(models.Model):
    host = models.CharField(max_length=60, primary_key=True)
    name = _char(60)
    nickname = _char(60)
    system = _char(60)
    rundir = _char(120)
    runurl = _char(120)
    jdltxt = _char(4000)
    pilotqueue = _char(60)
    outurl = _char(120)

    class Meta:
        managed = False
        db_table = db_table("SUBMITHOSTS")


class ServiceList(models.Model):
    id = models.BigIntegerField(primary_key=True)
    name = _char(60)
    host = _char(100)
    pid = _int()
    userid = _char(40)
    type = _char(30)
    grp = _char(20)
    description = _char(200)
    url = _char(200)
    testurl = _char(200)
    response = _char(200)
    tresponse = _date()
    tstart = _date()
    tstop = _date()
    tcheck = _date()
    cyclesec = _int()
    status = _char(20)
    lastmod = _date()
    config = _char(200)
    message = _char(4000)
    restartcmd = _char(4000)
    doaction = _char(4000)

    class Meta:
        managed = False
        db_table = db_table("SERVICELIST")


class PilotType(models.Model):
    name = models.CharField(max_length=60, primary_key=True)
    script = _char(60)
    url = _char(150)
    system = _char(60)

    class Meta:
        managed = False
        db_table = db_table("PILOTTYPE")


class JdlList(models.Model):
    name = models.CharField(max_length=60, primary_key=True)
    host = _char(200)
    system = _char(20)
    jdl = _char(4000)

    class Meta:
        managed = False
        db_table = db_table("JDLLIST")


ALL_MODELS: list[type[models.Model]] = [
    *JOB_MODELS.values(),
    JediTasks,
    JediDatasets,
    SchedConfig,
    CloudConfig,
    SiteData,
    PilotQueue,
    SchedInstance,
    SubmitHosts,
    ServiceList,
    PilotType,
    JdlList,
]
