"""Helpers for the BigPanDA-compatible paths: a task of the seed with jobs of every kind,
and requests sent the way BigPanDA's clients send them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Count
from django.test import Client

from pandjango.pandadb.models import JOB_MODELS, JediTasks, MetaTable

JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


def task_jobs(jeditaskid: int) -> dict[int, dict[str, Any]]:
    """Every job of the task, once (the live table's row before the archive's)."""
    jobs: dict[int, dict[str, Any]] = {}
    for table in ("archived", "active", "waiting", "defined", "archive"):
        for row in JOB_MODELS[table]._default_manager.filter(jeditaskid=jeditaskid).values():
            jobs.setdefault(row["pandaid"], row)
    return jobs


@pytest.fixture
def user_task() -> dict[str, Any]:
    """The user task with the most finished jobs that left metadata."""
    with_metadata = set(MetaTable.objects.values_list("pandaid", flat=True))
    best, most = None, -1
    for task in JediTasks.objects.filter(prodsourcelabel="user").values():
        n = len(set(task_jobs(task["jeditaskid"])) & with_metadata)
        if n > most:
            best, most = task, n
    assert best is not None and most > 0
    return best


@pytest.fixture
def busy_task() -> int:
    """The task with the most jobs in JOBSARCHIVED4."""
    row = JOB_MODELS["archived"]._default_manager.values("jeditaskid").annotate(n=Count("pandaid")).order_by("-n").first()
    assert row is not None
    return int(row["jeditaskid"])


@pytest.fixture
def bigpanda_json(anon_client: Client) -> Callable[..., Any]:
    """bigpanda_json(path, status=200, client=None, **params): the answer read as BigPanDA's
    clients read it (json.loads of the text), after checking status and content type."""

    def get(path: str, status: int = 200, client: Client | None = None, **params: Any) -> Any:
        response = (client or anon_client).get(path, params, headers={"Accept": "application/json"})
        assert response.status_code == status, (response.status_code, response.content[:400])
        assert response["Content-Type"].startswith("application/json")
        return json.loads(response.content)

    return get


def not_retried(jeditaskid: int) -> set[int]:
    """The task's jobs that no other job of the task names as its PARENTID (its retry)."""
    jobs = task_jobs(jeditaskid)
    retried = {job["parentid"] for job in jobs.values()}
    return set(jobs) - retried
