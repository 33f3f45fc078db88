"""The queues' SCHEDCONFIG_JSON documents read straight from the table with json.loads (what
the endpoints built on pandadb.queues are checked against), and queues of a test's own."""

from __future__ import annotations

import json
from typing import Any

from pandjango.pandadb.models import SchedConfigJson
from pandjango.pandadb.queues import forget_queues


def documents() -> dict[str, dict[str, Any]]:
    """nickname -> the queue's document ({} when it is not a JSON object)."""
    out = {}
    for nickname, data in SchedConfigJson.objects.values_list("panda_queue", "data"):
        try:
            document = json.loads(data) if isinstance(data, str) else data
        except ValueError:
            document = {}
        out[nickname] = document if isinstance(document, dict) else {}
    return out


def add_queue(nickname: str, data: str | None) -> None:
    """A queue of the test's own, with its document as raw text (broken, if the test wants);
    the parsed queues forgotten, so that the next request reads it."""
    SchedConfigJson.objects.create(panda_queue=nickname, data=data)
    forget_queues()
