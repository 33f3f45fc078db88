"""The files of jobs: FILESTABLE4 and the archive's FILESTABLE_ARCH."""

from __future__ import annotations

from django.db import models

from ..tables import db_table
from .fields import UTCDateTimeField, char, date, index, num, small


class FileColumns(models.Model):
    """The columns FILESTABLE4 and its archive FILESTABLE_ARCH share: one row per file of a
    job (input, output, log)."""

    row_id = models.BigIntegerField()
    pandaid = models.BigIntegerField()
    modificationtime = UTCDateTimeField()
    guid = char(64)
    lfn = char(4000)
    type = char(20)
    dataset = char(255)
    status = char(64)
    proddblock = char(255)
    dispatchdblock = char(255)
    destinationdblock = char(255)
    destinationse = char(250)
    fsize = models.BigIntegerField(default=0)
    checksum = char(36)
    scope = char(30)
    jeditaskid = num()
    datasetid = num()
    fileid = num()
    attemptnr = small()

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
            index("FILESTABLE4_DESTDBLOCK_IDX", "destinationdblock"),
            index("FILESTABLE4_DISPDBLOCK_IDX", "dispatchdblock"),
            index("FILESTABLE4_PANDAID_IDX", "pandaid"),
            index("FILESTABLE4_TASKFILEID_IDX", "jeditaskid", "datasetid", "fileid"),
        ]


class FilesTableArch(FileColumns):
    """PANDAARCH.FILESTABLE_ARCH: the files of archived jobs. The real table has no primary
    key; (ROW_ID, MODIFICATIONTIME) stands in for it, as for JOBSARCHIVED."""

    pk = models.CompositePrimaryKey("row_id", "modificationtime")
    creationtime = date()

    class Meta:
        managed = False
        db_table = db_table("FILESTABLE_ARCH")
        indexes = [
            index("FILES_ARCH_PANDAID_IDX", "pandaid"),
            index("FILES_ARCH_ROWID_IDX", "row_id"),
            index("FILE_ARCH_TASK_DSET_FILEID_IDX", "jeditaskid", "datasetid", "fileid", "pandaid"),
        ]
