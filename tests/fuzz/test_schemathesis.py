"""Fuzzing the JSON API from its own OpenAPI document: for every operation of /api/schema/,
schemathesis sends the document's examples, its boundary values, and requests generated from
it, valid and invalid, to a live server over the seeded test database. Every answer must be
other than a 5xx and exactly as the document says (status, content type, headers, body).

Bounded and repeatable: PANDJANGO_FUZZ_EXAMPLES generated requests per operation (25 by
default), from the fixed seed PANDJANGO_FUZZ_SEED, so that a failure found once is found
again; another seed, or more examples, explore further:

    PANDJANGO_CONFIG=config/test/sqlite.toml pytest tests/fuzz
    PANDJANGO_FUZZ_SEED=123 PANDJANGO_FUZZ_EXAMPLES=200 PANDJANGO_CONFIG=config/test/sqlite.toml pytest tests/fuzz

The document is read when the tests are collected (one test per operation, named after
it: `-k get_api_sites_nickname`), through the application itself; `test_the_live_server_serves_the_fuzzed_document` checks that the live
server serves the same one. The requests come from signed-in staff with an API token, to whom
every endpoint is open (refresh=1 too). They run in the SQLite run of `make test` (the `fuzz`
mark; the MariaDB run deselects them).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from typing import Any

import hypothesis
import orjson
import pytest
import requests
import schemathesis
from django.contrib.auth.models import User
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import Client
from rest_framework.authtoken.models import Token

FUZZ_SEED = int(os.environ.get("PANDJANGO_FUZZ_SEED", "20261121"))
MAX_EXAMPLES = int(os.environ.get("PANDJANGO_FUZZ_EXAMPLES", "25"))

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True, databases=["default", "panda"])]


def _document() -> dict[str, Any]:
    response = Client().get("/api/schema/")
    assert response.status_code == 200, response.content[:300]
    return dict(orjson.loads(response.content))


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.seed = FUZZ_SEED
schema.config.generation.update(max_examples=MAX_EXAMPLES, database="none")
# Every check but one: which parameters may go together (hours, days or date_from/date_to;
# refresh only for staff) is more than OpenAPI parameters can say, so a request the document
# allows may still be a 400 that names the conflict. The opposite check stays: a request the
# document forbids must be refused.
schema.config.checks.update(excluded_check_names=["positive_data_acceptance"])


@pytest.fixture(scope="module", autouse=True)
def _answers_without_delay() -> Iterator[None]:
    """The live server writes an answer's headers and body in several small writes; with
    Nagle's algorithm on its sockets, each answer then waits for the client's delayed ACK
    (40 ms). Gunicorn sets TCP_NODELAY; so do the live server's sockets here."""
    accept = ThreadedWSGIServer.get_request

    def get_request(self: ThreadedWSGIServer) -> tuple[socket.socket, Any]:
        sock, address = accept(self)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ThreadedWSGIServer, "get_request", get_request)
        yield


@pytest.fixture
def staff_token(db: Any) -> dict[str, str]:
    staff = User.objects.create_user("fuzzer", is_staff=True)
    return {"Authorization": f"Token {Token.objects.create(user=staff).key}"}


@pytest.fixture
def session(staff_token: dict[str, str]) -> Any:
    with requests.Session() as session:
        session.headers.update(staff_token)
        yield session


# One test per operation, named after it (GET /api/sites/{nickname}/ is
# test_get_api_sites_nickname), so that one operation can be run by its id or with -k.
# schemathesis generates the cases of that operation only, in all its phases: the document's
# examples, the boundary values, the generated requests. (schemathesis' parametrize() over the
# whole document gives every operation the same node id under pytest 9, and its lazy schema,
# which pytest.mark.parametrize could feed, does not run there.)
METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
OPERATIONS = [(method, path) for path, item in DOCUMENT["paths"].items() for method in item if method in METHODS]


def operation_test_name(method: str, path: str) -> str:
    return "_".join(["test", method, *re.findall(r"[a-z0-9]+", path.lower())])


def fuzz_test(method: str, path: str) -> Any:
    @schema.include(method=method.upper(), path=path).parametrize()
    # The session is made once per operation, not per generated request, which is what is meant.
    @hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
    def test(case: schemathesis.Case, live_server: Any, session: Any) -> None:
        """Every generated request is answered without a 5xx and as the document says."""
        assert (case.operation.method.lower(), case.operation.path) == (method, path)
        case.call_and_validate(base_url=live_server.url, session=session)

    return test


for _method, _path in OPERATIONS:
    globals()[operation_test_name(_method, _path)] = fuzz_test(_method, _path)


def test_every_operation_has_its_own_test() -> None:
    names = [operation_test_name(method, path) for method, path in OPERATIONS]
    assert len(set(names)) == len(names) == len(OPERATIONS) > 20


def test_the_live_server_serves_the_fuzzed_document(live_server: Any, staff_token: dict[str, str]) -> None:
    served = requests.get(f"{live_server.url}/api/schema/", headers=staff_token, timeout=30)
    assert served.status_code == 200
    assert served.json()["paths"].keys() == DOCUMENT["paths"].keys()
