"""The production section's raw SQL (see pandjango/rawsql/): the job summary over the job
tables and the failed jobs' summaries, with Oracle hints on the schema's indexes.

Every query takes the window (date_from, date_to), `tables` (default: the job tables the
window reaches) and the IN-list filters of jobsql.JOB_FILTERS (`jobstatus=["failed"]`,
`computingsite_not=[...]`, ...). queries.py imports this module and runs them where the
request's filters are plain values (fromrequest.job_params); its ORM path answers the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pandjango.pandadb import errorcodes
from pandjango.pandadb.jobs import FINAL_TABLES
from pandjango.rawsql import definition, hints, jobsql, registry

SUMMARY_GROUPS = ("jobstatus", "computingsite", "cloud", "prodsourcelabel", "produsername", "processingtype", "jeditaskid")
# The errors summary's breakdowns: its key -> the column counted.
ERROR_BREAKDOWNS = {"by_site": "computingsite", "by_user": "produsername", "by_task": "jeditaskid"}
# The failed-job queries fix JOBSTATUS themselves.
FAILED_FILTERS = {c: kind for c, kind in jobsql.JOB_FILTERS.items() if c != "jobstatus"}


jobs_summary = registry.register(definition.RawQuery(
    name="production.jobs_summary",
    section="production",
    purpose="Jobs counted by the chosen columns over the job tables in the window (/api/production/jobs/summary/)",
    params=(
        *jobsql.window_params(),
        jobsql.tables_param(),
        jobsql.columns_param("groupby", "columns", SUMMARY_GROUPS, "count by these columns", example=["computingsite"]),
        *jobsql.filter_params(jobsql.JOB_FILTERS),
        jobsql.row_limit_param(),
    ),
    texts=jobsql.job_counts_texts(["groupby"], list(jobsql.JOB_FILTERS), ranked=True),
    returns='[{<each groupby column>: value, "count": n}], biggest count first',
    hint=hints.job_hint((), ["groupby"], list(jobsql.JOB_FILTERS)),
    finish=jobsql.by_count_of("groupby"),
))


def _failed_by_code_texts() -> dict[str, str]:
    """A job carries seven error codes, one per component. Each table is grouped once on all
    seven (a few hundred combinations), then a join with the seven component names unpivots
    them: one scan per table, not one per component."""
    codes = [code for code, _ in errorcodes.COLUMNS.values()]
    j_codes = ", ".join(f"j.{c}" for c in codes)
    cases = "\n".join(f"           WHEN '{component}' THEN f.{code}" for component, (code, _) in errorcodes.COLUMNS.items())
    texts = {}
    for vendor in definition.VENDORS:
        dual = " FROM DUAL" if vendor in ("oracle", "mysql") else ""
        components = "\n    UNION ALL ".join(f"SELECT '{c}' AS component{dual}" for c in errorcodes.COLUMNS)
        hint = "/*+ {hint} */ " if vendor == "oracle" else ""
        texts[vendor] = f"""SELECT e.component, e.code, SUM(e.n) AS {jobsql.quoted(vendor, "count")}, MAX(e.example) AS example_pandaid
FROM (
  SELECT k.component,
         CASE k.component
{cases}
         END AS code,
         f.n, f.example
  FROM (
{jobsql.UNION}
    SELECT {hint}{j_codes}, COUNT(*) AS n, MAX(j.pandaid) AS example
    FROM {{table}} j
    WHERE j.jobstatus = 'failed'
      AND {jobsql.in_range(vendor, "j.{time}")}
{jobsql.in_filters("j", list(FAILED_FILTERS), "      ")}{{unique}}
    GROUP BY {j_codes}
{jobsql.END}
  ) f
  CROSS JOIN (
    {components}
  ) k
) e
WHERE e.code <> 0
GROUP BY e.component, e.code{jobsql.largest_first(vendor, "SUM(e.n) DESC, e.component, e.code")}"""
    return texts


def _describe_codes(rows: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
    described = [
        {
            "component": row["component"],
            "code": row["code"],
            "description": errorcodes.describe(row["component"], row["code"]),
            "count": row["count"],
            "example_pandaid": row["example_pandaid"],
        }
        for row in rows
    ]
    return jobsql.by_count(["component", "code"])(described, values)


failed_jobs_by_code = registry.register(definition.RawQuery(
    name="production.failed_jobs_by_code",
    section="production",
    purpose="Failed jobs in the window counted per (component, error code), with the newest example (errors by_code)",
    params=(
        *jobsql.window_params(), jobsql.tables_param(FINAL_TABLES), *jobsql.filter_params(FAILED_FILTERS), jobsql.row_limit_param(),
    ),
    texts=_failed_by_code_texts(),
    returns='[{"component", "code", "description", "count", "example_pandaid"}], biggest count first',
    hint=hints.job_hint(("jobstatus", "pandaid", *(code for code, _ in errorcodes.COLUMNS.values())), [], list(FAILED_FILTERS)),
    finish=_describe_codes,
))


failed_jobs_by = registry.register(definition.RawQuery(
    name="production.failed_jobs_by",
    section="production",
    purpose="Failed jobs in the window counted per site, user or task, with the newest example (errors by_site/by_user/by_task)",
    params=(
        *jobsql.window_params(),
        jobsql.tables_param(FINAL_TABLES),
        jobsql.columns_param("groupby", "column", tuple(ERROR_BREAKDOWNS.values()), "count by this column", example="computingsite"),
        *jobsql.filter_params(FAILED_FILTERS),
        jobsql.row_limit_param(),
    ),
    texts=jobsql.job_counts_texts(["groupby"], list(FAILED_FILTERS), status="failed", example=True, ranked=True),
    returns='[{<groupby column>: value, "count": n, "example_pandaid": pandaid}], biggest count first',
    hint=hints.job_hint(("jobstatus", "pandaid"), ["groupby"], list(FAILED_FILTERS)),
    finish=jobsql.by_count_of("groupby"),
))
