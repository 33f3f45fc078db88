"""Django settings, all derived from the configuration file (pandjango/config.py).

There is one settings module: development, the demo, tests and production differ only by
the file PANDJANGO_CONFIG points at.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from pandjango import config as _config
from pandjango.caching.backends import caches_from_config

try:
    PANDJANGO = _config.load()
    _SECRET_KEY = _config.secret_from_env(
        "server.secret_key_env",
        PANDJANGO["server"]["secret_key_env"],
        PANDJANGO["_path"],
    ) if not PANDJANGO["server"]["insecure_dev_secret_key"] else ""
    # The bearer token of /metrics (pandjango/edge/metrics.py), when metrics.token_env names one.
    METRICS_TOKEN = _config.secret_from_env("metrics.token_env", PANDJANGO["metrics"]["token_env"], PANDJANGO["_path"])
except _config.ConfigError as exc:
    # One line naming the key and the file, not a traceback.
    sys.stderr.write(f"pandjango: configuration error: {exc}\n")
    raise SystemExit(2) from None

BASE_DIR = _config.BASE_DIR
SHARE_DIR = _config.SHARE_DIR
_server = PANDJANGO["server"]

DEBUG = _server["debug"]
# The "django-insecure-" prefix makes `manage.py check --deploy` refuse the development key.
SECRET_KEY = _SECRET_KEY or "django-insecure-pandjango-development-key-never-used-in-production"
ALLOWED_HOSTS = _server["allowed_hosts"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",  # API tokens for dashboards and pipelines: manage.py apitoken, the admin
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files for /api/docs/, served by us
    "pandjango.apps.PandjangoConfig",
    "pandjango.pandadb",
    "pandjango.rollups",  # our pre-aggregated job counts, in the default database (docs/rollups.md)
    *(f"sections.{name}" for name in _config.SECTION_NAMES),
    "sections.bigpanda",
]

MIDDLEWARE = [
    # Outermost, so that its line covers the whole request (pandjango/edge/requestlog.py).
    "pandjango.edge.requestlog.RequestLogMiddleware",
    # Content-Security-Policy and the other security headers on every answer, static files too.
    "pandjango.edge.securityheaders.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A query string past limits.max_query_string: a JSON 414 before anything reads it.
    "pandjango.edge.middleware.QueryStringLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Charges anonymous clients what their requests cost, once answered (pandjango/edge/throttling.py).
    "pandjango.edge.throttling.AllowanceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pandjango.edge.middleware.JsonErrorsMiddleware",
    # Every request's queries on the PanDA database share limits.request_seconds.
    "pandjango.api.budget.QueryBudgetMiddleware",
]

ROOT_URLCONF = "pandjango.urls"
WSGI_APPLICATION = "pandjango.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SHARE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


_ENGINES = {
    "sqlite": "pandjango.pandadb.sqlite",  # Django's, never creating a file while serving
    "mysql": "django.db.backends.mysql",
    "postgresql": "django.db.backends.postgresql",
    "oracle": "django.db.backends.oracle",
}


def _database(alias: str, db: dict[str, Any], read_only: bool) -> dict[str, Any]:
    engine = db["engine"]
    name = db["name"]
    if engine == "sqlite" and name != ":memory:" and not name.startswith("/"):
        name = str(BASE_DIR / name)
    options: dict[str, Any] = dict(db["options"])
    # No statement may run longer than the whole request may (pandjango/api/budget.py).
    timeout_ms = min(PANDJANGO["limits"]["statement_timeout_ms"], int(PANDJANGO["limits"]["request_seconds"] * 1000))
    if engine in ("mysql", "postgresql"):
        # A database host that drops packets fails the request in seconds (503), not when the
        # worker's own timeout kills it.
        options.setdefault("connect_timeout", 5)
    if engine == "mysql":
        options.setdefault("charset", "utf8mb4")
        init = [f"SET SESSION max_statement_time={timeout_ms / 1000:.3f}"] if alias == "panda" else []
        if read_only:
            # Defence in depth: the router refuses writes, and the session refuses them too.
            init.append("SET SESSION TRANSACTION READ ONLY")
        if init:
            options["init_command"] = "; ".join(init)
    elif engine == "postgresql":
        flags = [f"-c statement_timeout={timeout_ms}"] if alias == "panda" else []
        if read_only:
            flags.append("-c default_transaction_read_only=on")
        if flags:
            options["options"] = " ".join(flags)
    settings: dict[str, Any] = {
        "ENGINE": _ENGINES[engine],
        "NAME": name,
        "HOST": db["host"],
        "PORT": str(db["port"]) if db["port"] else "",
        "USER": db["user"],
        "PASSWORD": _config.secret_from_env(
            f"databases.{alias}.password_env", db["password_env"], PANDJANGO["_path"]
        ),
        "OPTIONS": options,
        "CONN_MAX_AGE": 60 if engine != "sqlite" else 0,
        "CONN_HEALTH_CHECKS": True,
        "TIME_ZONE": None,
    }
    # Several test runs may share a machine: PANDJANGO_TEST_SUFFIX keeps their databases apart.
    suffix = os.environ.get("PANDJANGO_TEST_SUFFIX", "")
    if engine == "sqlite" and name != ":memory:":
        # A file, so that a live server's threads and the test process share one database.
        settings["TEST"] = {"NAME": name.replace(".sqlite3", "") + f"-test{suffix}.sqlite3"}
    elif suffix:
        settings["TEST"] = {"NAME": f"test_{name}{suffix}"}
    return settings


try:
    _dbs = PANDJANGO["databases"]
    DATABASES = {
        "default": _database("default", _dbs["default"], read_only=False),
        "panda": _database("panda", _dbs["panda"], read_only=not _dbs["panda"]["ours"]),
    }
except _config.ConfigError as exc:
    sys.stderr.write(f"pandjango: configuration error: {exc}\n")
    raise SystemExit(2) from None

DATABASE_ROUTERS = ["pandjango.pandadb.router.PandaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# static/ and the front-end libraries installed from package.json by `npm ci` (only their
# dist folders): config.STATIC_SOURCES.
STATICFILES_DIRS: list[Any] = [(prefix, SHARE_DIR / folder) if prefix else SHARE_DIR / folder for prefix, folder in _config.STATIC_SOURCES]
if _config.INSTALLED:
    # An installed package has neither static/ nor node_modules/: its build copied them (setup.py).
    STATICFILES_DIRS = [_config.COLLECTED_STATIC]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "/accounts/login/"
# Django's ModelBackend, with a limit on failed sign-ins per account and per address.
AUTHENTICATION_BACKENDS = ["pandjango.edge.throttling.SignInAllowanceBackend"]
# A form refused for its CSRF token gets our error page (Django's own has inline styles).
CSRF_FAILURE_VIEW = "pandjango.views.csrf_failure"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    # JSON unless ?format=csv (or Accept: text/csv): pandjango/api/csvformat.py.
    "DEFAULT_RENDERER_CLASSES": ["pandjango.api.output.OrjsonRenderer", "pandjango.api.csvformat.CsvRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "pandjango.api.csvformat.FormatNegotiation",
    "DEFAULT_PARSER_CLASSES": ["pandjango.api.output.OrjsonParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a wrong token is a 401 that says how to authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # Anonymous clients only, at limits.anon_requests_per_minute (pandjango/edge/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["pandjango.edge.throttling.AnonymousRateThrottle"],
    # How many reverse proxies append to X-Forwarded-For in front of us: the client is that
    # many entries from the right; 0 ignores the header (docs/reliability.md).
    "NUM_PROXIES": _server["num_proxies"],
    "EXCEPTION_HANDLER": "pandjango.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Pandjango JSON API",
    "DESCRIPTION": "The PanDA monitor's JSON API: jobs, tasks, errors, queues, pilots, statistics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # An enum lists its values; the answers' shapes (api.schemas) say what they mean where it matters.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    # /api/docs/ loads Swagger UI from our static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Production hardening, switched on by server.secure in the config file.
if _server["secure"]:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A load balancer, monitoring probe or Prometheus may ask the server itself, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json_line": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "requests": {"class": "logging.StreamHandler", "formatter": "json_line"},
    },
    "root": {"handlers": ["console"], "level": _server["log_level"]},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # One JSON object per line and request (pandjango/edge/requestlog.py), nothing around it.
        "pandjango.request": {"handlers": ["requests"], "propagate": False},
    },
}

# "default" for Django itself, "responses" for the API answers (pandjango/caching/),
# "throttle" for the anonymous clients' request counts (pandjango/edge/throttling.py).
CACHES = caches_from_config(PANDJANGO["cache"], BASE_DIR)
