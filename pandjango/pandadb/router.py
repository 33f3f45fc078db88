"""Sends the PanDA models to the `panda` database and keeps that database read-only.

Writes are allowed only where the config marks the panda database as ours (the demo, the
tests, the benchmarks): a production PanDA database is never written to.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

PANDA_APP = "pandadb"
PANDA_ALIAS = "panda"


class ReadOnlyDatabaseError(Exception):
    pass


def panda_is_ours() -> bool:
    return bool(settings.PANDJANGO["databases"]["panda"]["ours"])


def _is_panda(model: type[models.Model]) -> bool:
    return model._meta.app_label == PANDA_APP


class PandaRouter:
    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        return PANDA_ALIAS if _is_panda(model) else None

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        if not _is_panda(model):
            return None
        if not panda_is_ours():
            raise ReadOnlyDatabaseError(
                f"refusing to write {model._meta.db_table}: the panda database is read-only "
                "(databases.panda.ours is false in the config)"
            )
        return PANDA_ALIAS

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # PanDA tables are never migrated (createschema builds them in a database of ours);
        # Django's own tables live only in `default`.
        if app_label == PANDA_APP:
            return False
        return db != PANDA_ALIAS
