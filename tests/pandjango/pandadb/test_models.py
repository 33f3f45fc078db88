"""Every model is a table of today's PanDA schema (PANDA-SCHEMA.md): the documented columns,
the real keys, and indexes named and built as the published DDL has them."""

from __future__ import annotations

import pytest

from pandjango.pandadb import models
from pandjango.pandadb.schema import columns_of, table_of

pytestmark = pytest.mark.no_db

JOB_COLUMNS = """
pandaid jobdefinitionid schedulerid pilotid batchid parentid jobsetid jobname
creationtime modificationtime statechangetime starttime endtime creationhost modificationhost
prodsourcelabel produsername produserid computingsite computingelement cloud nucleus vo
workinggroup countrygroup processingtype gshare resource_type eventservice
transformation atlasrelease homepackage cmtconfig jobstatus jobsubstatus commandtopilot transexitcode
specialhandling lockedby workqueue_id jobexecutionid
jeditaskid taskid reqid assignedpriority currentpriority attemptnr maxattempt
piloterrorcode piloterrordiag exeerrorcode exeerrordiag superrorcode superrordiag ddmerrorcode
ddmerrordiag brokerageerrorcode brokerageerrordiag jobdispatchererrorcode jobdispatchererrordiag
taskbuffererrorcode taskbuffererrordiag
cpuconsumptiontime corecount actualcorecount hs06 hs06sec maxrss maxpss maxvmem minramcount
maxdiskcount maxwalltime nevents ninputfiles inputfilebytes outputfilebytes
proddblock destinationdblock destinationse sourcesite destinationsite
"""

DOCUMENTED_COLUMNS = {
    "JOBSDEFINED4": JOB_COLUMNS, "JOBSWAITING4": JOB_COLUMNS, "JOBSACTIVE4": JOB_COLUMNS,
    "JOBSARCHIVED4": JOB_COLUMNS, "JOBSARCHIVED": JOB_COLUMNS,
    "JEDI_TASKS": """jeditaskid taskname status superstatus username creationdate modificationtime
        starttime endtime reqid parent_tid cloud site prodsourcelabel workinggroup vo tasktype
        processingtype campaign taskpriority currentpriority corecount progress failurerate errordialog workqueue_id""",
    "JEDI_DATASETS": """jeditaskid datasetid datasetname type status nfiles nfilesfinished nfilesfailed nevents
        masterid containername streamname site""",
    "JEDI_TASKPARAMS": "jeditaskid taskparams",
    "FILESTABLE4": """row_id pandaid modificationtime guid lfn type dataset status fsize scope jeditaskid datasetid
        fileid destinationse destinationdblock""",
    "FILESTABLE_ARCH": """row_id pandaid modificationtime creationtime guid lfn type dataset status fsize scope
        jeditaskid datasetid fileid""",
    "METATABLE": "pandaid modificationtime metadata",
    "SCHEDCONFIG_JSON": "panda_queue data last_update",
    "SITEDATA": """site flag hours getjob updatejob nojob nstart finished failed defined assigned waiting
        activated holding running transferring lastmod""",
    "RESOURCE_TYPES": "resource_name mincore maxcore minrampercore maxrampercore",
    "HARVESTER_INSTANCES": "harvester_id description owner hostname starttime lastupdate sw_version",
    "HARVESTER_WORKERS": """harvesterid workerid lastupdate status batchid nodeid queuename computingsite
        computingelement submittime starttime endtime ncore njobs minramcount errorcode nativeexitcode
        nativestatus diagmessage stdout stderr batchlog jdl submissionhost harvesterhost resourcetype
        jobtype pilotstarttime pilotendtime pilotstatus pilotstatussynctime""",
    "HARVESTER_WORKER_STATS": "harvester_id computingsite resourcetype status jobtype n_workers",
    "HARVESTER_REL_JOBS_WORKERS": "harvesterid workerid pandaid lastupdate",
    "ERROR_DESCRIPTIONS": "id component code acronym diagnostics description category",
}

