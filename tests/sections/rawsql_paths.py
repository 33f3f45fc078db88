"""Helpers for the tests of the endpoints that answer with the raw SQL registry or the ORM:
which path a request took (the registry's statements open with /* pandjango:<name> */), and
the answer of each path for the same request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pandjango.api.output import iso
from pandjango.rawsql import fromrequest

MARKER = re.compile(r"/\* pandjango:([\w.]+) \*/")


@dataclass
class Answer:
    body: dict[str, Any]
    statements: list[str]  # the SQL sent to the panda database

    @property
    def registry_queries(self) -> list[str]:
        """The names of the registered queries sent, in order."""
        return [m.group(1) for sql in self.statements for m in MARKER.finditer(sql)]

    def without_time(self) -> bytes:
        """The answer as it went out, less the moment it was read."""
        body = {**self.body, "meta": {k: v for k, v in self.body["meta"].items() if k not in ("generated_at", "fresh_as_of")}}
        return orjson.dumps(body)


def fixed_window(hours: float) -> dict[str, str]:
    """date_from/date_to for the last `hours`: both paths see the same window."""
    end = timezone.now().replace(microsecond=0)
    return {"date_from": iso(end - timedelta(hours=hours)), "date_to": iso(end)}


def answer(client: Client, url: str, params: dict[str, Any]) -> Answer:
    """The answer read from the database (no cached copy), with the statements it took."""
    for alias in settings.CACHES:
        caches[alias].clear()
    with CaptureQueriesContext(connections["panda"]) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return Answer(orjson.loads(response.content), [q["sql"] for q in captured.captured_queries])


def both_paths(client: Client, url: str, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> tuple[Answer, Answer]:
    """The same request answered by the registry, then by the ORM (the registry switched off)."""
    raw = answer(client, url, params)
    with monkeypatch.context() as m:
        m.setattr(fromrequest, "USE_REGISTRY", False)
        orm = answer(client, url, params)
    return raw, orm
