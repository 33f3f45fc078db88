"""Harvester: its instances, its workers (the pilots), their counts and the jobs they ran."""

from __future__ import annotations

from django.db import models

from ..tables import db_table
from .fields import UTCDateTimeField, char, date, index, integer


class HarvesterInstances(models.Model):
    harvester_id = models.CharField(max_length=50, primary_key=True)
    description = char(200)
    starttime = date()
    owner = char(100)
    hostname = char(100)
    lastupdate = date()
    sw_version = char(50)
    commit_stamp = char(100)

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
    batchid = char(80)
    nodeid = char(80)
    queuename = char(80)
    computingsite = char(128)
    submittime = date()
    starttime = date()
    endtime = date()
    ncore = integer()
    errorcode = integer()
    stdout = char(250)
    stderr = char(250)
    batchlog = char(250)
    resourcetype = char(56)
    nativeexitcode = integer()
    nativestatus = char(80)
    diagmessage = char(500)
    computingelement = char(128)
    njobs = integer()
    submissionhost = char(128)
    harvesterhost = char(128)
    jdl = char(250)
    jobtype = char(52)
    pilotstarttime = date()
    pilotendtime = date()
    pilotstatus = char(80)
    pilotstatussynctime = date()
    minramcount = integer()

    class Meta:
        managed = False
        db_table = db_table("HARVESTER_WORKERS")
        indexes = [
            index("HARVESTER_WORKERS_COMPSITE_IDX", "computingsite"),
            index("HARVESTER_WORKERS_STATUS_IDX", "status", "pilotstatus"),
            index("HARV_WORKERS_HARV_SUBMTIME_IDX", "harvesterid", "submittime"),
            index("HARV_WORKERS_LASTUPD_IDX", "lastupdate"),
            index("HARV_WORKERS_SUBMITTIME_IDX", "submittime"),
        ]


class HarvesterWorkerStats(models.Model):
    """Workers now, per instance, queue, resource type, status and job type."""

    pk = models.CompositePrimaryKey("harvester_id", "computingsite", "resourcetype", "status", "jobtype")
    harvester_id = models.CharField(max_length=50)
    computingsite = models.CharField(max_length=128)
    resourcetype = models.CharField(max_length=56)
    status = models.CharField(max_length=80)
    jobtype = models.CharField(max_length=52)
    n_workers = integer()
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
            index("HARVREL_JOBWORKERS_PANDAID_IDX", "pandaid"),
            index("HARV_WORK_RELJOBS_LASTUPD_IDX", "lastupdate"),
        ]
