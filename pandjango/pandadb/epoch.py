"""Time arithmetic done by the database, with one SQL text per vendor: the epoch seconds of
a date column, and the start of the time bin a date falls into.

PanDA keeps UTC in date columns without a zone, so every form reads the stored value as UTC
whatever the session's time zone (hence TIMESTAMPDIFF on MariaDB, not UNIX_TIMESTAMP).
In the ORM the bin size is a literal from a closed set, never a bound value: Oracle and
PostgreSQL with server-side binding would not see `GROUP BY f(col, :1)` as the selected
`f(col, :2)`. The raw queries bind it, in a derived table grouped on outside (bucket()).
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BigIntegerField, Func
from django.db.models.expressions import CombinedExpression
from django.db.models.sql.compiler import SQLCompiler

# Whole seconds since 1970-01-01 00:00:00 of the date in %(expressions)s.
EPOCH_SQL = {
    # julianday() is a float; rounding gives the exact second back.
    "sqlite": "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS INTEGER)",
    "mysql": "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', %(expressions)s)",
    "postgresql": "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)",
    # The difference of two DATEs is in days; CAST makes TIMESTAMP columns behave the same.
    "oracle": "ROUND((CAST(%(expressions)s AS DATE) - DATE '1970-01-01') * 86400)",
}

# The start of the bin of {n} seconds holding the epoch {epoch} (epochs are positive, so
# truncating division is a floor).
BUCKET_SQL = {
    "sqlite": "(({epoch}) / {n}) * {n}",
    "mysql": "(({epoch}) DIV {n}) * {n}",
    "postgresql": "(({epoch}) / {n}) * {n}",
    "oracle": "FLOOR(({epoch}) / {n}) * {n}",
}


# The bin sizes the time series offer.
BIN_SECONDS = {"5m": 300, "15m": 900, "1h": 3600, "1d": 86400}


def bucket(vendor: str, column: str) -> str:
    """The raw SQL form of TimeBucket, for the registry's templates: the epoch seconds of the
    start of the :bin_seconds-long bin holding `column`. Used in a derived table and grouped
    on outside, so no GROUP BY repeats a bind."""
    return BUCKET_SQL[vendor].format(epoch=EPOCH_SQL[vendor] % {"expressions": column}, n=":bin_seconds")


def _for_vendor(texts: dict[str, str], connection: BaseDatabaseWrapper) -> str:
    try:
        return texts[connection.vendor]
    except KeyError:
        raise NotSupportedError(f"no epoch arithmetic for the {connection.vendor} database") from None


class EpochSeconds(Func):
    """Seconds since 1970-01-01 UTC of a date column, as an integer."""

    arity = 1
    output_field = BigIntegerField()

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> Any:  # type: ignore[override]
        extra["template"] = _for_vendor(EPOCH_SQL, connection)
        return super().as_sql(compiler, connection, **extra)


class EpochBin(Func):
    """The start of the `seconds`-long bin holding an integer column of epoch seconds (the
    rollups' 5-minute ENDTIME units binned into a time series' bins), by the same integer
    division as TimeBucket."""

    arity = 1
    output_field = BigIntegerField()

    def __init__(self, expression: Any, seconds: int) -> None:
        if not isinstance(seconds, int) or seconds <= 0:
            raise ValueError("the bin size must be a positive number of seconds")
        super().__init__(expression)
        self.seconds = seconds

    def epoch(self, connection: BaseDatabaseWrapper) -> str:
        """The SQL of the epoch seconds of the expression (here the expression itself)."""
        return "%(expressions)s"

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> Any:  # type: ignore[override]
        extra["template"] = _for_vendor(BUCKET_SQL, connection).format(epoch=self.epoch(connection), n=self.seconds)
        return super().as_sql(compiler, connection, **extra)


class TimeBucket(EpochBin):
    """The epoch seconds of the start of the `seconds`-long bin a date column falls into."""

    def epoch(self, connection: BaseDatabaseWrapper) -> str:
        return _for_vendor(EPOCH_SQL, connection)


def seconds_between(start: str, end: str) -> CombinedExpression:
    """`end - start` of two date columns, in seconds (a job's wall time: endtime - starttime)."""
    return CombinedExpression(EpochSeconds(end), "-", EpochSeconds(start), output_field=BigIntegerField())

