"""Gunicorn's configuration for Pandjango in production (`pandjango serve`, or
`gunicorn -c config/gunicorn.conf.py`), behind a reverse proxy (nginx, Apache) that ends TLS.

Everything a deployment changes comes from the environment:
    PANDJANGO_BIND                  address to listen on (default 127.0.0.1:8080; the proxy's upstream)
    PANDJANGO_WORKERS               worker processes (default 2 x cores + 1)
    PANDJANGO_THREADS               threads per worker (default 1)
    PANDJANGO_TIMEOUT               seconds a request may take before its worker is restarted (default 60)
    PANDJANGO_FORWARDED_ALLOW_IPS   proxies trusted for X-Forwarded-* headers (default 127.0.0.1,::1)

Listen only where the proxy can reach: with server.secure the application trusts
X-Forwarded-Proto, so a client must not be able to talk to gunicorn directly.
"""

from __future__ import annotations

import os

wsgi_app = "pandjango.wsgi:application"

bind = os.environ.get("PANDJANGO_BIND", "127.0.0.1:8080").split(",")
workers = int(os.environ.get("PANDJANGO_WORKERS", 2 * (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("PANDJANGO_THREADS", 1))
# Well above limits.request_seconds (20 s by default), the budget of all of a request's
# queries together: a slow request answers 503 before its worker is killed.
timeout = int(os.environ.get("PANDJANGO_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5

# A status GET with 1000 PandaIDs has a request line of about 11 KB, and a page's Referer
# carries its query string: both must reach Django, which refuses a query string past
# limits.max_query_string (16384) with a JSON 414. gunicorn caps limit_request_line at 8190
# unless it is 0, which takes lines up to 1 MB; header fields take max_query_string and a path.
limit_request_line = 0
limit_request_field_size = 32768

forwarded_allow_ips = os.environ.get("PANDJANGO_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Pandjango logs one line per request itself (pandjango/edge/requestlog.py, on stderr); gunicorn
# logs only its own errors and start-up there.
accesslog = None
errorlog = "-"
loglevel = "info"
capture_output = False

# Restart workers now and then, at different times, so that slow growth of memory never
# builds up and never restarts all of them at once.
max_requests = 2000
max_requests_jitter = 200

# The worker heartbeat in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket: several servers may run on one machine under one user.
control_socket_disable = True

proc_name = "pandjango"


def child_exit(server: object, worker: object) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set (docs/deploy.md), /metrics adds up every worker's
    figures from that folder; a worker that is gone is marked so."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
