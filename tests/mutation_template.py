"""Test databases made once and copied, under mutation testing (docs/testing.md).

mutmut runs each mutant's tests in a forked child, and each child's pytest session has its
own SQLite test databases (conftest's `django_db_modify_db_settings`). Creating them (the
migrations) and seeding the PanDA tables took most of a mutant's time. So the first session
that seeds saves both files as a template, with the seed's time and counts; a later session
copies the template to its own file names and uses the copies as they are, then removes them.

A template older than MAX_AGE is not used: the next session seeds again and saves a new one,
so the data is never older, next to the clock, than in a normal test run. Outside mutation
testing (no MUTANT_UNDER_TEST), or on a database other than SQLite, nothing here does
anything.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

MAX_AGE = 300  # seconds
_state = {"in_use": False}


def _aliases() -> list[str] | None:
    """The database aliases, when every one is SQLite and mutation testing is on."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return None
    if any(connections[alias].vendor != "sqlite" for alias in settings.DATABASES):
        return None
    return list(settings.DATABASES)


def _own(alias: str) -> Path:
    return Path(settings.DATABASES[alias]["TEST"]["NAME"])


def _template(alias: str) -> Path:
    own = _own(alias)
    base = own.name.removesuffix(".sqlite3").rsplit("_mutation", 1)[0]
    return own.with_name(f"{base}_mutation_template.sqlite3")


def _facts_file() -> Path:
    return _template("default").with_suffix(".json")


def copy_if_fresh() -> bool:
    """Copies a fresh template to this session's file names; whether it did."""
    _state["in_use"] = False
    aliases = _aliases()
    if aliases is None:
        return False
    facts = _facts_file()
    try:
        if time.time() - facts.stat().st_mtime > MAX_AGE:
            return False
    except FileNotFoundError:
        return False
    for alias in aliases:
        _copy(_template(alias), _own(alias))
    _state["in_use"] = True
    return True


def in_use() -> bool:
    return _state["in_use"]


def _facts() -> dict[str, Any]:
    return json.loads(_facts_file().read_text())


def seed_now() -> datetime:
    return datetime.fromisoformat(_facts()["seed_now"])


def counts() -> dict[str, Any]:
    return _facts()["counts"]


def save(seed_counts: dict[str, Any], seeded_at: datetime) -> None:
    """Saves this session's freshly seeded databases as the template (under mutation testing)."""
    aliases = _aliases()
    if aliases is None:
        return
    for alias in aliases:
        connections[alias].close()
        _copy(_own(alias), _template(alias))
    facts = _facts_file()
    partial = facts.with_suffix(f".{os.getpid()}.part")
    partial.write_text(json.dumps({"seed_now": seeded_at.isoformat(), "counts": seed_counts}))
    partial.replace(facts)  # written last: a template is used only once its facts are there


def remove_copies() -> None:
    for alias in _aliases() or []:
        connections[alias].close()
        _own(alias).unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup, written beside the target and renamed."""
    partial = target.with_suffix(f".{os.getpid()}.part")
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    partial.replace(target)
