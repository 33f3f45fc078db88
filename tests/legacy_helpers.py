"""Helpers for tests of the legacy proxy: the stand-in old monitor running for the length of
a fixture, and the proxy pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pandjango.legacy.standin import StandinServer, start


@contextmanager
def running_standin(**options: Any) -> Iterator[StandinServer]:
    """A stand-in (StandinServer's options: slow_seconds, database...) stopped on leaving."""
    server = start(**options)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def proxy_to(pandjango_config: Callable[[str, Any], None], server: StandinServer, **legacy: Any) -> None:
    """The proxy's base URL at the stand-in, its query pages allowed, and any other [legacy] key."""
    pandjango_config("legacy.base_url", server.base_url)
    pandjango_config("legacy.allowed_prefixes", ["query"])
    for key, value in legacy.items():
        pandjango_config(f"legacy.{key}", value)