# The primary keys: the DDL's, except the archive's (it has none; Django needs one to name rows).
PRIMARY_KEYS = {
    "JOBSDEFINED4": ["pandaid"], "JOBSWAITING4": ["pandaid"], "JOBSACTIVE4": ["pandaid"],
    "JOBSARCHIVED4": ["pandaid", "modificationtime"], "JOBSARCHIVED": ["pandaid", "modificationtime"],
    "JEDI_TASKS": ["jeditaskid"], "JEDI_DATASETS": ["jeditaskid", "datasetid"],
    "JEDI_TASKPARAMS": ["jeditaskid"], "FILESTABLE4": ["row_id", "modificationtime"],
    # The archive's files have no key in the DDL; (ROW_ID, MODIFICATIONTIME) stands in for one.
    "FILESTABLE_ARCH": ["row_id", "modificationtime"], "METATABLE": ["pandaid", "modificationtime"],
    "SCHEDCONFIG_JSON": ["panda_queue"], "SITEDATA": ["site", "flag", "hours"],
    "RESOURCE_TYPES": ["resource_name"], "HARVESTER_INSTANCES": ["harvester_id"],
    "HARVESTER_WORKERS": ["harvesterid", "workerid"],
    "HARVESTER_WORKER_STATS": ["harvester_id", "computingsite", "resourcetype", "status", "jobtype"],
    "HARVESTER_REL_JOBS_WORKERS": ["harvesterid", "workerid", "pandaid"],
    "ERROR_DESCRIPTIONS": ["id"],
}

WORKQUEUE = ("workqueue_id", "cloud", "jobstatus", "prodsourcelabel", "currentpriority")

