"""The queues: their CRIC documents (SCHEDCONFIG_JSON), SITEDATA and the resource types."""

from __future__ import annotations

from django.db import models

from ..tables import db_table
from .fields import JSONDocumentField, UTCDateTimeField, date, integer


class SchedConfigJson(models.Model):
    """One CRIC document per PanDA queue (PANDA_QUEUE = the jobs' COMPUTINGSITE). The
    document is read as text and parsed in Python (pandadb/queues.py)."""

    panda_queue = models.CharField(max_length=50, primary_key=True)
    data = JSONDocumentField(null=True, blank=True)
    last_update = date()

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
    nojob = integer()
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
    mincore = integer()
    maxcore = integer()
    minrampercore = integer()
    maxrampercore = integer()

    class Meta:
        managed = False
        db_table = db_table("RESOURCE_TYPES")
