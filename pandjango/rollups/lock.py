"""One refresher at a time across every server: a lock in our database.

MySQL/MariaDB: GET_LOCK (held by the session, freed when it ends); PostgreSQL:
pg_try_advisory_lock (the same); other databases (SQLite): a lock row with an expiry
(rollups.lock_seconds), taken by one UPDATE that only succeeds when the row is free or
expired, so a runner that died frees it by itself. None of them waits: a second runner is
told that another holds the lock.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from .models import LOCK, RollupState

NAME = "pandjango_rollups"
# pg_try_advisory_lock takes a bigint: a fixed one for this lock ("PJRO" in ASCII).
ADVISORY_KEY = 0x504A524F


class Busy(Exception):
    """Another runner holds the lock."""


def holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _session_lock(alias: str) -> bool | None:
    """Takes the database's session lock; None where the database has none."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("SELECT GET_LOCK(%s, 0)", [NAME])
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
        else:
            return None
        return bool(cursor.fetchone()[0])


def _session_unlock(alias: str) -> None:
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("SELECT RELEASE_LOCK(%s)", [NAME])
        else:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])


def _row_lock(alias: str, me: str) -> bool:
    now = timezone.now()
    until = now + timedelta(seconds=settings.PANDJANGO["rollups"]["lock_seconds"])
    with transaction.atomic(using=alias):
        RollupState.objects.using(alias).get_or_create(name=LOCK)
        free = Q(locked_until__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=me)
        taken = RollupState.objects.using(alias).filter(free, name=LOCK).update(locked_by=me, locked_until=until)
    return taken == 1


def _row_unlock(alias: str, me: str) -> None:
    RollupState.objects.using(alias).filter(name=LOCK, locked_by=me).update(locked_by="", locked_until=None)


@contextmanager
def held(alias: str = "default", me: str | None = None) -> Iterator[None]:
    """Holds the refresher's lock for the block, or raises Busy at once."""
    me = me or holder()
    got = _session_lock(alias)
    session = got is not None
    if not session:
        got = _row_lock(alias, me)
    if not got:
        raise Busy("another refresher holds the rollups lock; this one exits")
    try:
        yield
    finally:
        if session:
            _session_unlock(alias)
        else:
            _row_unlock(alias, me)