# The DDL's indexes on the columns the monitor models: name -> columns. A model may leave out an
# index of the DDL (an expression index, or one on a column it does not read), never rename one.
DDL_INDEXES: dict[str, dict[str, tuple[str, ...]]] = {
    "JOBSDEFINED4": {
        "JOBSDEFINED4_JEDITASKID_IDX": ("jeditaskid", "pandaid"),
        "JOBSDEFINED4_JOBNAME_IDX": ("jobname",),
        "JOBSDEFINED4_JOBSETID_IDX": ("jobsetid",),
        "JOBSDEFINED4_LABEL_CSITE_STAT": ("prodsourcelabel", "computingsite", "jobstatus"),
        "JOBSDEFINED4_PRODUSERNAME_IDX": ("produsername",),
        "JOBSDEFINED4_REQID_IDX": ("reqid",),
        "JOBSDEFINED4_WORKQUEUE_IDX": WORKQUEUE,
        "JOBSDEF_STATECHANGETIME_IDX": ("statechangetime",),
    },
    "JOBSWAITING4": {
        "JOBSWAITING4_JEDITASKID_IDX": ("jeditaskid", "pandaid"),
        "JOBSWAITING4_JOBEXECID_IDX": ("jobexecutionid",),
        "JOBSWAITING4_REQID_IDX": ("reqid",),
        "JOBSWAITING4_WORKQUEUE_IDX": WORKQUEUE,
        "JOBSWAIT_STATECHANGETIME_IDX": ("statechangetime",),
    },
    "JOBSACTIVE4": {
        "JOBSACTIVE4_COMPSITESTATUS_IDX": ("computingsite", "jobstatus"),
        "JOBSACTIVE4_CSITE_LABEL_PRIOR3": ("computingsite", "prodsourcelabel", "currentpriority", "jobstatus", "maxdiskcount", "commandtopilot"),
        "JOBSACTIVE4_JEDITASKIDSTAT_IDX": ("jeditaskid", "jobstatus"),
        "JOBSACTIVE4_JEDITASKID_IDX": ("jeditaskid", "pandaid"),
        "JOBSACTIVE4_JOBDEFID_IDX": ("jobdefinitionid",),
        "JOBSACTIVE4_JOBNAME_IDX": ("jobname",),
        "JOBSACTIVE4_MODTIME_IDX": ("modificationtime",),
        "JOBSACTIVE4_PRIOR_IDX": ("currentpriority", "pandaid"),
        "JOBSACTIVE4_PRODDBLOCK_ST_IDX": ("proddblock", "jobstatus"),
        "JOBSACTIVE4_PRODUSERNAMEST_IDX": ("produsername", "jobstatus"),
        "JOBSACTIVE4_REQID_IDX": ("reqid",),
        "JOBSACTIVE4_STAT_LABEL_WGR_IDX": ("jobstatus", "prodsourcelabel", "workinggroup"),
        "JOBSACTIVE4_WORKQUEUE_IDX": WORKQUEUE,
        "JOBSACTIVE_STATECHANGETIME_IDX": ("statechangetime",),
    },
    "JOBSARCHIVED4": {
        "JOBSARC4_JEDITASKID3ATTR_IDX": ("jeditaskid", "jobstatus", "prodsourcelabel", "pandaid"),
        "JOBSARCH4_COMPSITE_5ATTR_IDX": ("computingsite", "cloud", "jobstatus", "prodsourcelabel", "processingtype", "modificationtime"),
        "JOBSARCH4_MTIMEPRODSLABEL_IDX": ("modificationtime", "prodsourcelabel"),
        "JOBSARCH4_PILOTERRCODE_IDX": ("piloterrorcode",),
        "JOBSARCH4_PRODUSERNAMEST_IDX": ("produsername", "jobstatus"),
        "JOBSARCH4_SPECIALHANDLING_IDX": ("specialhandling",),
        "JOBSARCH4_TASKID_3ATTR_IDX": ("taskid", "prodsourcelabel", "jobstatus", "processingtype"),
        "JOBSARCH4_WORKGROUP_STATUS_IDX": ("workinggroup", "jobstatus"),
        "JOBSARCHIVED4_BATCHID_IDX": ("batchid",),
        "JOBSARCHIVED4_JOBDEFID_IDX": ("jobdefinitionid",),
        "JOBSARCHIVED4_JOBNAME_IDX": ("jobname",),
        "JOBSARCHIVED4_JOBSETID_IDX": ("jobsetid",),
        "JOBSARCHIVED4_REQID_IDX": ("reqid",),
        "JOBSARCHIVED4_WORKQUEUE_IDX": WORKQUEUE,
        "JOBS_DESTINATIONDBLOCK_IDX": ("destinationdblock",),
        "JOBS_STATECHANGETIME_IDX": ("statechangetime",),
    },
    "JOBSARCHIVED": {
        "JOBS_PANDAID_IDX": ("pandaid",),
        "JOBS_JEDITASKID_PANDAID_IDX": ("jeditaskid", "pandaid"),
        "JOBS_COMSITE_3ATTR_PANDAID_IDX": ("computingsite", "jobstatus", "prodsourcelabel", "processingtype", "pandaid"),
        "JOBS_TASKID_3ATTR_PANDAID_IDX": ("taskid", "prodsourcelabel", "jobstatus", "processingtype", "pandaid"),
        "JOBS_PRODUSERNAME_4ATTR_IDX": ("produsername", "jobstatus", "prodsourcelabel", "jobsetid", "jobdefinitionid"),
        "JOB_PRODLABEL_STATUS_IDX": ("prodsourcelabel", "jobstatus"),
        "JOBS_STATECHANGETIME_IDX": ("statechangetime",),
        "JOBS_EXEERRORCODE_IDX": ("exeerrorcode",),
        "JOBS_BATCHID_IDX": ("batchid",),
        "JOBS_JOBNAME_IDX": ("jobname",),
        "JOBS_SPECIALHANDLING_IDX": ("specialhandling",),
        "JOBSARCHIVED_REQID_IDX": ("reqid",),
        "JOBS_JOBSETID_PRODUSERNAME_IDX": ("jobsetid", "produsername"),
        "JOBS_JOBDEFID_PRODUSERNAME_IDX": ("jobdefinitionid", "produsername"),
    },
    "JEDI_TASKS": {
        "JEDI_TASKS_STATUS3ATTR_IDX": ("status", "workqueue_id", "prodsourcelabel", "jeditaskid"),
        "JEDI_TASKS_NAMETASKID_IDX": ("taskname", "jeditaskid"),
        "JEDI_TASKS_REQID_IDX": ("reqid", "username"),
        "JEDI_TASKS_MODIFTIME_IDX": ("modificationtime",),
        "JEDI_TASKS_CREATION_IDX": ("creationdate",),
        "JEDI_TASKS_PARENT_TID_IDX": ("parent_tid",),
    },
    "FILESTABLE4": {
        "FILESTABLE4_DATASETYPE3COL_IDX": ("dataset", "type", "destinationdblock", "status", "pandaid"),
        "FILESTABLE4_DESTDBLOCK_IDX": ("destinationdblock",),
        "FILESTABLE4_DISPDBLOCK_IDX": ("dispatchdblock",),
        "FILESTABLE4_LFN_IDX": ("lfn",),
        "FILESTABLE4_PANDAID_IDX": ("pandaid",),
        "FILESTABLE4_TASKFILEID_IDX": ("jeditaskid", "datasetid", "fileid"),
    },
    "FILESTABLE_ARCH": {
        "FILES_ARCH_LFN_IDX": ("lfn",),
        "FILES_ARCH_PANDAID_IDX": ("pandaid",),
        "FILES_ARCH_ROWID_IDX": ("row_id",),
        "FILE_ARCH_TASK_DSET_FILEID_IDX": ("jeditaskid", "datasetid", "fileid", "pandaid"),
    },
    "JEDI_DATASETS": {
        "JEDI_DATASETS_DSETID_IDX": ("datasetid",),
        "JEDI_DATASETS_TASKID_TYPE_IDX": ("jeditaskid", "type"),
        "JEDI_DATASET_DNAMETYPETID_IDX": ("datasetname", "type", "jeditaskid"),
    },
    "HARVESTER_WORKERS": {
        "HARVESTER_WORKERS_STATUS_IDX": ("status", "pilotstatus"),
        "HARVESTER_WORKERS_COMPSITE_IDX": ("computingsite",),
        "HARV_WORKERS_HARV_SUBMTIME_IDX": ("harvesterid", "submittime"),
        "HARV_WORKERS_SUBMITTIME_IDX": ("submittime",),
        "HARV_WORKERS_LASTUPD_IDX": ("lastupdate",),
    },
    "HARVESTER_REL_JOBS_WORKERS": {
        "HARVREL_JOBWORKERS_PANDAID_IDX": ("pandaid",),
        "HARV_WORK_RELJOBS_LASTUPD_IDX": ("lastupdate",),
    },
}

