"""The JEDI tables: tasks, their datasets and their parameters."""

from __future__ import annotations

from django.db import models

from ..tables import db_table
from .fields import char, date, index, integer, num


class JediTasks(models.Model):
    jeditaskid = models.BigIntegerField(primary_key=True)
    taskname = char(256)
    status = models.CharField(max_length=64)
    superstatus = char(64)
    username = char(128)
    creationdate = date()
    modificationtime = date()
    starttime = date()
    endtime = date()
    reqid = integer()
    parent_tid = num()
    cloud = char(10)
    site = char(60)
    prodsourcelabel = char(20)
    workinggroup = char(32)
    vo = char(16)
    tasktype = char(64)
    processingtype = char(64)
    campaign = char(72)
    taskpriority = integer()
    currentpriority = integer()
    corecount = integer()
    progress = integer()
    failurerate = integer()
    errordialog = char(510)
    workqueue_id = integer()

    class Meta:
        managed = False
        db_table = db_table("JEDI_TASKS")
        indexes = [
            index("JEDI_TASKS_CREATION_IDX", "creationdate"),
            index("JEDI_TASKS_MODIFTIME_IDX", "modificationtime"),
            index("JEDI_TASKS_NAMETASKID_IDX", "taskname", "jeditaskid"),
            index("JEDI_TASKS_PARENT_TID_IDX", "parent_tid"),
            index("JEDI_TASKS_REQID_IDX", "reqid", "username"),
            index("JEDI_TASKS_STATUS3ATTR_IDX", "status", "workqueue_id", "prodsourcelabel", "jeditaskid"),
        ]


class JediDatasets(models.Model):
    pk = models.CompositePrimaryKey("jeditaskid", "datasetid")
    jeditaskid = models.BigIntegerField()
    datasetid = models.BigIntegerField()
    datasetname = char(255)
    type = char(20)
    status = char(20)
    nfiles = integer()
    nfilesfinished = integer()
    nfilesfailed = integer()
    nevents = num()
    masterid = num()
    containername = char(255)
    streamname = char(20)
    site = char(60)

    class Meta:
        managed = False
        db_table = db_table("JEDI_DATASETS")
        indexes = [
            index("JEDI_DATASETS_DSETID_IDX", "datasetid"),
            index("JEDI_DATASETS_TASKID_TYPE_IDX", "jeditaskid", "type"),
            index("JEDI_DATASET_DNAMETYPETID_IDX", "datasetname", "type", "jeditaskid"),
        ]


class JediTaskParams(models.Model):
    """A task's parameters as its submitter gave them: one JSON document (CLOB / text)."""

    jeditaskid = models.BigIntegerField(primary_key=True)
    taskparams = models.TextField(null=True, blank=True)  # CLOB / text holding JSON

    class Meta:
        managed = False
        db_table = db_table("JEDI_TASKPARAMS")
