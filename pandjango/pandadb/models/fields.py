"""The PanDA columns' field types and the shorthands the models are written with.

PanDA stores UTC in columns without a time zone on every vendor: UTCDateTimeField is the one
place that reads them as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class UTCDateTimeField(models.DateTimeField):  # type: ignore[type-arg]
    """A PanDA DATE / `timestamp without time zone` column: naive values from the database
    are UTC, and aware values go to the database as naive UTC. Django converts on SQLite and
    MySQL already; PostgreSQL's driver hands back naive values for such columns."""

    # PanDA's column type on each vendor (MySQL's datetime: whole seconds, as PanDA's DATE).
    VENDOR_TYPES = {"postgresql": "timestamp without time zone", "oracle": "DATE", "mysql": "datetime"}

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return self.VENDOR_TYPES.get(connection.vendor) or super().db_type(connection)

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        return as_utc(value)

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        if connection.vendor == "postgresql" and isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return super().get_db_prep_value(value, connection, prepared)


def as_utc(value: Any) -> Any:
    """A PanDA time as an aware UTC datetime (naive values are UTC); anything else as is."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class JSONDocumentField(models.TextField):  # type: ignore[type-arg]
    """A JSON document column (SCHEDCONFIG_JSON.DATA): CLOB on Oracle, json on PostgreSQL,
    text elsewhere. Read as it comes (text, or already parsed by the PostgreSQL driver) and
    parsed by the caller, so that one broken document never fails a whole query."""

    VENDOR_TYPES = {"postgresql": "json", "oracle": "CLOB", "mysql": "longtext"}

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return self.VENDOR_TYPES.get(connection.vendor, "text")

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        if value is not None and not isinstance(value, str):
            import json

            return json.dumps(value)
        return value


def char(n: int, **kw: object) -> models.CharField:  # type: ignore[type-arg]
    return models.CharField(max_length=n, null=True, blank=True, **kw)  # type: ignore[arg-type]


def num(**kw: object) -> models.BigIntegerField:  # type: ignore[type-arg]
    return models.BigIntegerField(null=True, blank=True, **kw)  # type: ignore[arg-type]


def integer(**kw: object) -> models.IntegerField:  # type: ignore[type-arg]
    return models.IntegerField(null=True, blank=True, **kw)  # type: ignore[arg-type]


def small(**kw: object) -> models.SmallIntegerField:  # type: ignore[type-arg]
    return models.SmallIntegerField(null=True, blank=True, **kw)  # type: ignore[arg-type]


def date() -> UTCDateTimeField:
    return UTCDateTimeField(null=True, blank=True)


def error_code() -> models.IntegerField:  # type: ignore[type-arg]
    return models.IntegerField(default=0)


def index(name: str, *fields: str) -> models.Index:
    return models.Index(fields=list(fields), name=name)
