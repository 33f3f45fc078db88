"""The shapes of the stats section's answers, for the OpenAPI document (api.schemas)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from pandjango.api.schemas import flag, integer, list_of, number, obj, rows, text, when


def axis() -> Any:
    """The values of the column of an axis: text, a number for jeditaskid, null where unset."""
    return list_of(serializers.JSONField(help_text="a value of row_field (col_field): a string, an integer for jeditaskid, or null"))


JOBS = obj(
    {
        "row_field": text(),
        "col_field": text(),
        "rows": axis(),
        "cols": axis(),
        "cells": list_of(list_of(integer())),
        "row_totals": list_of(integer()),
        "col_totals": list_of(integer()),
        "total": integer(),
    },
    "cells[i][j] counts the jobs with rows[i] and cols[j] (jobs of every job table, by MODIFICATIONTIME "
    "in the window). jobstatus values come in lifecycle order, other values largest total first. The totals count "
    "every job of the selection, also those of rows or columns left out by `limit` (meta.truncated says so).",
)
TIMESERIES = obj(
    {
        "metric": text(required=False),
        "bin": text(required=False),
        "groupby": text(nullable=True, required=False),
        "bins": list_of(when(nullable=False)),
        "partial": obj(
            {"first": flag(), "last": flag()},
            "whether the window cuts the first (last) bin, which then counts only part of its time",
            required=False,
        ),
        "series": rows({
            "name": text("the groupby value, the metric without groupby, or \"other\"", nullable=True),
            "values": list_of(integer()),
            "other": flag("true on the series that adds up the values beyond top"),
        }),
    },
    "bins are the starts of the bins, aligned on multiples of the bin size in UTC; every bin that "
    "overlaps the window is listed, empty ones count 0, and only what falls inside the window is counted (the first "
    "and last bins may be partial). Each series has one value per bin.",
)
SITES = rows({
    "computingsite": text(nullable=True),
    "finished": integer("jobs that finished in the window (by ENDTIME)"),
    "failed": integer("jobs that failed in the window (by ENDTIME)"),
    "efficiency": number("finished / (finished + failed); null when both are 0", nullable=True),
    "walltime_mean": number("mean ENDTIME - STARTTIME of those jobs, seconds", nullable=True),
    "cputime_total": integer("sum of CPUCONSUMPTIONTIME, seconds"),
    "cputime_mean": number("mean CPUCONSUMPTIONTIME per job, seconds", nullable=True),
})
