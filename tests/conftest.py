"""Shared fixtures: a seeded PanDA database of ours, and clients for the three kinds of
viewer (anonymous, beta tester, staff).

The whole suite runs three times: on SQLite (PANDJANGO_CONFIG=config/test/sqlite.toml), on the
local MariaDB (config/test/mariadb.toml) and on the local PostgreSQL (config/test/postgresql.toml). The PanDA tables are created and seeded once per
run; every test then runs in a transaction that is rolled back.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import Client

from pandjango.legacy.standin import StandinServer
from pandjango.pandadb import schema
from tests import mutation_template
from tests.legacy_helpers import running_standin

SEED_JOBS = 3000
SEED_DAYS = 4
SEED = 7


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("django_db") is None and item.get_closest_marker("no_db") is None:
            item.add_marker(pytest.mark.django_db(databases=["default", "panda"]))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Under mutation testing (mutmut sets MUTANT_UNDER_TEST), each process's pytest session
    creates its own test databases, named with its process id: mutmut runs the mutants' tests
    in forked children at once, and each child's session would otherwise remove, recreate and
    re-seed the databases the other child's tests are reading (docs/testing.md). Normal runs
    keep their names."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    for db in django_settings.DATABASES.values():
        test = db.setdefault("TEST", {})
        name = test.get("NAME") or f"test_{db['NAME']}"
        ext = ".sqlite3" if name.endswith(".sqlite3") else ""
        # a forked child inherits the settings its parent's sessions changed: one suffix only
        base = re.sub(r"_mutation\d+$", "", name.removesuffix(ext))
        test["NAME"] = f"{base}_mutation{os.getpid()}{ext}"


@pytest.fixture(scope="session")
def django_db_keepdb(request: pytest.FixtureRequest, django_db_modify_db_settings: None) -> bool:
    """Under mutation testing, a session whose databases were copied from the template keeps
    them as they are (no creation, no teardown: `panda_data` removes the copies)."""
    if mutation_template.copy_if_fresh():
        return True
    return bool(request.config.getvalue("reuse_db"))


@pytest.fixture(scope="session")
def seed_now() -> datetime:
    if mutation_template.in_use():
        return mutation_template.seed_now()
    return datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture(scope="session", autouse=True)
def panda_data(django_db_setup: Any, django_db_blocker: Any, seed_now: datetime) -> Iterator[dict[str, Any]]:
    """Creates the PanDA tables in the test database and seeds them, once per run (under
    mutation testing, once per template: tests/mutation_template.py)."""
    if mutation_template.in_use():
        yield mutation_template.counts()
        with django_db_blocker.unblock():
            mutation_template.remove_copies()
        return
    with django_db_blocker.unblock():
        schema.create_schema(drop=True)
        counts = schema.seed(SEED_JOBS, SEED_DAYS, SEED, seed_now, django_settings.PANDJANGO["panda"]["archived4_retention_days"])
        connections["panda"].close()
        mutation_template.save(counts, seed_now)
    yield counts


@pytest.fixture
def vendor() -> str:
    return connections["panda"].vendor


@pytest.fixture
def pandjango_config(settings: Any) -> Callable[[str, Any], None]:
    """Changes one config key for one test: pandjango_config("limits.max_limit", 5)."""
    settings.PANDJANGO = copy.deepcopy(django_settings.PANDJANGO)

    def change(dotted: str, value: Any) -> None:
        node = settings.PANDJANGO
        *parents, last = dotted.split(".")
        for key in parents:
            node = node[key]
        node[last] = value

    return change


@pytest.fixture(scope="module")
def old_monitor() -> Iterator[StandinServer]:
    """The stand-in old monitor, for the legacy proxy (a module that needs other options
    defines its own)."""
    with running_standin() as server:
        yield server


@pytest.fixture
def staff_user(db: Any) -> User:
    return User.objects.create_user("shifter", "shifter@example.org", "pw", is_staff=True)


@pytest.fixture
def beta_user(db: Any) -> User:
    user = User.objects.create_user("tester", "tester@example.org", "pw")
    group, _ = Group.objects.get_or_create(name=django_settings.PANDJANGO["sections"]["beta_group"])
    user.groups.add(group)
    return user


@pytest.fixture
def anon_client() -> Client:
    return Client()


@pytest.fixture
def staff_client(staff_user: User) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def beta_client(beta_user: User) -> Client:
    client = Client()
    client.force_login(beta_user)
    return client


@pytest.fixture
def get_json(anon_client: Client) -> Callable[..., Any]:
    """get_json(url, status=200, client=None, **params) -> the decoded body, after checking
    the status and that the answer is JSON."""

    def get(url: str, status: int = 200, client: Client | None = None, **params: Any) -> Any:
        response = (client or anon_client).get(url, params)
        assert response.status_code == status, (response.status_code, response.content[:500])
        assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
        return orjson.loads(response.content)

    return get


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    """Pages render {% static %} without a collectstatic run (the manifest storage of debug
    off needs one), and test users' passwords hash fast."""
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import caches

    from pandjango.edge import allowance

    for alias in django_settings.CACHES:
        try:
            caches[alias].clear()
        except Exception:  # a cache that is down must not break unrelated tests
            pass
    allowance.LOCAL_COUNTS.clear()  # where allowances are kept while the throttle cache is down
    yield


@pytest.fixture(autouse=True)
def _fresh_queues() -> Iterator[None]:
    """The parsed queues are kept per process: a test's own SCHEDCONFIG_JSON rows must be
    read (after queues_helpers.add_queue, or forget_queues), and must not outlive its
    transaction."""
    from pandjango.pandadb.queues import forget_queues

    forget_queues()
    yield
    forget_queues()
