"""Loads and validates the one configuration file (config/pandjango.toml).

The file says everything an operator may change; secrets are never in it, only the names
of the environment variables that hold them. A wrong key or value stops start-up with one
line that names the key and the file.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
# The folders that ship with the code (templates/, config/, static/, node_modules/) sit beside
# the package in a source checkout. An installed wheel carries templates/ and config/ inside
# the package, in share/ (pyproject.toml), and every static file in collected_static/
# (copied there by the build: setup.py).
INSTALLED = (PACKAGE_DIR / "share").is_dir()
SHARE_DIR = PACKAGE_DIR / "share" if INSTALLED else PACKAGE_DIR.parent
COLLECTED_STATIC = PACKAGE_DIR / "collected_static"
# Where the static files come from in a source checkout, as (URL prefix under /static/,
# folder): ours, and the dist folders of the front-end libraries `npm ci` installs from
# package.json. settings.STATICFILES_DIRS serves them; the package build (setup.py) copies
# them into the package as collected_static/, which an installed package serves.
STATIC_SOURCES: tuple[tuple[str, str], ...] = (
    ("", "static"),
    ("vendor/jquery", "node_modules/jquery/dist"),
    ("vendor/jquery-ui", "node_modules/jquery-ui/dist"),
    ("vendor/datatables", "node_modules/datatables.net/js"),
    ("vendor/datatables", "node_modules/datatables.net-dt/css"),
    ("vendor/uplot", "node_modules/uplot/dist"),
)


def _home() -> Path:
    env = os.environ.get("PANDJANGO_HOME")
    if env:
        return Path(env).resolve()
    return Path.cwd().resolve() / "pandjango-data" if INSTALLED else SHARE_DIR


# Where the relative paths of the config file (var/...) are resolved: $PANDJANGO_HOME, else
# the source checkout, else ./pandjango-data for an installed wheel.
BASE_DIR = _home()
DEFAULT_CONFIG = SHARE_DIR / "config" / "pandjango.toml"

SECTION_NAMES = ("autopilot", "production", "sites", "stats")
SECTION_STATES = ("public", "beta", "off")
ENGINES = ("sqlite", "mysql", "postgresql", "oracle")
CACHE_BACKENDS = ("memcached", "file", "memory", "none")

REQUIRED = object()


class ConfigError(Exception):
    """A configuration problem, said in one line naming the key and the file."""


@dataclass(frozen=True)
class Key:
    type: Any  # a type or a tuple of types
    default: Any = REQUIRED
    choices: tuple[Any, ...] | None = None
    items: type | None = None  # element type of a list


def _database_spec() -> dict[str, Any]:
    return {
        "engine": Key(str, choices=ENGINES),
        "name": Key(str),
        "host": Key(str, ""),
        "port": Key(int, 0),
        "user": Key(str, ""),
        "password_env": Key(str, ""),
        # Marks a database as ours (demo, tests, benchmarks): only then may the schema
        # command and the seeder write to it. A production PanDA database is never ours.
        "ours": Key(bool, False),
        "options": Key(dict, {}),
    }


def _section_spec() -> dict[str, Any]:
    return {"state": Key(str, "public", choices=SECTION_STATES)}


SPEC: dict[str, Any] = {
    "server": {
        "debug": Key(bool, False),
        "secret_key_env": Key(str, "PANDJANGO_SECRET_KEY"),
        # Only for development and the demo: used when the variable above is unset.
        "insecure_dev_secret_key": Key(bool, False),
        "allowed_hosts": Key(list, ["127.0.0.1", "localhost"], items=str),
        "secure": Key(bool, False),
        # Reverse proxies in front that append the client's address to X-Forwarded-For.
        "num_proxies": Key(int, 0),
        "log_level": Key(str, "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    },
    "databases": {
        "default": _database_spec(),
        "panda": _database_spec(),
    },
    "panda": {
        "schema_panda": Key(str, ""),
        "schema_archive": Key(str, ""),
        "schema_meta": Key(str, ""),
        "archived4_retention_days": Key(int, 3),
        # How long the parsed SCHEDCONFIG_JSON documents are kept before they are read again.
        "queues_refresh_seconds": Key(int, 300),
    },
    "sections": {
        "beta_group": Key(str, "beta testers"),
        **{name: _section_spec() for name in SECTION_NAMES},
    },
    "cache": {
        "backend": Key(str, "memory", choices=CACHE_BACKENDS),
        "servers": Key(list, ["127.0.0.1:11211"], items=str),
        "file_dir": Key(str, "var/cache"),
        "default": Key(int, 60),
        "timeout_seconds": Key((int, float), 0.5),
        "lifetimes": Key(dict, {}),
        "warm": Key(list, [], items=str),
    },
    "legacy": {
        "base_url": Key(str, ""),
        "allowed_prefixes": Key(list, [], items=str),
        "timeout_seconds": Key((int, float), 10),
        "max_bytes": Key(int, 2_000_000),
        "cache_lifetime": Key(int, 60),
        "tabs": Key(dict, {}),
    },
    "limits": {
        "max_window_days": Key(int, 30),
        "max_limit": Key(int, 10000),
        "default_limit": Key(int, 100),
        "max_status_ids": Key(int, 1000),
        "max_query_string": Key(int, 16384),  # room for 1000 PandaIDs in a status GET
        "max_filters": Key(int, 20),
        "statement_timeout_ms": Key(int, 30000),
        # All the queries of one request together; below gunicorn's worker timeout (60 s).
        "request_seconds": Key((int, float), 20),
        # Rows of a summary, of each facet's list, of a matrix's axes, of each errors breakdown.
        "max_summary_rows": Key(int, 5000),
        "service_stale_seconds": Key(int, 900),
        "anon_requests_per_minute": Key(int, 600),
        # What a computed answer costs an anonymous client beyond 1 (pandjango/edge/throttling.py).
        "anon_cost_per_second": Key((int, float), 60),
        "anon_cost_per_window_day": Key((int, float), 2),
        "signin_failures_per_account": Key(int, 10),
        "signin_failures_per_address": Key(int, 30),
        "signin_window_minutes": Key(int, 15),
    },
    # Our pre-aggregated job counts (docs/rollups.md): summaries read them where the window
    # and filters allow, unless off or older than max_lag_seconds (then they read PanDA).
    "rollups": {
        "enabled": Key(bool, True),
        "max_lag_seconds": Key(int, 900),
        # The active jobs' snapshot older than this is not used: the active tables are read live.
        "active_max_lag_seconds": Key(int, 180),
        # Rows modified this long before a run's start may still commit after it (late commits).
        "overlap_seconds": Key(int, 600),
        # Where the database has no session lock (SQLite), a runner's lock row expires after this.
        "lock_seconds": Key(int, 600),
    },
    # Who may read /metrics (pandjango/edge/metrics.py): a client of these networks, or one
    # sending the token the variable named by token_env holds ("": no token).
    "metrics": {
        "allowed_networks": Key(list, ["127.0.0.0/8", "::1/128"], items=str),
        "token_env": Key(str, ""),
    },
}


def _type_name(t: Any) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return {str: "string", int: "integer", bool: "boolean", list: "list", dict: "table"}.get(
        t, t.__name__
    )


def _check_value(key: Key, value: Any, where: str, path: Path) -> Any:
    # bool is an int in Python; an integer setting must not accept true/false.
    if isinstance(value, bool) and key.type is not bool:
        raise ConfigError(f"{path}: {where} must be a {_type_name(key.type)}, not a boolean")
    if not isinstance(value, key.type):
        raise ConfigError(
            f"{path}: {where} must be a {_type_name(key.type)}, not {type(value).__name__}"
        )
    if key.choices is not None and value not in key.choices:
        raise ConfigError(f"{path}: {where} must be one of {', '.join(key.choices)}")
    if key.items is not None:
        for item in value:
            if not isinstance(item, key.items):
                raise ConfigError(f"{path}: every item of {where} must be a {_type_name(key.items)}")
    return value


def _validate(spec: dict[str, Any], data: dict[str, Any], prefix: str, path: Path) -> dict[str, Any]:
    for name in data:
        if name not in spec:
            raise ConfigError(f"{path}: unknown key {prefix}{name}")
    out: dict[str, Any] = {}
    for name, sub in spec.items():
        where = f"{prefix}{name}"
        if isinstance(sub, dict):
            value = data.get(name, {})
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: {where} must be a table")
            out[name] = _validate(sub, value, where + ".", path)
        elif name in data:
            out[name] = _check_value(sub, data[name], where, path)
        elif sub.default is REQUIRED:
            raise ConfigError(f"{path}: missing required key {where}")
        else:
            out[name] = sub.default
    return out


def _validate_tables(cfg: dict[str, Any], path: Path) -> None:
    for name, lifetime in cfg["cache"]["lifetimes"].items():
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 0:
            raise ConfigError(f"{path}: cache.lifetimes.{name} must be an integer >= 0")
    for name, target in cfg["legacy"]["tabs"].items():
        if not isinstance(target, str):
            raise ConfigError(f"{path}: legacy.tabs.{name} must be a string")
    for positive in ("max_window_days", "max_limit", "default_limit", "max_status_ids", "max_summary_rows", "request_seconds"):
        if cfg["limits"][positive] <= 0:
            raise ConfigError(f"{path}: limits.{positive} must be > 0")
    throttling = ("anon_requests_per_minute", "anon_cost_per_second", "anon_cost_per_window_day",
                  "signin_failures_per_account", "signin_failures_per_address", "signin_window_minutes")
    for name in ("server.num_proxies", *(f"limits.{key}" for key in throttling)):
        table, key = name.split(".")
        if cfg[table][key] < 0:
            raise ConfigError(f"{path}: {name} must be >= 0")
    for key in ("max_lag_seconds", "active_max_lag_seconds", "overlap_seconds", "lock_seconds"):
        if cfg["rollups"][key] <= 0:
            raise ConfigError(f"{path}: rollups.{key} must be > 0")
    for cidr in cfg["metrics"]["allowed_networks"]:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ConfigError(f"{path}: metrics.allowed_networks: {cidr!r} is not a network (CIDR, e.g. 10.0.0.0/8)") from None
    if cfg["limits"]["default_limit"] > cfg["limits"]["max_limit"]:
        raise ConfigError(f"{path}: limits.default_limit must not exceed limits.max_limit")


def config_path() -> Path:
    env = os.environ.get("PANDJANGO_CONFIG")
    return Path(env) if env else DEFAULT_CONFIG


def load(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    cfg = _validate(SPEC, data, "", path)
    _validate_tables(cfg, path)
    cfg["_path"] = str(path)
    return cfg


def secret_from_env(cfg_key: str, env_name: str, path: str) -> str:
    value = os.environ.get(env_name, "") if env_name else ""
    if env_name and not value:
        raise ConfigError(f"{path}: {cfg_key} names ${env_name}, which is not set")
    return value
