"""/metrics: Prometheus' text format, counters that move with the requests, and access by
network or token ([metrics] of the config)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from pandjango import config
from pandjango.edge.metrics import ROLLUP_STATES
from pandjango.rollups import workers
from pandjango.rollups.models import ACTIVE, JOBS, LIVE_WORKERS, WORKERS, RollupState
from tests.pandjango.rollups_helpers import refreshed
from tests.pandjango.test_config import MINIMAL

SUMMARY = "api/production/jobs/summary/"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_counters_move_with_the_requests(anon_client: Client) -> None:
    before = _value("pandjango_requests_total", endpoint=SUMMARY, method="GET", status="200")
    misses = _value("pandjango_cache_answers_total", endpoint=SUMMARY, outcome="MISS")
    hits = _value("pandjango_cache_answers_total", endpoint=SUMMARY, outcome="HIT")
    timed = _value("pandjango_request_duration_seconds_count", endpoint=SUMMARY)
    db_timed = _value("pandjango_db_duration_seconds_count", endpoint=SUMMARY)
    anon_client.get("/api/production/jobs/summary/")
    anon_client.get("/api/production/jobs/summary/")
    anon_client.get("/api/production/jobs/summary/", {"hours": "x"})
    assert _value("pandjango_requests_total", endpoint=SUMMARY, method="GET", status="200") == before + 2
    assert _value("pandjango_requests_total", endpoint=SUMMARY, method="GET", status="400") >= 1
    assert _value("pandjango_cache_answers_total", endpoint=SUMMARY, outcome="MISS") == misses + 1
    assert _value("pandjango_cache_answers_total", endpoint=SUMMARY, outcome="HIT") == hits + 1
    assert _value("pandjango_request_duration_seconds_count", endpoint=SUMMARY) == timed + 3
    assert _value("pandjango_db_duration_seconds_count", endpoint=SUMMARY) >= db_timed + 1


def test_the_text_parses_as_prometheus_text_format(anon_client: Client) -> None:
    anon_client.get("/api/production/jobs/summary/")
    anon_client.get("/no/such/path/")
    response = anon_client.get("/metrics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=")
    families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
    assert {"pandjango_requests", "pandjango_request_duration_seconds", "pandjango_cache_answers", "pandjango_db_duration_seconds"} <= set(families)
    endpoints = {sample.labels["endpoint"] for sample in families["pandjango_requests"].samples}
    assert {SUMMARY, "unmatched"} <= endpoints
    assert families["pandjango_request_duration_seconds"].type == "histogram"


def test_a_client_outside_the_allowed_networks_is_refused(anon_client: Client) -> None:
    assert anon_client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert anon_client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403


def test_the_allowed_networks_come_from_the_config(anon_client: Client, pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("metrics.allowed_networks", ["192.0.2.0/24"])
    assert anon_client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert anon_client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_a_token_opens_it_from_anywhere(anon_client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    far = {"REMOTE_ADDR": "192.0.2.7"}
    assert anon_client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token", **far).status_code == 200
    assert anon_client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **far).status_code == 403
    assert anon_client.get("/metrics", **far).status_code == 403


@pytest.mark.no_db
def test_a_network_that_is_not_one_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "pandjango.toml"
    path.write_text(MINIMAL + '[metrics]\nallowed_networks = ["10.0.0.0/33"]\n')
    with pytest.raises(config.ConfigError, match=r"metrics.allowed_networks: '10.0.0.0/33' is not a network"):
        config.load(path)
    path.write_text(MINIMAL)
    assert config.load(path)["metrics"] == {"allowed_networks": ["127.0.0.0/8", "::1/128"], "token_env": ""}


def _rollup_families(client: Client) -> dict[str, Any]:
    text = client.get("/metrics").content.decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def _states(families: dict[str, Any]) -> dict[str, dict[str, float]]:
    """pandjango_rollups_state's samples: per part, each state's value."""
    states: dict[str, dict[str, float]] = {}
    for sample in families["pandjango_rollups_state"].samples:
        states.setdefault(sample.labels["part"], {})[sample.labels["state"]] = sample.value
    return states


def _present(states: dict[str, dict[str, float]]) -> dict[str, str]:
    """Each part's state whose gauge is 1, checking that exactly one is."""
    present = {part: [name for name, value in values.items() if value == 1] for part, values in states.items()}
    assert all(len(names) == 1 and sum(states[part].values()) == 1 for part, names in present.items())
    return {part: names[0] for part, names in present.items()}


def test_the_rollups_lag_is_a_gauge_read_at_each_scrape(anon_client: Client) -> None:
    families = _rollup_families(anon_client)
    assert _present(_states(families)) == {JOBS: "never run", ACTIVE: "never run", WORKERS: "never run", LIVE_WORKERS: "never run"}
    assert "pandjango_rollups_lag_seconds" not in families
    refreshed()
    families = _rollup_families(anon_client)
    assert _present(_states(families)) == {JOBS: "ok", ACTIVE: "ok", WORKERS: "never run", LIVE_WORKERS: "never run"}
    lags = {sample.labels["part"]: sample.value for sample in families["pandjango_rollups_lag_seconds"].samples}
    assert families["pandjango_rollups_lag_seconds"].type == "gauge"
    assert set(lags) == {JOBS, ACTIVE} and all(0 <= lag < 60 for lag in lags.values())


def test_each_part_of_the_rollups_has_its_own_gauges(anon_client: Client, pandjango_config: Callable[[str, Any], None]) -> None:
    refreshed()
    workers.run()
    RollupState.objects.filter(name=WORKERS).update(mark=timezone.now() - timedelta(hours=2))
    pandjango_config("rollups.max_lag_seconds", 3600)
    families = _rollup_families(anon_client)
    states = _states(families)
    # The live workers' snapshot is stale with the mark of a run that did not take it.
    assert set(states[WORKERS]) == set(ROLLUP_STATES)
    assert _present(states) == {JOBS: "ok", ACTIVE: "ok", WORKERS: "stale", LIVE_WORKERS: "stale"}
    lags = {sample.labels["part"]: sample.value for sample in families["pandjango_rollups_lag_seconds"].samples}
    assert lags[JOBS] < 60 and 7190 <= lags[WORKERS] < 7260 and lags[LIVE_WORKERS] < 60
    pandjango_config("rollups.enabled", False)
    families = _rollup_families(anon_client)
    assert _present(_states(families)) == {JOBS: "off", ACTIVE: "off", WORKERS: "off", LIVE_WORKERS: "off"}
    assert "pandjango_rollups_lag_seconds" not in families
