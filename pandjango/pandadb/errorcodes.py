"""PanDA's error codes: which column holds each component's code and diag, and what the
codes mean: PanDA's own ERROR_DESCRIPTIONS table where the database has it, the built-in
table below (PANDA-SCHEMA.md) otherwise. Used to decode a job's errors and to seed the demo."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import DatabaseError, transaction

log = logging.getLogger("pandjango.errorcodes")

# component -> (code column, diag column), in the order a shifter reads them.
COLUMNS: dict[str, tuple[str, str]] = {
    "pilot": ("piloterrorcode", "piloterrordiag"),
    "exe": ("exeerrorcode", "exeerrordiag"),
    "supervisor": ("superrorcode", "superrordiag"),
    "ddm": ("ddmerrorcode", "ddmerrordiag"),
    "brokerage": ("brokerageerrorcode", "brokerageerrordiag"),
    "jobdispatcher": ("jobdispatchererrorcode", "jobdispatchererrordiag"),
    "taskbuffer": ("taskbuffererrorcode", "taskbuffererrordiag"),
}

CODES: dict[str, dict[int, str]] = {
    "pilot": {
        1008: "general error",
        1098: "no local space",
        1099: "stage-in failed",
        1100: "replica not found",
        1110: "setup failure",
        1137: "stage-out failed",
        1144: "killed by the PanDA server",
        1150: "looping job",
        1151: "get timeout",
        1152: "put timeout",
        1163: "invalid proxy",
        **{code: "killed by a signal" for code in range(1200, 1209)},
        1212: "out of memory",
        1213: "batch time limit",
        1220: "unknown",
    },
    "taskbuffer": {
        100: "killed",
        101: "transfer timeout",
        102: "expired",
        103: "aborted",
        105: "reassigned",
        106: "retried by server",
        107: "retried by pilot",
    },
    "jobdispatcher": {
        100: "lost heartbeat",
        101: "recovery",
        102: "timeout in sent",
        103: "timeout in holding",
        104: "timeout in transferring",
        105: "other timeout",
    },
    "ddm": {100: "setupper", 101: "GUID", 200: "adder", 201: "subscription", 203: "location"},
    "supervisor": {0: "success", 1: "invalid batch id", 2: "worker already done"},
    "brokerage": {100: "release not found"},
    "exe": {},
}

ERROR_FIELDS: tuple[str, ...] = tuple(col for pair in COLUMNS.values() for col in pair)

# ERROR_DESCRIPTIONS.COMPONENT where it differs from the names used here.
TABLE_COMPONENT = {"ddm": "dataservice", "exe": "executor"}
# How long this process keeps ERROR_DESCRIPTIONS before reading it again.
REFRESH_SECONDS = 600
_table: dict[str, Any] = {"until": 0.0, "rows": None}
_lock = threading.Lock()


def table_descriptions() -> dict[tuple[str, int], str]:
    """ERROR_DESCRIPTIONS as (component, code) -> description, in this module's component
    names; empty when the database has no such table (older PanDA releases)."""
    now = time.monotonic()
    with _lock:
        if _table["rows"] is not None and now < _table["until"]:
            return _table["rows"]  # type: ignore[no-any-return]
        from .models import ErrorDescriptions

        ours = {table: name for name, table in TABLE_COMPONENT.items()}
        try:
            # A savepoint: on PostgreSQL a failed statement would spoil the caller's transaction.
            with transaction.atomic(using="panda"):
                found = ErrorDescriptions.objects.values_list("component", "code", "description", "diagnostics")
                rows = {(ours.get(c, c), code): (desc or diag or "") for c, code, desc, diag in found if desc or diag}
        except DatabaseError as exc:
            log.info("no ERROR_DESCRIPTIONS table (%s): the built-in descriptions are used", type(exc).__name__)
            rows = {}
        _table.update(rows=rows, until=now + REFRESH_SECONDS)
        return rows


def forget_descriptions() -> None:
    _table.update(rows=None, until=0.0)


def describe(component: str, code: int) -> str:
    from_table = table_descriptions().get((component, code))
    if from_table:
        return from_table
    if component == "exe":
        return f"payload exit code {code}"
    return CODES[component].get(code, "unknown code")


def decode_errors(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-zero error codes of a job row, decoded."""
    errors = []
    for component, (code_col, diag_col) in COLUMNS.items():
        code = job.get(code_col) or 0
        if code:
            errors.append({
                "component": component,
                "code": code,
                "diag": job.get(diag_col) or "",
                "description": describe(component, code),
            })
    return errors
