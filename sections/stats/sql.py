"""The stats section's raw SQL (see pandjango/rawsql/): the jobs matrix, counts per time
bin of jobs and of pilots, and the per-queue sums of the ended jobs. Time bins come back as
epoch seconds in `bucket`, as queries.TimeBucket gives them. queries.py imports this module
and runs them where the request's filters are plain values; its ORM path answers the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pandjango.pandadb.dates import UNSET_BEFORE
from pandjango.pandadb.epoch import BIN_SECONDS, EPOCH_SQL, bucket
from pandjango.pandadb.jobs import FINAL_TABLES
from pandjango.rawsql import definition, hints, jobsql, registry


def bin_param() -> definition.Param:
    return definition.Param("bin_seconds", "choice", "width of a time bin", required=True, choices=BIN_SECONDS, example="1h")


def job_timeseries_texts(time_param: str, groupby: str, filters: Sequence[str]) -> dict[str, str]:
    """Jobs counted per time bin of the `time_param` column (in the window; MODIFICATIONTIME,
    never before it, bounds the index range), optionally by a `groupby` column."""
    texts = {}
    for vendor in definition.VENDORS:
        hint = "/*+ {hint} */ " if vendor == "oracle" else ""
        texts[vendor] = f"""SELECT s.bucket[[, {{{groupby}:s}}]], SUM(s.n) AS {jobsql.quoted(vendor, "count")}
FROM (
{jobsql.UNION}
  SELECT t.bucket[[, {{{groupby}:t}}]], COUNT(*) AS n
  FROM (
    SELECT {hint}{bucket(vendor, "{" + time_param + ":j}")} AS bucket[[, {{{groupby}:j}}]]
    FROM {{table}} j
    WHERE {jobsql.in_range(vendor, "{" + time_param + ":j}")}
      AND {jobsql.in_range(vendor, "j.{time}", end=None)}
{jobsql.in_filters("j", filters, "      ")}{{unique}}
  ) t
  GROUP BY t.bucket[[, {{{groupby}:t}}]]
{jobsql.END}
) s
GROUP BY s.bucket[[, {{{groupby}:s}}]]"""
    return texts


def by_bucket(param: str) -> definition.Finish:
    """Time bins in order, then by the value of the column a shape parameter chose."""

    def order(rows: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
        column = values.get(param)
        return sorted(rows, key=lambda r: (r["bucket"], column is not None and r[column] is None, "" if not column or r[column] is None else r[column]))

    return order


JOB_DIMENSIONS = (
    "jobstatus", "computingsite", "cloud", "prodsourcelabel", "produsername", "processingtype",
    "jeditaskid", "gshare", "resource_type", "nucleus",
)
# The worker (pilot) columns a series of pilots_submitted may be grouped and filtered by.
PILOT_DIMENSIONS = ("computingsite", "harvesterid", "status", "resourcetype", "jobtype")
PILOT_FILTERS = dict.fromkeys(PILOT_DIMENSIONS, "str list")


jobs = registry.register(definition.RawQuery(
    name="stats.jobs",
    section="stats",
    purpose="Jobs counted by two columns (rows x cols) over the job tables in the window (/api/stats/jobs/)",
    params=(
        *jobsql.window_params(),
        jobsql.tables_param(),
        jobsql.columns_param("rows", "column", JOB_DIMENSIONS, "the column of the rows", example="cloud"),
        jobsql.columns_param("cols", "column", JOB_DIMENSIONS, "the column of the columns (not the rows')", example="jobstatus"),
        *jobsql.filter_params(jobsql.JOB_FILTERS),
    ),
    texts=jobsql.job_counts_texts(["rows", "cols"], list(jobsql.JOB_FILTERS)),
    returns='[{<rows column>: value, <cols column>: value, "count": n}], biggest count first',
    hint=hints.job_hint((), ["rows", "cols"], list(jobsql.JOB_FILTERS)),
    finish=jobsql.by_count_of("rows", "cols"),
))


jobs_timeseries = registry.register(definition.RawQuery(
    name="stats.jobs_timeseries",
    section="stats",
    purpose="Jobs counted per time bin of ENDTIME (jobs_finished, jobs_failed) or CREATIONTIME (jobs_created), optionally per column",
    params=(
        *jobsql.window_params("the time column"),
        bin_param(),
        jobsql.columns_param("time", "column", ("endtime", "creationtime"), "the time column binned and windowed", example="endtime"),
        jobsql.columns_param("groupby", "column", JOB_DIMENSIONS, "one count per bin and value of this column", required=False),
        jobsql.tables_param(),
        *jobsql.filter_params(jobsql.JOB_FILTERS),
    ),
    texts=job_timeseries_texts("time", "groupby", list(jobsql.JOB_FILTERS)),
    returns='[{"bucket": epoch seconds of the bin start, [<groupby column>: value,] "count": n}]',
    hint=hints.job_hint((), ["time", "groupby"], list(jobsql.JOB_FILTERS)),
    finish=by_bucket("groupby"),
))


def _pilots_timeseries_texts() -> dict[str, str]:
    """Workers submitted per bin of SUBMITTIME. LASTUPDATE, the partition key, is never
    before SUBMITTIME: its bound changes nothing but lets the database skip the partitions
    before the window."""
    texts = {}
    for vendor in definition.VENDORS:
        hint = "/*+ INDEX(w HARV_WORKERS_SUBMITTIME_IDX) */ " if vendor == "oracle" else ""
        texts[vendor] = f"""SELECT s.bucket[[, {{groupby:s}}]], COUNT(*) AS {jobsql.quoted(vendor, "count")}
