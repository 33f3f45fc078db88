"""Every model carries at least the columns PANDA-SCHEMA.md lists for its table."""

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
jeditaskid taskid reqid assignedpriority currentpriority attemptnr maxattempt
piloterrorcode piloterrordiag exeerrorcode exeerrordiag superrorcode superrordiag ddmerrorcode
ddmerrordiag brokerageerrorcode brokerageerrordiag jobdispatchererrorcode jobdispatchererrordiag
taskbuffererrorcode taskbuffererrordiag
cpuconsumptiontime corecount actualcorecount hs06 hs06sec maxrss maxpss maxvmem minramcount
maxwalltime nevents ninputfiles inputfilebytes outputfilebytes
proddblock destinationdblock destinationse sourcesite destinationsite
"""

DOCUMENTED = {
    "JOBSDEFINED4": JOB_COLUMNS, "JOBSWAITING4": JOB_COLUMNS, "JOBSACTIVE4": JOB_COLUMNS,
    "JOBSARCHIVED4": JOB_COLUMNS, "JOBSARCHIVED": JOB_COLUMNS,
    "JEDI_TASKS": """jeditaskid taskname status superstatus username creationdate modificationtime
        starttime endtime reqid parent_tid cloud site prodsourcelabel workinggroup vo tasktype
        processingtype campaign taskpriority currentpriority corecount progress failurerate errordialog""",
    "JEDI_DATASETS": "jeditaskid datasetid datasetname type status nfiles nfilesfinished nfilesfailed nevents",
    "SCHEDCONFIG": """nickname siteid site cloud region tier gocname countrygroup status gatekeeper queue
        jobmanager system jdl nqueue nodes maxtime memory maxmemory corecount timefloor pilotlimit
        comment_ lastmod errinfo email copytool se ddm releases multicloud pilotversion capability resource_type""",
    "CLOUDCONFIG": "name description tier1 tier1se status server weight comment_ countries modtime",
    "SITEDATA": """site flag hours getjob updatejob nojob nstart finished failed defined assigned waiting
        activated holding running transferring lastmod""",
    "PILOTQUEUE": """jobid tpid url nickname queueid system user_ host submithost schedd_name type pandaid
        workernode state status tcheck tstate tenter tsubmit taccept tschedule tstart tend tdone tretrieve
        errcode errinfo message""",
    "SCHEDINSTANCE": """nickname pandasite nqueue nqueued nrunning nfinished nfailed naborted njobs ndone
        totrunt tvalid lastmod errinfo comment_""",
    "SUBMITHOSTS": "host name nickname system rundir runurl jdltxt pilotqueue outurl",
    "SERVICELIST": """id name host pid userid type grp description url testurl response tresponse tstart
        tstop tcheck cyclesec status lastmod config message restartcmd doaction""",
    "PILOTTYPE": "name script url system",
    "JDLLIST": "name host system jdl",
}


@pytest.mark.parametrize("model", models.ALL_MODELS, ids=lambda m: table_of(m).upper())
def test_the_model_has_every_documented_column(model: type) -> None:
    expected = set(DOCUMENTED[table_of(model).upper()].split())
    assert expected - set(columns_of(model)) == set()


def test_every_documented_table_has_a_model() -> None:
    assert {table_of(m).upper() for m in models.ALL_MODELS} == set(DOCUMENTED)


def test_primary_keys_are_the_real_ones() -> None:
    def pk(model: type) -> list[str]:
        return [f.column for f in model._meta.pk_fields]

    assert pk(models.JobsActive4) == ["pandaid"]
    assert pk(models.JobsArchived4) == ["pandaid", "modificationtime"]
    assert pk(models.PilotQueue) == ["jobid", "nickname"]
    assert pk(models.SchedInstance) == ["nickname", "pandasite"]
    assert pk(models.SiteData) == ["site", "flag", "hours"]
    assert pk(models.JediDatasets) == ["jeditaskid", "datasetid"]
    assert pk(models.SchedConfig) == ["nickname"]


def test_the_models_are_never_migrated() -> None:
    assert all(not m._meta.managed for m in models.ALL_MODELS)
