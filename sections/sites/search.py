"""The kind of quick-search hit the sites section owns: queues, by nickname or its start."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pandjango.endpoints.search import MAX_HITS, Lookup, hit, register_kind
from pandjango.pandadb.queues import all_queues


def queues(lookup: Lookup) -> list[dict[str, Any]]:
    wanted = lookup.text.lower()
    found = [q for q in all_queues() if q["nickname"].lower().startswith(wanted)][:MAX_HITS]
    found.sort(key=lambda q: q["nickname"].lower() != wanted)  # the exact name first
    return [hit("queue", q["nickname"], f"/sites/{quote(q['nickname'])}/", f"{q['status']}, cloud {q['cloud']}") for q in found]


register_kind("queue", "sites", 4, queues)
