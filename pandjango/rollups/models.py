"""The rollup tables, in the `default` database (ours; the router never sends them to PanDA's).

JobCount and TaskJobCount hold the jobs of JOBSARCHIVED4 counted per hour of their
MODIFICATIONTIME (the column every job summary's window is read on; TaskJobCount at the exact
time) and per value of the columns the summaries group and filter by. JOBSARCHIVED4 comes first in pandadb.jobs.PRECEDENCE, so each of its
rows stands for its job: the counts are once per PandaID. ActiveJobCount and
ActiveTaskJobCount are the same counts of the active tables (JOBSACTIVE4, JOBSWAITING4,
JOBSDEFINED4), a snapshot each refresher run replaces whole; answers read them while the
snapshot is fresh, the active tables live otherwise (reading.py). The archive is read
directly (docs/rollups.md says why). WorkerCount holds the Harvester workers that are not
live, per hour of LASTUPDATE, with its own mark (workers.py); LiveWorkerCount the live ones, a
snapshot each worker run replaces whole, read while fresh as the active jobs' is. EndCount holds the finished and
failed jobs of JOBSARCHIVED4 per hour of MODIFICATIONTIME and 5 minutes of ENDTIME, for the
time series and the per-queue efficiency (reading_ends.py), written with JobCount;
EndHourCount the same per hour of ENDTIME by state and queue only.
"""

from __future__ import annotations

from django.db import models

# The job columns a rollup keeps, each under the job tables' own name, so that a request's
# filter (a Q on these names) applies to a rollup as it does to a job table. JobCount keeps
# the few-valued ones; TaskJobCount adds the task and the user, which split the jobs of an
# hour into many more groups, for the answers that need them.
TEXT_DIMENSIONS = ("jobstatus", "computingsite", "cloud", "prodsourcelabel", "processingtype", "gshare", "resource_type", "nucleus")
CODE_DIMENSIONS = (
    "piloterrorcode", "exeerrorcode", "superrorcode", "ddmerrorcode", "brokerageerrorcode",
    "jobdispatchererrorcode", "taskbuffererrorcode",
)
TASK_DIMENSIONS = ("jeditaskid", "produsername")
DIMENSIONS: tuple[str, ...] = (*TEXT_DIMENSIONS, *CODE_DIMENSIONS, *TASK_DIMENSIONS)
# The columns of the default groupings (the facets' rolled-up fields, the jobs summary's and
# the matrix's defaults), which the coarse tables' index holds with the counts: those reads
# never touch the table itself.
COVERED = ("bucket", "jobstatus", "computingsite", "cloud", "prodsourcelabel", "n", "max_pandaid")
# The rollups' rows: the refresher's mark, and the lock row of the databases without a
# session lock (SQLite).
JOBS = "jobs"
WORKERS = "workers"
ACTIVE = "active"  # the active jobs' snapshot: its mark is the run's that took it
LIVE_WORKERS = "live_workers"  # the live workers' snapshot: its mark is the worker run's that took it
LOCK = "lock"
# The parts whose freshness /healthz and /metrics report, each by its mark.
PARTS = (JOBS, ACTIVE, WORKERS, LIVE_WORKERS)


class TextColumns(models.Model):
    """The few-valued job columns (TEXT_DIMENSIONS) of every job rollup."""

    jobstatus = models.CharField(max_length=15, null=True)
    computingsite = models.CharField(max_length=128, null=True)
    cloud = models.CharField(max_length=50, null=True)
    prodsourcelabel = models.CharField(max_length=20, null=True)
    processingtype = models.CharField(max_length=64, null=True)
    gshare = models.CharField(max_length=32, null=True)
    resource_type = models.CharField(max_length=56, null=True)
    nucleus = models.CharField(max_length=52, null=True)

    class Meta:
        abstract = True


class Counts(TextColumns):
    bucket = models.DateTimeField(help_text="start of the hour (UTC) of the jobs' MODIFICATIONTIME")
    piloterrorcode = models.IntegerField(null=True)
    exeerrorcode = models.IntegerField(null=True)
    superrorcode = models.IntegerField(null=True)
    ddmerrorcode = models.IntegerField(null=True)
    brokerageerrorcode = models.IntegerField(null=True)
    jobdispatchererrorcode = models.IntegerField(null=True)
    taskbuffererrorcode = models.IntegerField(null=True)
    n = models.BigIntegerField(help_text="jobs of the group")
    max_pandaid = models.BigIntegerField(help_text="the highest PandaID of the group (the errors summary's example)")

    dimensions: tuple[str, ...] = (*TEXT_DIMENSIONS, *CODE_DIMENSIONS)
    exact = False  # True: `bucket` is the exact MODIFICATIONTIME, not the start of its hour

    class Meta:
        abstract = True


