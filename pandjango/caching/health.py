"""An optional service (a cache) seen from this process: carry on without it while it fails, say so once a minute, and once when it is back."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WARN_INTERVAL_SECONDS = 60.0


class OptionalService:
    """`down` is the warning when a call fails ({error}: the exception), at most once per
    WARN_INTERVAL_SECONDS; `back` the line when a call succeeds again ({seconds}: how long it
    was down)."""

    def __init__(self, log: logging.Logger, down: str, back: str) -> None:
        self.log, self.down, self.back = log, down, back
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self._last_warning = float("-inf")

    @property
    def failing(self) -> bool:
        return self.down_since is not None

    def attempt(self, use: Callable[[], T], otherwise: Callable[[], T]) -> T:
        """use(), or otherwise() when it raises: any failure of an optional service is noted,
        never passed on to the request."""
        try:
            result = use()
        except Exception as exc:  # noqa: BLE001 - any backend's failure
            self.failed(exc)
            return otherwise()
        self.succeeded()
        return result

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            if self.down_since is None:
                self.down_since = now
            if now - self._last_warning < WARN_INTERVAL_SECONDS:
                return
            self._last_warning = now
        self.log.warning("%s", self.down.format(error=f"{type(exc).__name__}: {exc}"))

    def succeeded(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            down_since, self.down_since = self.down_since, None
        if down_since is not None:
            self.log.warning("%s", self.back.format(seconds=time.monotonic() - down_since))

    def reset(self) -> None:
        with self._lock:
            self.down_since = None
            self._last_warning = float("-inf")
