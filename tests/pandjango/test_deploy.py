"""Production serving: `manage.py check --deploy` is clean with the production example (and
catches what is wrong in a config that is not), and `pandjango serve` runs gunicorn as it would
behind a reverse proxy that ends TLS: HTTPS only, HSTS, static files served by whitenoise under
hashed names and compressed, one request-log line per request and no access log besides.

Each run is a subprocess: the settings are read once per process."""

from __future__ import annotations

import json
import os
import runpy
import secrets
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pandjango.config import SHARE_DIR as REPO

pytestmark = pytest.mark.no_db

PRODUCTION_EXAMPLE = REPO / "config" / "pandjango.example-production.toml"
GUNICORN_CONFIG = REPO / "config" / "gunicorn.conf.py"
# What a test run sets (the browser tests need DJANGO_ALLOW_ASYNC_UNSAFE); a deployment never has them.
RUN_VARIABLES = ("PANDJANGO_CONFIG", "PANDJANGO_HOME", "PANDJANGO_TEST_SUFFIX", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
HTTPS = {"X-Forwarded-Proto": "https"}


def secrets_for(config: Path) -> dict[str, str]:
    """Test values for every environment variable the config file names."""
    data = tomllib.loads(config.read_text())
    names = [data["server"].get("secret_key_env", "PANDJANGO_SECRET_KEY")]
    names += [db["password_env"] for db in data["databases"].values() if db.get("password_env")]
    return {name: secrets.token_urlsafe(64) for name in names}


def environment(config: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in RUN_VARIABLES}
    return {**env, "PANDJANGO_CONFIG": str(config), **secrets_for(config), **extra}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def variant(tmp_path: Path, old: str, new: str) -> Path:
    """The production example with one line changed."""
    text = PRODUCTION_EXAMPLE.read_text()
    assert text.count(old) == 1, old
    path = tmp_path / "variant.toml"
    path.write_text(text.replace(old, new))
    return path


def test_check_deploy_is_clean_with_the_production_example() -> None:
    result = manage(environment(PRODUCTION_EXAMPLE), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_production_example_gives_hardened_settings() -> None:
    env = environment(PRODUCTION_EXAMPLE)
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'secret_key': s.SECRET_KEY, 'allowed_hosts': s.ALLOWED_HOSTS, 'hsts': s.SECURE_HSTS_SECONDS,"
        "'ssl_redirect': s.SECURE_SSL_REDIRECT, 'proxy_header': s.SECURE_PROXY_SSL_HEADER,"
        "'cookies': [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE], 'static': s.STORAGES['staticfiles']['BACKEND'],"
        "'panda_engine': s.DATABASES['panda']['ENGINE'], 'panda_password': s.DATABASES['panda']['PASSWORD']}))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env={**env, "DJANGO_SETTINGS_MODULE": "pandjango.settings"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    example = tomllib.loads(PRODUCTION_EXAMPLE.read_text())
    assert got["debug"] is False
    assert got["secret_key"] == env[example["server"]["secret_key_env"]]
    assert got["allowed_hosts"] == example["server"]["allowed_hosts"]
    assert got["hsts"] >= 31536000 and got["ssl_redirect"] is True
    assert got["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["cookies"] == [True, True]
    assert got["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert got["panda_engine"] == "django.db.backends.oracle"
    assert got["panda_password"] == env[example["databases"]["panda"]["password_env"]]


@pytest.mark.parametrize(
    ("old", "new", "warning"),
    [
        ("insecure_dev_secret_key = false", "insecure_dev_secret_key = true", "security.W009"),
        ("debug = false", "debug = true", "security.W018"),
        ("secure = true", "secure = false", "security.W004"),
        ('allowed_hosts = ["pandamon.example.org"]', "allowed_hosts = []", "security.W020"),
    ],
)
def test_check_deploy_catches_a_config_that_is_not_fit_for_production(tmp_path: Path, old: str, new: str, warning: str) -> None:
    config = variant(tmp_path, old, new)
    result = manage(environment(config), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert warning in result.stderr + result.stdout


def test_without_the_secret_key_in_the_environment_start_up_stops_naming_the_variable() -> None:
    env = environment(PRODUCTION_EXAMPLE)
    del env["PANDJANGO_SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"pandjango: configuration error: {PRODUCTION_EXAMPLE}: server.secret_key_env names $PANDJANGO_SECRET_KEY, which is not set"
    )


def test_the_gunicorn_config_takes_its_numbers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANDJANGO_BIND", "127.0.0.1:9001")
    monkeypatch.setenv("PANDJANGO_WORKERS", "3")
    monkeypatch.setenv("PANDJANGO_FORWARDED_ALLOW_IPS", "10.0.0.5")
    conf = runpy.run_path(str(GUNICORN_CONFIG))
    assert (conf["bind"], conf["workers"], conf["forwarded_allow_ips"]) == (["127.0.0.1:9001"], 3, "10.0.0.5")
    assert conf["wsgi_app"] == "pandjango.wsgi:application"
    assert conf["accesslog"] is None  # pandjango/edge/requestlog.py logs each request
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    assert conf["timeout"] * 1000 > tomllib.loads(PRODUCTION_EXAMPLE.read_text())["limits"]["statement_timeout_ms"]


# ---------------------------------------------------------------- gunicorn behind a proxy

SERVE_CONFIG = """
[server]
debug = false
secret_key_env = "PANDJANGO_SECRET_KEY"
allowed_hosts = ["127.0.0.1"]
secure = true

[databases.default]
engine = "sqlite"
name = "var/default.sqlite3"

[databases.panda]
engine = "sqlite"
name = "var/panda.sqlite3"
ours = true

[cache]
backend = "memory"
"""


@dataclass
class Served:
    url: str
    home: Path
    log: Path

    def manifest(self) -> dict[str, str]:
        paths: dict[str, str] = json.loads((self.home / "var" / "staticfiles" / "staticfiles.json").read_text())["paths"]
        return paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`pandjango serve` (python -m pandjango.cli serve) with a production-like config on SQLite."""
    home = tmp_path_factory.mktemp("serve")
    (home / "var").mkdir()
    config = home / "serve.toml"
    config.write_text(SERVE_CONFIG)
    port = _free_port()
    # Two workers adding up their metrics in one folder, as docs/deploy.md says.
    (home / "metrics").mkdir()
    env = environment(
        config, PANDJANGO_HOME=str(home), PANDJANGO_BIND=f"127.0.0.1:{port}", PANDJANGO_WORKERS="2", PROMETHEUS_MULTIPROC_DIR=str(home / "metrics")
    )
    for command in (["migrate", "--noinput"], ["pandadb", "createschema"]):  # a server creates no database itself
        done = manage(env, *command)
        assert done.returncode == 0, done.stderr
    log = home / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "pandjango.cli", "serve"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield Served(url, home, log)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_metrics_add_up_the_requests_of_every_worker(served: Served) -> None:
    for _ in range(12):
        assert httpx.get(f"{served.url}/healthz", timeout=10).status_code == 200
    text = httpx.get(f"{served.url}/metrics", timeout=10).text
    [count] = [
        sample.value
        for family in text_string_to_metric_families(text) if family.name == "pandjango_requests"
        for sample in family.samples if sample.name == "pandjango_requests_total" and sample.labels["endpoint"] == "healthz"
    ]
    assert count >= 12 + 1  # and the fixture's own wait for /healthz
    assert list((served.home / "metrics").glob("counter_*.db"))  # prometheus_client's multiprocess files


def test_plain_http_is_sent_to_https(served: Served) -> None:
    response = httpx.get(f"{served.url}/api/", timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://127.0.0.1:{served.url.rsplit(':', 1)[1]}/api/"


def test_behind_the_proxy_https_answers_with_hsts(served: Served) -> None:
    response = httpx.get(f"{served.url}/api/", headers=HTTPS, timeout=10)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_have_hashed_names_and_are_served_compressed(served: Served) -> None:
    manifest = served.manifest()
    hashed = manifest["pandjango/pandjango.css"]
    assert hashed != "pandjango/pandjango.css"
    page = httpx.get(f"{served.url}/", headers=HTTPS, timeout=10)
    assert page.status_code == 200 and f"/static/{hashed}" in page.text
    static = httpx.get(f"{served.url}/static/{manifest['vendor/jquery/jquery.min.js']}", headers={**HTTPS, "Accept-Encoding": "gzip"}, timeout=10)
    assert static.status_code == 200
    assert static.headers["Content-Encoding"] == "gzip"
    assert "immutable" in static.headers["Cache-Control"]


def test_each_request_is_one_json_line_in_the_log_and_there_is_no_access_log(served: Served) -> None:
    httpx.get(f"{served.url}/api/sites/", params={"limit": 1}, headers=HTTPS, timeout=10)
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in served.log.read_text().splitlines() if line.startswith("{")]
        mine: list[dict[str, Any]] = [line for line in lines if line["path"] == "/api/sites/"]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    [line] = mine
    assert (line["method"], line["status"], line["query"], line["user_class"]) == ("GET", 200, "limit=1", "anonymous")
    assert line["db_queries"] > 0
    assert '"GET /api/sites/' not in served.log.read_text()


# ---------------------------------------------------------------- long requests through gunicorn

STATUS = "/api/production/jobs/status/"
THOUSAND_IDS = list(range(6_500_000_000, 6_500_001_000))


def test_gunicorn_lets_a_20_kb_query_string_through_and_it_is_refused_with_our_json_414(served: Served) -> None:
    response = httpx.get(f"{served.url}{STATUS}?pandaid=" + ",".join(map(str, range(2000, 20000, 1)))[:20_000], headers=HTTPS, timeout=30)
    assert response.status_code == 414 and response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "uri_too_long"


def test_gunicorn_takes_a_status_of_a_thousand_ids_by_post_and_by_get(served: Served) -> None:
    posted = httpx.post(f"{served.url}{STATUS}", json={"pandaid": THOUSAND_IDS}, headers=HTTPS, timeout=30)
    assert posted.status_code == 200, posted.text[:300]
    assert posted.json()["meta"]["missing"] == THOUSAND_IDS
    got = httpx.get(f"{served.url}{STATUS}", params={"pandaid": ",".join(map(str, THOUSAND_IDS))}, headers=HTTPS, timeout=30)
    assert got.status_code == 200, got.text[:300]


def test_the_gunicorn_limits_cover_the_longest_query_string_django_takes() -> None:
    from pandjango import config

    limits = runpy.run_path(str(GUNICORN_CONFIG))
    longest = config.load(PRODUCTION_EXAMPLE)["limits"]["max_query_string"]
    assert limits["limit_request_line"] == 0  # gunicorn's only setting above its cap of 8190
    assert limits["limit_request_field_size"] > longest + 4096  # a Referer: the page's path and query string