class JobCount(Counts):
    class Meta:
        db_table = "rollups_jobcount"
        indexes = [models.Index(fields=COVERED, name="rollups_jobcount_covering")]


class TaskCounts(Counts):
    """Every column, and each group at its exact MODIFICATIONTIME rather than its hour: by
    task and user the groups are nearly one job each anyway (881,677 groups for 887,490 jobs
    in the benchmark's 1,000,000), and exact times let these tables count any part of an
    hour (a window's cut first and last hours) as well as whole hours."""

    bucket = models.DateTimeField(help_text="the jobs' MODIFICATIONTIME (UTC), exact: hour ranges select whole hours")
    jeditaskid = models.BigIntegerField(null=True)
    produsername = models.CharField(max_length=60, null=True)

    dimensions = DIMENSIONS
    exact = True

    class Meta:
        abstract = True


class TaskJobCount(TaskCounts):
    class Meta:
        db_table = "rollups_taskjobcount"
        indexes = [models.Index(fields=["bucket", "jobstatus"], name="rollups_taskjobcount_bucket")]


# Coarsest first: a request reads the first that has every column it needs; the last, exact,
# counts the cut hours of a window.
ROLLUPS: tuple[type[Counts], ...] = (JobCount, TaskJobCount)
EXACT: type[Counts] = TaskJobCount


class ActiveJobCount(Counts):
    """JobCount's counts of the active tables, as of the run that took the snapshot."""

    class Meta:
        db_table = "rollups_activejobcount"
        indexes = [models.Index(fields=COVERED, name="rollups_active_covering")]


class ActiveTaskJobCount(TaskCounts):
    """TaskJobCount's counts of the active tables, as of the run that took the snapshot."""

    class Meta:
        db_table = "rollups_activetaskjobcount"
        indexes = [models.Index(fields=["bucket", "jobstatus"], name="rollups_activetask_bucket")]


# Each rollup's snapshot of the active tables, with the same columns (and times).
SNAPSHOT_OF: dict[type[Counts], type[Counts]] = {JobCount: ActiveJobCount, TaskJobCount: ActiveTaskJobCount}


# The ended jobs' states the time series and the per-queue sums count, and the unit of
# ENDTIME EndCount keeps them by (epoch-aligned, as every bin of the time series is).
ENDED_STATES = ("finished", "failed")
END_UNIT_SECONDS = 300


class EndCounts(models.Model):
    """The finished and failed jobs of JOBSARCHIVED4 per hour of MODIFICATIONTIME (so that the
    refresher's hours, trusted hours and mark are JobCount's), per unit of ENDTIME (`unit`
    seconds, epoch-aligned like every bin of the time series) and per value of some
    columns; with the sums of the per-queue efficiency, and the first and last
    MODIFICATIONTIME of the group, which tell the groups of the hour a window's start cuts
    apart and bound the read of its cut units (reading_ends.py)."""

    bucket = models.DateTimeField(help_text="start of the hour (UTC) of the jobs' MODIFICATIONTIME")
    endbin = models.BigIntegerField(help_text="epoch seconds of the start of the unit of the jobs' ENDTIME")
    n = models.BigIntegerField(help_text="jobs of the group")
    wall_sum = models.BigIntegerField(help_text="seconds from STARTTIME to ENDTIME, of the jobs with both set")
    wall_jobs = models.BigIntegerField(help_text="jobs with both STARTTIME and ENDTIME set")
    cpu_sum = models.BigIntegerField(help_text="CPUCONSUMPTIONTIME summed")
    cpu_jobs = models.BigIntegerField(help_text="jobs with a CPUCONSUMPTIONTIME")
    first_modified = models.DateTimeField(help_text="the earliest MODIFICATIONTIME of the group")
    last_modified = models.DateTimeField(help_text="the latest MODIFICATIONTIME of the group")

    dimensions: tuple[str, ...] = TEXT_DIMENSIONS
    sums = ("n", "wall_sum", "wall_jobs", "cpu_sum", "cpu_jobs")
    unit = END_UNIT_SECONDS

    class Meta:
        abstract = True


