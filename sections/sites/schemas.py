"""The shapes of the sites section's answers, for the OpenAPI document (api.schemas)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from pandjango.api.schemas import counts, dict_of, integer, number, obj, one_of, rows, text, when
from pandjango.pandadb import errorcodes
from pandjango.pandadb.queues import NUMBER_KEYS, TEXT_KEYS

from . import queries


def queue() -> dict[str, Any]:
    """A queue's keys (pandadb.queues.QUEUE_KEYS), as its document has them."""
    return {
        **{key: text(nullable=True) for key in TEXT_KEYS},
        "nickname": text("the queue (PANDA_QUEUE, the jobs' computingsite)"),
        **{key: number(nullable=True) for key in NUMBER_KEYS},
        "lastmod": text("when CRIC last changed the queue, as the document writes it", nullable=True),
        "last_update": when("when PanDA last stored the document"),
        "document_error": text("what was wrong with the document (broken JSON...), or null", nullable=True),
    }


QUEUES = rows(queue())
QUEUE = obj({
    **queue(),
    "document": dict_of(
        serializers.JSONField(), "the queue's whole SCHEDCONFIG_JSON document, as CRIC wrote it ({} when it is broken)"
    ),
    "jobs": counts("jobs at this queue in the window, by jobstatus, most first"),
    "errors": obj(
        {
            "component": one_of(list(errorcodes.COLUMNS)),
            "code": integer(),
            "description": text(),
            "count": integer(),
            "example_pandaid": integer(),
        },
        f"the failed jobs' {queries.TOP_ERRORS} most frequent error codes in the window",
        many=True,
    ),
    "workers": counts("Harvester workers at this queue updated in the window, by status, most first"),
})
CLOUDS = obj(
    {
        "cloud": text("the queues' `cloud` key, the jobs' CLOUD; null: none named", nullable=True),
        "queues": counts("queues of this cloud, by status (\"null\": a document without one)"),
        "jobs": counts("jobs of this cloud (their CLOUD column) in the window, by jobstatus"),
    },
    many=True,
)
