"""The tables drawn before the jobs (queues, site data, reference tables, tasks), which generate_jobs draws from."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from .catalogue import DemoData, Queue
from .queues import make_queues, queues_and_sitedata
from .reference import harvester_and_reference
from .tasks import make_tasks


def generate_static(
    seed: int, now: datetime, jobs: int, days: int, vendor: str = "sqlite"
) -> tuple[DemoData, list[Queue], list[dict[str, Any]], random.Random]:
    rnd = random.Random(seed)
    data = DemoData()
    queues = make_queues(rnd)
    queues_and_sitedata(data, rnd, queues, now, vendor)
    harvester_and_reference(data, rnd, now)
    tasks = make_tasks(data, rnd, max(10, jobs // 200), now, days)
    return data, queues, tasks, rnd
