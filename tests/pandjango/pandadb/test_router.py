from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from pandjango.pandadb import models
from pandjango.pandadb.router import ReadOnlyDatabaseError


def test_panda_models_are_read_from_the_panda_database() -> None:
    assert models.JobsActive4.objects.all().db == "panda"


def test_it_refuses_writes_to_a_panda_database_that_is_not_ours(pandjango_config: Any) -> None:
    pandjango_config("databases.panda.ours", False)
    with pytest.raises(ReadOnlyDatabaseError, match="read-only"):
        models.CloudConfig.objects.create(name="XX", modtime=timezone.now())
    with pytest.raises(ReadOnlyDatabaseError):
        models.CloudConfig.objects.filter(name="US").update(weight=0)
    assert models.CloudConfig.objects.get(name="US").weight != 0


def test_it_allows_writes_to_a_database_of_ours() -> None:
    models.CloudConfig.objects.create(name="XX", modtime=timezone.now())
    assert models.CloudConfig.objects.filter(name="XX").exists()
