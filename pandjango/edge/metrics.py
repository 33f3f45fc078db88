"""`/metrics` for Prometheus: requests by endpoint and status, their latency, the answers'
cache outcome (X-Cache) and their database time, and the rollups' lag, in Prometheus' text
format (prometheus_client).

The request log middleware (pandjango/edge/requestlog.py) already times each request and its
queries; it hands the same figures to `observe`. The endpoint label is the URL pattern that
answered (`api/production/jobs/<int:pandaid>/`), `static` for the static files, `unmatched`
for a path no pattern takes, so the labels stay few whatever the clients ask.

gunicorn runs several worker processes: with PROMETHEUS_MULTIPROC_DIR set (an empty folder,
emptied at each start), each worker writes its figures there and `/metrics` adds them up
(prometheus_client's multiprocess mode; config/gunicorn.conf.py marks a dead worker's files).

Who may read it (`[metrics]` of the config): a client in `allowed_networks` (loopback only
by default), or one sending `Authorization: Bearer <token>` with the token held by the
environment variable `token_env` names.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from pandjango.edge.allowance import client_address
from pandjango.rollups import reading

ROLLUP_STATES = ("ok", "stale", "never run", "off", "unavailable")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)

REQUESTS = Counter("pandjango_requests", "Requests answered, by endpoint (URL pattern), method and status", ["endpoint", "method", "status"])
LATENCY = Histogram("pandjango_request_duration_seconds", "Time to answer a request, by endpoint", ["endpoint"], buckets=LATENCY_BUCKETS)
CACHE = Counter("pandjango_cache_answers", "Cached answers by endpoint and outcome (the X-Cache header: HIT, MISS, BYPASS)", ["endpoint", "outcome"])
DB_TIME = Histogram("pandjango_db_duration_seconds", "Database time of a request, all its queries together, by endpoint", ["endpoint"], buckets=LATENCY_BUCKETS)
DB_QUERIES = Counter("pandjango_db_queries", "Queries sent to the databases, by endpoint", ["endpoint"])


def endpoint_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return str(match.route)
    if request.path.startswith(str(settings.STATIC_URL)):
        return "static"
    return "unmatched"


def observe(request: HttpRequest, response: HttpResponseBase, seconds: float, db_queries: int, db_seconds: float) -> None:
    endpoint = endpoint_label(request)
    REQUESTS.labels(endpoint, request.method or "", str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(seconds)
    outcome = response.get("X-Cache")
    if outcome:
        CACHE.labels(endpoint, outcome).inc()
    if db_queries:
        DB_QUERIES.labels(endpoint).inc(db_queries)
        DB_TIME.labels(endpoint).observe(db_seconds)


class RollupsCollector(Collector):
    """The rollups' lag, read from our database at each scrape (one figure for all the
    workers, not one per process), per part (models.PARTS: jobs, active, workers, live_workers):
    `pandjango_rollups_lag_seconds{part=...}` (absent for a part that has not run yet) and
    `pandjango_rollups_state{part=...,state=...}`, 1 for the part's present state."""

    def collect(self) -> list[GaugeMetricFamily]:  # type: ignore[override]
        parts = reading.status()["parts"]
        state = GaugeMetricFamily("pandjango_rollups_state", "The rollups' state per part (/healthz): 1 for the present one", labels=["part", "state"])
        lag_help = "Seconds since the newest data each part of the rollups counts (the refresher's lag)"
        lag = GaugeMetricFamily("pandjango_rollups_lag_seconds", lag_help, labels=["part"])
        for part, status in parts.items():
            for name in ROLLUP_STATES:
                state.add_metric([part, name], 1.0 if status["state"] == name else 0.0)
            if status.get("lag_seconds") is not None:
                lag.add_metric([part], status["lag_seconds"])
        return [state, lag] if lag.samples else [state]


ROLLUPS = CollectorRegistry()
ROLLUPS.register(RollupsCollector())


# ---------------------------------------------------------------------------- access


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _from_allowed_network(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.PANDJANGO["metrics"]["allowed_networks"])))


def _has_token(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    return bool(token) and given.startswith("Bearer ") and hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.encode())


def may_read(request: HttpRequest) -> bool:
    return _has_token(request) or _from_allowed_network(request)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_read(request):
        return HttpResponse("metrics: not from an allowed network, and no valid token\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest()
    body += generate_latest(ROLLUPS)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
