"""Beside the jobs: the payloads' metadata (METATABLE) and PanDA's error codes (ERROR_DESCRIPTIONS)."""

from __future__ import annotations

from django.db import models

from ..tables import db_table
from .fields import UTCDateTimeField, char


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


class ErrorDescriptions(models.Model):
    """PanDA's own table of error codes; older databases lack it (errorcodes.py then answers)."""

    id = models.BigAutoField(primary_key=True)
    component = models.CharField(max_length=32)
    code = models.IntegerField()
    acronym = char(64)
    diagnostics = char(256)
    description = char(4000)
    category = models.SmallIntegerField()

    class Meta:
        managed = False
        db_table = db_table("ERROR_DESCRIPTIONS")
