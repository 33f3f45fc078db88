"""The plans MariaDB makes of the heavy queries on the demo data: through an index of the
real schema, never a full scan of JOBSARCHIVED4 or of the PANDAARCH archive.

The suite runs twice (SQLite, then MariaDB); these tests exist only in the MariaDB run,
since an EXPLAIN is the server's own answer. The job tables are analysed first: right after
the seeding InnoDB's statistics are still those of empty tables, while a database in service
has current ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from pandjango.pandadb.schema import JOB_TABLE_NAMES
from pandjango.pandadb.tables import qualified_name
from pandjango.rawsql import running

pytestmark = pytest.mark.mariadb

HEAVY_QUERIES = [
    pytest.param("production.jobs_summary", {"groupby": ["computingsite"]}, id="jobs-summary-by-computingsite"),
    pytest.param("production.failed_jobs_by_code", {}, id="errors-summary-by-code"),
    pytest.param("production.failed_jobs_by", {"groupby": "computingsite"}, id="errors-summary-by-site"),
    pytest.param("stats.jobs", {"rows": "cloud", "cols": "jobstatus"}, id="stats-jobs"),
]


def _plan_of(name: str, table: str, hours_ago: tuple[int, int], **params: Any) -> dict[str, Any]:
    """The EXPLAIN row of the one job table read, in a window from..to hours ago."""
    now = timezone.now()
    window = {"date_from": now - timedelta(hours=hours_ago[0]), "date_to": now - timedelta(hours=hours_ago[1])}
    rows = [row for row in running.explain(name, tables=[table], **window, **params) if row["table"] == "j"]
    assert len(rows) == 1, rows
    return rows[0]


if settings.PANDJANGO["databases"]["panda"]["engine"] == "mysql":

    @pytest.fixture(scope="module", autouse=True)
    def current_statistics(panda_data: Any, django_db_blocker: Any) -> None:
        tables = ", ".join(qualified_name(t) for t in JOB_TABLE_NAMES.values())
        with django_db_blocker.unblock(), connections["panda"].cursor() as cursor:
            cursor.execute(f"ANALYZE TABLE {tables}")
            cursor.fetchall()

    @pytest.mark.parametrize(("name", "params"), HEAVY_QUERIES)
    def test_the_last_12_hours_of_archived_jobs_are_read_through_an_index(name: str, params: dict[str, Any]) -> None:
        plan = _plan_of(name, "archived", (12, 0), **params)
        assert plan["type"] != "ALL" and plan["key"], plan
        assert plan["key"].startswith("JOBSARCH4_"), plan

    @pytest.mark.parametrize(("name", "params"), HEAVY_QUERIES)
    def test_a_window_in_the_archive_is_read_through_its_statechangetime_index(name: str, params: dict[str, Any]) -> None:
        # 90 to 84 hours ago: past JOBSARCHIVED4's 3 days, in the PANDAARCH archive, whose
        # only time index in the DDL is on STATECHANGETIME.
        plan = _plan_of(name, "archive", (90, 84), **params)
        assert plan["type"] != "ALL" and plan["key"], plan
        assert plan["key"].upper() == "JOBS_STATECHANGETIME_IDX", plan

    def test_the_jobs_summary_reads_no_job_table_with_a_time_index_in_full() -> None:
        now = timezone.now()
        plan = running.explain("production.jobs_summary", date_from=now - timedelta(hours=12), date_to=now, groupby=["computingsite"])
        scanned = [row for row in plan if row["table"] == "j" and row["type"] == "ALL"]
        # JOBSDEFINED4 and JOBSWAITING4 have no time index (small tables: PANDA-SCHEMA.md).
        assert len(scanned) <= 2, plan
        assert len([row for row in plan if row["table"] == "j" and row["key"]]) >= 2, plan
