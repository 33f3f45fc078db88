"""Django's SQLite backend, except that a connection made while a request is served opens its
file with `mode=rw`: a missing file is then "unable to open database file" (a 503 naming the
database) instead of a new, empty database that would answer "no such table" (a 500) and stay
on disk. Outside requests (migrate, the schema and demo commands, the test run's own
databases) files are created as usual."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.core.signals import request_finished, request_started
from django.db.backends.sqlite3 import base

_serving = threading.local()


def _request_started(**kwargs: Any) -> None:
    _serving.active = True


def _request_finished(**kwargs: Any) -> None:
    _serving.active = False


request_started.connect(_request_started, dispatch_uid="pandjango.sqlite.request_started")
request_finished.connect(_request_finished, dispatch_uid="pandjango.sqlite.request_finished")


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        name = str(params["database"])
        if getattr(_serving, "active", False) and not self.is_in_memory_db() and not name.startswith("file:"):
            params["database"] = f"file:{quote(str(Path(name).resolve()))}?mode=rw"  # uri=True: Django sets it
        return params
