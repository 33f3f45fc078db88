"""PanDA's error codes: which column holds each component's code and diag, and what the
codes mean (PANDA-SCHEMA.md). Used to decode a job's errors and to seed the demo."""

from __future__ import annotations

from typing import Any

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


def describe(component: str, code: int) -> str:
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
