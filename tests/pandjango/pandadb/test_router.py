from __future__ import annotations

from typing import Any

import pytest

from pandjango.pandadb import models
from pandjango.pandadb.router import ReadOnlyDatabaseError


def test_panda_models_are_read_from_the_panda_database() -> None:
    assert models.JobsActive4.objects.all().db == "panda"


def test_it_refuses_writes_to_a_panda_database_that_is_not_ours(pandjango_config: Any) -> None:
    pandjango_config("databases.panda.ours", False)
    with pytest.raises(ReadOnlyDatabaseError, match="read-only"):
        models.ResourceTypes.objects.create(resource_name="XX_HIMEM", mincore=1)
    with pytest.raises(ReadOnlyDatabaseError):
        models.ResourceTypes.objects.filter(resource_name="SCORE").update(maxcore=0)
    assert models.ResourceTypes.objects.get(resource_name="SCORE").maxcore != 0


def test_it_allows_writes_to_a_database_of_ours() -> None:
    models.ResourceTypes.objects.create(resource_name="XX_HIMEM", mincore=1)
    assert models.ResourceTypes.objects.filter(resource_name="XX_HIMEM").exists()
