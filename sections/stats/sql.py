"""The stats section's raw SQL (see pandjango/rawsql.py): the jobs matrix, and counts per
time bin of jobs and of pilots. Time bins come back as epoch seconds in `bucket`, as
queries.TimeBucket gives them. queries.py imports this module and runs them where the
request's filters are plain values; its ORM path answers the rest.
"""

from __future__ import annotations

from pandjango import rawsql

JOB_DIMENSIONS = (
    "jobstatus", "computingsite", "cloud", "prodsourcelabel", "produsername", "processingtype",
    "jeditaskid", "gshare", "resource_type", "nucleus",
)
PILOT_DIMENSIONS = ("nickname", "queueid", "submithost", "type", "state", "status")
PILOT_FILTERS = dict.fromkeys(PILOT_DIMENSIONS, "str list")


jobs_matrix = rawsql.register(rawsql.RawQuery(
    name="stats.jobs_matrix",
    section="stats",
    purpose="Jobs counted by two columns (rows x cols) over the job tables in the window (/api/stats/jobs/)",
    params=(
        *rawsql.window_params(),
        rawsql.tables_param(),
        rawsql.columns_param("rows", "column", JOB_DIMENSIONS, "the column of the rows", example="cloud"),
        rawsql.columns_param("cols", "column", JOB_DIMENSIONS, "the column of the columns (not the rows')", example="jobstatus"),
        *rawsql.filter_params(rawsql.JOB_FILTERS),
    ),
    texts=rawsql.job_counts_texts(["rows", "cols"], list(rawsql.JOB_FILTERS)),
    returns='[{<rows column>: value, <cols column>: value, "count": n}], biggest count first',
    hint=rawsql.job_hint((), ["rows", "cols"], list(rawsql.JOB_FILTERS)),
    finish=rawsql.by_count_of("rows", "cols"),
))


jobs_timeseries = rawsql.register(rawsql.RawQuery(
    name="stats.jobs_timeseries",
    section="stats",
    purpose="Jobs counted per time bin of ENDTIME (jobs_finished, jobs_failed) or CREATIONTIME (jobs_created), optionally per column",
    params=(
        *rawsql.window_params("the time column"),
        rawsql.bin_param(),
        rawsql.columns_param("time", "column", ("endtime", "creationtime"), "the time column binned and windowed", example="endtime"),
        rawsql.columns_param("groupby", "column", JOB_DIMENSIONS, "one count per bin and value of this column", required=False),
        rawsql.tables_param(),
        *rawsql.filter_params(rawsql.JOB_FILTERS),
    ),
    texts=rawsql.job_timeseries_texts("time", "groupby", list(rawsql.JOB_FILTERS)),
    returns='[{"bucket": epoch seconds of the bin start, [<groupby column>: value,] "count": n}]',
    hint=rawsql.job_hint((), ["time", "groupby"], list(rawsql.JOB_FILTERS)),
    finish=rawsql.by_bucket("groupby"),
))


def _pilots_timeseries_texts() -> dict[str, str]:
    """Pilots submitted per bin of TSUBMIT. TSTATE (the last state change) is never before
    TSUBMIT: its bound changes nothing but lets the TSTATE index serve the window."""
    texts = {}
    for vendor in rawsql.VENDORS:
        hint = "/*+ INDEX(p PILOTQUEUE_TSTATE_IDX) */ " if vendor == "oracle" else ""
        texts[vendor] = f"""SELECT s.bucket[[, {{groupby:s}}]], COUNT(*) AS {rawsql.quoted(vendor, "count")}
FROM (
  SELECT {hint}{rawsql.bucket(vendor, "p.tsubmit")} AS bucket[[, {{groupby:p}}]]
  FROM {{PILOTQUEUE}} p
  WHERE {rawsql.in_range(vendor, "p.tsubmit")}
    AND {rawsql.in_range(vendor, "p.tstate", end=None)}
{rawsql.in_filters("p", list(PILOT_FILTERS), "    ")}
) s
GROUP BY s.bucket[[, {{groupby:s}}]]"""
    return texts


pilots_timeseries = rawsql.register(rawsql.RawQuery(
    name="stats.pilots_timeseries",
    section="stats",
    purpose="Pilots submitted per time bin of TSUBMIT (pilots_submitted), optionally per column",
    params=(
        *rawsql.window_params("TSUBMIT"),
        rawsql.bin_param(),
        rawsql.columns_param("groupby", "column", PILOT_DIMENSIONS, "one count per bin and value of this column", required=False),
        *rawsql.filter_params(PILOT_FILTERS, "pilots"),
    ),
    texts=_pilots_timeseries_texts(),
    returns='[{"bucket": epoch seconds of the bin start, [<groupby column>: value,] "count": n}]',
    finish=rawsql.by_bucket("groupby"),
))