class EndCount(EndCounts, TextColumns):
    """Per 5 minutes of ENDTIME (the finest bin of the time series) and every few-valued column."""

    class Meta:
        db_table = "rollups_endcount"
        indexes = [
            models.Index(fields=["bucket"], name="rollups_endcount_bucket"),
            models.Index(fields=["endbin", "bucket"], name="rollups_endcount_endbin"),
        ]


class EndHourCount(EndCounts):
    """Per hour of ENDTIME, state and queue only: the time series by the hour or day and the
    per-queue efficiency of a window's whole hours, without a filter on another column, add
    up one group per queue and state where EndCount has one per 5 minutes and every column
    (143,505 groups of EndCount for 177,475 jobs in the seed of 200,000)."""

    jobstatus = models.CharField(max_length=15, null=True)
    computingsite = models.CharField(max_length=128, null=True)

    dimensions = ("jobstatus", "computingsite")
    unit = 3600

    class Meta:
        db_table = "rollups_endhourcount"
        indexes = [
            models.Index(fields=["bucket"], name="rollups_endhourcount_bucket"),
            models.Index(fields=["endbin", "bucket"], name="rollups_endhourcount_endbin"),
        ]


class EndStateCount(EndCounts):
    """Per 5 minutes of ENDTIME and state only: a time series without a filter or a grouping
    adds up a few groups per unit where EndCount has nearly one per job (at 1,000,000 jobs,
    the 24 hours of 5-minute bins read about 250,000 rows of EndCount, over 900 ms), and so
    do the cut hours of a series by the hour or day."""

    jobstatus = models.CharField(max_length=15, null=True)

    dimensions = ("jobstatus",)

    class Meta:
        db_table = "rollups_endstatecount"
        indexes = [
            models.Index(fields=["bucket"], name="rollups_endstatecount_bucket"),
            models.Index(fields=["endbin", "bucket"], name="rollups_endstatecount_endbin"),
        ]


# Coarsest first: a request reads each, in turn, whose unit divides its bins and that has every
# column it needs, over the whole units of that size still to count; the last, the finest,
# holds them all and counts what is left.
END_ROLLUPS: tuple[type[EndCounts], ...] = (EndHourCount, EndStateCount, EndCount)


class WorkerCounts(models.Model):
    """Harvester workers (HARVESTER_WORKERS) counted per hour of their LASTUPDATE (the column
    the autopilot's windows are read on) and per value of the columns its summaries group by."""

    bucket = models.DateTimeField(help_text="start of the hour (UTC) of the workers' LASTUPDATE")
    harvesterid = models.CharField(max_length=50)
    computingsite = models.CharField(max_length=128, null=True)
    status = models.CharField(max_length=80)
    resourcetype = models.CharField(max_length=56, null=True)
    jobtype = models.CharField(max_length=52, null=True)
    submissionhost = models.CharField(max_length=128, null=True)
    n = models.BigIntegerField(help_text="workers of the group")
    no_jobs = models.BigIntegerField(help_text="those that ran no job (NJOBS 0, or no HARVESTER_REL_JOBS_WORKERS row)")

    dimensions = ("harvesterid", "computingsite", "status", "resourcetype", "jobtype", "submissionhost")

    class Meta:
        abstract = True


class WorkerCount(WorkerCounts):
    """The workers that are not live (workers.py)."""

    class Meta:
        db_table = "rollups_workercount"
        indexes = [models.Index(fields=["bucket", "computingsite"], name="rollups_workercount_bucket")]


class LiveWorkerCount(WorkerCounts):
    """The live workers (workers.LIVE_STATUSES), as of the worker run that took the snapshot."""

    class Meta:
        db_table = "rollups_liveworkercount"
        indexes = [models.Index(fields=["bucket", "computingsite"], name="rollups_liveworkercount_bucket")]


class RollupState(models.Model):
    """One row per rollup (its mark: the start of the last complete refresher run), and the
    lock row where the database has no session lock."""

    name = models.CharField(max_length=32, primary_key=True)
    mark = models.DateTimeField(null=True, help_text="start of the last complete run: rows modified before mark - overlap are counted")
    finished_at = models.DateTimeField(null=True)
    seconds = models.FloatField(default=0.0, help_text="how long the last run took")
    buckets = models.IntegerField(default=0, help_text="hour buckets the last run recomputed")
    locked_by = models.CharField(max_length=200, default="")
    locked_until = models.DateTimeField(null=True)

    class Meta:
        db_table = "rollups_state"
