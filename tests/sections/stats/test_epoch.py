"""The per-vendor time arithmetic: right on the database of this run, and well-formed SQL
for PostgreSQL and Oracle (no server here: compiled by Django's backend, parsed by sqlglot)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlglot
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Q, QuerySet, Sum

from pandjango.pandadb.epoch import EpochSeconds, TimeBucket, seconds_between
from pandjango.pandadb.jobs import Window
from pandjango.pandadb.models import JobsArchived4
from sections.stats.queries import ended_jobs


def test_epoch_seconds_and_bins_agree_with_python() -> None:
    rows = JobsArchived4.objects.annotate(
        epoch=EpochSeconds("endtime"), hour=TimeBucket("endtime", 3600), day=TimeBucket("endtime", 86400),
        wall=seconds_between("starttime", "endtime"),
    ).values("starttime", "endtime", "epoch", "hour", "day", "wall")[:50]
    assert rows
    for row in rows:
        epoch = int(row["endtime"].timestamp())
        assert row["epoch"] == epoch
        assert (row["hour"], row["day"]) == (epoch // 3600 * 3600, epoch // 86400 * 86400)
        assert row["wall"] == (row["endtime"] - row["starttime"]).total_seconds()


def test_a_bin_size_must_be_a_positive_whole_number() -> None:
    with pytest.raises(ValueError):
        TimeBucket("endtime", 0)


def _offline_connection(vendor: str) -> BaseDatabaseWrapper:
    settings = {
        "NAME": "panda", "USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "OPTIONS": {}, "TIME_ZONE": None,
        "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False, "TEST": {},
    }
    if vendor == "postgresql":
        from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQL

        return PostgreSQL(settings, alias="offline")
    from django.db.backends.oracle.base import DatabaseWrapper as Oracle

    connection = Oracle(settings, alias="offline")
    # Django asks a live Oracle which LIKE operators to use; the standard ones do here.
    connection.operators = connection._standard_operators  # type: ignore[attr-defined]
    return connection


def _stats_querysets() -> list[QuerySet[Any]]:
    now = datetime.now(UTC)
    ended = ended_jobs(Q(), Window(now - timedelta(hours=24), now), ["finished", "failed"])[0]
    timed = Q(starttime__gte=datetime(1971, 1, 1, tzinfo=UTC))
    return [
        ended.annotate(bucket=TimeBucket("endtime", 900)).values("bucket", "cloud").annotate(n=Count("*")).order_by(),
        ended.values("computingsite").annotate(wall=Sum(seconds_between("starttime", "endtime"), filter=timed)).order_by(),
    ]


def _numbered_binds(sql: str, prefix: str) -> str:
    """Django's %s as the backend sends it: :arg1, :arg2 (Oracle) or $1, $2 (PostgreSQL)."""
    numbers = itertools.count(1)
    return re.sub("%s", lambda _: f"{prefix}{next(numbers)}", sql)


@pytest.mark.no_db
@pytest.mark.parametrize(("vendor", "dialect", "marker"), [("postgresql", "postgres", "EXTRACT(EPOCH FROM"), ("oracle", "oracle", "DATE '1970-01-01'")])
def test_the_sql_for_postgresql_and_oracle_is_well_formed(vendor: str, dialect: str, marker: str) -> None:
    connection = _offline_connection(vendor)
    for qs in _stats_querysets():
        sql, _ = qs.query.get_compiler(connection=connection).as_sql()
        assert marker in sql
        sqlglot.parse_one(_numbered_binds(sql, ":arg" if vendor == "oracle" else "$"), read=dialect)
        # The bin size is written into the SQL, not bound: GROUP BY repeats the selected
        # expression exactly (Oracle compares the text, binds included).
        assert "%s" not in sql.split("GROUP BY")[1]
