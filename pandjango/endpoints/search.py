"""Quick search, as the old monitor's front page had it: what does this string name? A
PandaID, a batch id (of jobs and of the Harvester workers that ran them), a JEDI task id, a
Harvester worker id, a queue nickname or a user name.

Every lookup is an equality or a prefix on an indexed column (a worker id is the second
column of HARVESTER_WORKERS' key, read by an index skip scan over the few instances; the
queues are the cached SCHEDCONFIG_JSON set), and only for the kinds of thing the string can
be: ids are digits, a batch id is one word. Hits of a section this user may not see are
left out, so the search never points at a 403.

Each section registers the kinds of hit it owns in its search.py (found by Django's
autodiscovery); a kind's rank orders the hits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pandjango.pandadb.models import JOB_MODELS
from pandjango.sections import can_see

MAX_HITS = 20  # of one kind that come from a list (queues, pilots, jobs of a batch id)
MAX_ID_DIGITS = 18  # PanDA ids are NUMBER(11); longer strings of digits are not ids
# The job tables with an index on BATCHID.
BATCHID_TABLES = ("archived", "archive")
ONE_WORD = re.compile(r"^[\w.@:+/-]+$")


@dataclass
class Lookup:
    """The searched text, and what more than one kind of hit reads from it (once)."""

    text: str

    @cached_property
    def is_id(self) -> bool:
        return self.text.isdigit() and len(self.text) <= MAX_ID_DIGITS

    @cached_property
    def one_word(self) -> bool:
        return bool(ONE_WORD.match(self.text))

    @cached_property
    def batch_pandaids(self) -> set[int]:
        """Jobs run under this batch id (BATCHID is indexed in the final job tables only)."""
        ids: set[int] = set()
        for table in BATCHID_TABLES:
            ids |= set(JOB_MODELS[table]._default_manager.filter(batchid=self.text).values_list("pandaid", flat=True)[:MAX_HITS])
        return ids


Hits = Callable[[Lookup], list[dict[str, Any]]]


@dataclass(order=True)
class Kind:
    rank: int
    name: str = field(compare=False)
    section: str = field(compare=False)  # who may see this kind of hit
    find: Hits = field(compare=False)


KINDS: dict[str, Kind] = {}


def register_kind(name: str, section: str, rank: int, find: Hits) -> None:
    KINDS[name] = Kind(rank, name, section, find)


def hit(kind: str, id_: Any, url: str, label: str) -> dict[str, Any]:
    return {"kind": kind, "id": str(id_), "url": url, "label": label}


def quick_search(text: str, user: Any) -> list[dict[str, Any]]:
    """Everything `text` names, in the order of the kinds' ranks."""
    lookup = Lookup(text)
    hits: list[dict[str, Any]] = []
    for kind in sorted(KINDS.values()):
        if can_see(user, kind.section):
            hits += kind.find(lookup)
    return hits