TABLE_IDS = {"ids": lambda m: table_of(m).upper()}


def _name(model: type) -> str:
    return table_of(model).upper()


@pytest.mark.parametrize("model", models.ALL_MODELS, **TABLE_IDS)
def test_the_model_has_every_documented_column(model: type) -> None:
    expected = set(DOCUMENTED_COLUMNS[_name(model)].split())
    assert expected - set(columns_of(model)) == set()


def test_every_table_the_monitor_reads_has_a_model_and_no_retired_table_does() -> None:
    tables = {_name(m) for m in models.ALL_MODELS}
    assert tables == set(DOCUMENTED_COLUMNS)
    retired = {"SCHEDCONFIG", "CLOUDCONFIG", "PILOTQUEUE", "SUBMITHOSTS", "SERVICELIST", "PILOTTYPE", "SCHEDINSTANCE", "JDLLIST"}
    assert tables & retired == set()


@pytest.mark.parametrize("model", models.ALL_MODELS, **TABLE_IDS)
def test_the_primary_key_is_the_real_one(model: type) -> None:
    assert [f.column for f in model._meta.pk_fields] == PRIMARY_KEYS[_name(model)]


@pytest.mark.parametrize("model", models.ALL_MODELS, **TABLE_IDS)
def test_every_index_has_its_ddl_name_and_columns(model: type) -> None:
    ddl = DDL_INDEXES.get(_name(model), {})
    columns = {f.name: f.column for f in model._meta.local_concrete_fields}
    for index in model._meta.indexes:
        assert index.name in ddl, f"{_name(model)}: {index.name} is not an index of the DDL"
        assert tuple(columns[f] for f in index.fields) == ddl[str(index.name)], index.name


def test_the_models_are_never_migrated() -> None:
    assert all(not m._meta.managed for m in models.ALL_MODELS)