FROM (
  SELECT {hint}{bucket(vendor, "w.submittime")} AS bucket[[, {{groupby:w}}]]
  FROM {{HARVESTER_WORKERS}} w
  WHERE {jobsql.in_range(vendor, "w.submittime")}
    AND {jobsql.in_range(vendor, "w.lastupdate", end=None)}
{jobsql.in_filters("w", list(PILOT_FILTERS), "    ")}
) s
GROUP BY s.bucket[[, {{groupby:s}}]]"""
    return texts


pilots_timeseries = registry.register(definition.RawQuery(
    name="stats.pilots_timeseries",
    section="stats",
    purpose="Pilots (Harvester workers) submitted per time bin of SUBMITTIME (pilots_submitted), optionally per column",
    params=(
        *jobsql.window_params("SUBMITTIME"),
        bin_param(),
        jobsql.columns_param("groupby", "column", PILOT_DIMENSIONS, "one count per bin and value of this column", required=False),
        *jobsql.filter_params(PILOT_FILTERS, "pilots"),
    ),
    texts=_pilots_timeseries_texts(),
    returns='[{"bucket": epoch seconds of the bin start, [<groupby column>: value,] "count": n}]',
    finish=by_bucket("groupby"),
))


# ---------------------------------------------------------------------------- stats.sites

SITE_SUMS = ("finished", "failed", "wall_sum", "wall_jobs", "cpu_sum", "cpu_jobs")
# Dates before this are PanDA's "not set" marker, as each vendor writes the date.
_UNSET_DAY = UNSET_BEFORE.date().isoformat()
_UNSET_BEFORE = {"oracle": f"DATE '{_UNSET_DAY}'", "mysql": f"'{_UNSET_DAY}'", "postgresql": f"DATE '{_UNSET_DAY}'", "sqlite": f"'{_UNSET_DAY}'"}
_SITE_COLUMNS = ("computingsite", "jobstatus", "starttime", "endtime", "cpuconsumptiontime")


def _site_sums_texts() -> dict[str, str]:
    """Per computingsite of the jobs that finished or failed in the window (by ENDTIME;
    MODIFICATIONTIME, never before it, bounds the index range): the sums of queries._site_sums, one GROUP BY
    per final job table, added up. The wall time counts jobs with both times set, as the
    difference of their epoch seconds (the ORM's seconds_between)."""
    texts = {}
    for vendor in definition.VENDORS:
        unset = _UNSET_BEFORE[vendor]
        epoch = EPOCH_SQL[vendor]
        wall = f"{epoch % {'expressions': 'j.endtime'}} - {epoch % {'expressions': 'j.starttime'}}"
        timed = f"j.starttime >= {unset} AND j.endtime >= {unset}"
        oracle_hint = "/*+ {hint} */ " if vendor == "oracle" else ""
        mysql_hint = " {hint}" if vendor == "mysql" else ""
        outer = ", ".join(f"SUM(s.{name}) AS {name}" for name in SITE_SUMS)
        texts[vendor] = f"""SELECT s.computingsite, {outer}
FROM (
{jobsql.UNION}
  SELECT {oracle_hint}j.computingsite,
    SUM(CASE WHEN j.jobstatus = 'finished' THEN 1 ELSE 0 END) AS finished,
    SUM(CASE WHEN j.jobstatus = 'failed' THEN 1 ELSE 0 END) AS failed,
    SUM(CASE WHEN {timed} THEN {wall} ELSE 0 END) AS wall_sum,
    SUM(CASE WHEN {timed} THEN 1 ELSE 0 END) AS wall_jobs,
    SUM(j.cpuconsumptiontime) AS cpu_sum,
    COUNT(j.cpuconsumptiontime) AS cpu_jobs
  FROM {{table}} j{mysql_hint}
  WHERE {jobsql.in_range(vendor, "j.endtime")}
    AND {jobsql.in_range(vendor, "j.{time}", end=None)}
    AND j.jobstatus IN ('finished', 'failed')
{jobsql.in_filters("j", list(jobsql.JOB_FILTERS), "    ")}{{unique}}
  GROUP BY j.computingsite
{jobsql.END}
) s
GROUP BY s.computingsite"""
    return texts


def _by_site(rows: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """By computingsite, nulls last; every sum an integer (a sum over no row is 0)."""
    rows = [{"computingsite": r["computingsite"], **{k: int(r[k] or 0) for k in SITE_SUMS}} for r in rows]
    return sorted(rows, key=lambda r: (r["computingsite"] is None, r["computingsite"] or ""))


_site_hint = hints.job_hint(_SITE_COLUMNS, (), list(jobsql.JOB_FILTERS))

sites = registry.register(definition.RawQuery(
    name="stats.sites",
    section="stats",
    purpose="Per queue, jobs that ended in the window (by ENDTIME): finished, failed, wall time and CPU time sums (/api/stats/sites/)",
    params=(
        *jobsql.window_params("ENDTIME"),
        jobsql.tables_param(FINAL_TABLES),
        *jobsql.filter_params(jobsql.JOB_FILTERS),
    ),
    texts=_site_sums_texts(),
    returns='[{"computingsite", "finished", "failed", "wall_sum", "wall_jobs", "cpu_sum", "cpu_jobs"}], by computingsite',
    hint=_site_hint,
    hints={"mysql": hints.mysql_index_hint(_site_hint)},
    finish=_by_site,
))
