"""The PanDA queues, from SCHEDCONFIG_JSON: one CRIC document per queue.

The documents are parsed once per refresh (`panda.queues_refresh_seconds`), reduced to the
keys the monitor shows (QUEUE_KEYS), and the parsed set is kept in the cache, compressed, for
every worker and server; filtering and joining with job counts happen in Python. A document
with missing keys or broken JSON is kept with what it has (missing keys are None, and
`document_error` says what was wrong) and logged: it never takes an endpoint down.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import orjson
from django.conf import settings
from django.core.cache import caches

from .models import SchedConfigJson
from .models.fields import as_utc

log = logging.getLogger("pandjango.queues")

# The document's keys the lists show (PANDA-SCHEMA.md, SCHEDCONFIG_JSON), in display order.
TEXT_KEYS = (
    "nickname", "siteid", "panda_resource", "atlas_site", "rc_site", "gocname", "panda_site",
    "cloud", "region", "country", "tier", "status", "state", "comment", "type", "resource_type",
    "capability", "catchall", "workflow", "harvester", "pilot_manager",
)
NUMBER_KEYS = ("corecount", "corepower", "maxtime", "maxrss", "minrss", "memory")
QUEUE_KEYS = (*TEXT_KEYS, *NUMBER_KEYS, "lastmod", "last_update", "document_error")

CACHE_KEY = "pandadb.queues.v1"
_local: dict[str, Any] = {"until": 0.0, "queues": None}
_lock = threading.Lock()


def parse_document(panda_queue: str, data: Any, last_update: datetime | None = None) -> dict[str, Any]:
    """One queue's document as a full dict (every key it has), plus `nickname` (always the
    PANDA_QUEUE) and `document_error` (None, or what was wrong with the document)."""
    error = None
    document: Any = data
    if isinstance(data, (bytes, str)):
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            error, document = f"broken JSON: {exc}", {}
    elif data is None:
        error, document = "no document", {}
    if not isinstance(document, dict):
        error, document = error or f"not a JSON object but {type(document).__name__}", {}
    if error:
        log.warning("SCHEDCONFIG_JSON %s: %s", panda_queue, error)
    return {**document, "nickname": panda_queue, "last_update": as_utc(last_update), "document_error": error}


def _number(panda_queue: str, key: str, value: Any) -> int | float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value) if "." in str(value) else int(value)
    except (TypeError, ValueError):
        log.warning("SCHEDCONFIG_JSON %s: %s is not a number: %r", panda_queue, key, value)
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def summary_of(document: dict[str, Any]) -> dict[str, Any]:
    """The listed keys of a parsed document, with their types made plain: text keys as text,
    numbers as numbers (None where the document has none or an unreadable one)."""
    name = document["nickname"]
    row: dict[str, Any] = {key: _text(document.get(key)) for key in TEXT_KEYS}
    row["nickname"] = name
    row.update({key: _number(name, key, document.get(key)) for key in NUMBER_KEYS})
    row["lastmod"] = _text(document.get("lastmod") or document.get("last_modified"))
    row["last_update"] = document.get("last_update")
    row["document_error"] = document.get("document_error")
    return row


def read_queues() -> list[dict[str, Any]]:
    """Every queue's summary, by nickname, straight from the database."""
    rows = SchedConfigJson.objects.order_by("panda_queue").values_list("panda_queue", "data", "last_update")
    return [summary_of(parse_document(name, data, last_update)) for name, data, last_update in rows.iterator()]


def all_queues() -> list[dict[str, Any]]:
    """Every queue's summary, by nickname: this process's copy while it is fresh, else the
    shared cache's, else the database's (which then refreshes both). Callers must not change
    the rows they get."""
    now = time.monotonic()
    queues = _local["queues"]
    if queues is not None and now < _local["until"]:
        return queues  # type: ignore[no-any-return]
    with _lock:
        if _local["queues"] is not None and now < _local["until"]:
            return _local["queues"]  # type: ignore[no-any-return]
        lifetime = int(settings.PANDJANGO["panda"]["queues_refresh_seconds"])
        cache = caches["default"]
        packed = cache.get(CACHE_KEY)
        if packed is None:
            queues = read_queues()
            cache.set(CACHE_KEY, zlib.compress(orjson.dumps(queues, option=orjson.OPT_NAIVE_UTC), 1), lifetime)
        else:
            queues = [{**q, "last_update": _parse_time(q["last_update"])} for q in orjson.loads(zlib.decompress(packed))]
        _local.update(queues=queues, until=now + min(lifetime, 60))
        return queues


class ValueTest(Protocol):
    def matches(self, value: Any) -> bool: ...


def matching_queues(filters: Mapping[str, ValueTest]) -> list[dict[str, Any]]:
    """The queues whose document keys pass every filter (a request's, by key: api.filters.Filter)."""
    return [q for q in all_queues() if all(flt.matches(q[key]) for key, flt in filters.items())]


def forget_queues() -> None:
    """Drops this process's copy and the shared one (tests, and after a change of the table)."""
    _local.update(queues=None, until=0.0)
    caches["default"].delete(CACHE_KEY)


def queue_document(nickname: str) -> dict[str, Any] | None:
    """One queue's whole parsed document, read from the database, or None."""
    row = SchedConfigJson.objects.filter(panda_queue=nickname).values_list("panda_queue", "data", "last_update").first()
    if row is None:
        return None
    return parse_document(*row)


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
