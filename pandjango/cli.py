"""The `pandjango` command, installed by `pip install .` (or `python -m pandjango.cli` in a
source checkout):

    pandjango demo [--jobs N] [--days D] [--host H] [--port P] [--no-legacy-standin]
        SQLite databases in the data folder's var/ (the data folder: $PANDJANGO_HOME, else
        ./pandjango-data for an installed wheel, the checkout itself otherwise), demo data,
        the stand-in old monitor, and the development server on 127.0.0.1:8000. Always the
        demo's configuration, whatever PANDJANGO_CONFIG says.
    pandjango serve [gunicorn options]
        production: the configuration PANDJANGO_CONFIG names, `check --deploy`, collectstatic
        into the data folder, then gunicorn with config/gunicorn.conf.py.
    pandjango manage <command> [options]
        any manage.py command (migrate, check --deploy, pandadb, cache, rawsql, ...).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit

from pandjango import config

SETTINGS = "pandjango.settings"
GUNICORN_CONFIG = config.SHARE_DIR / "config" / "gunicorn.conf.py"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()


def manage(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pandjango manage", *args])
    return 0


def _start_legacy_standin(base_url: str) -> subprocess.Popen[bytes] | None:
    """The demo's old monitor: a stand-in, when the demo config points at one on this machine."""
    where = urlsplit(base_url)
    if where.hostname not in ("127.0.0.1", "localhost") or not where.port:
        return None
    command = [sys.executable, "-m", "pandjango.legacy.standin", "--host", where.hostname, "--port", str(where.port)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def demo(options: argparse.Namespace) -> int:
    os.environ["PANDJANGO_CONFIG"] = str(config.DEFAULT_CONFIG)
    (config.BASE_DIR / "var").mkdir(parents=True, exist_ok=True)
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import CommandError

    print(f"pandjango demo: data in {config.BASE_DIR / 'var'}", flush=True)
    try:
        call_command("migrate", verbosity=0)
        call_command("pandadb", "createschema")
        call_command("pandadb", "seed", "--jobs", str(options.jobs), "--days", str(options.days))
    except CommandError as exc:
        print(f"pandjango demo: {exc}", file=sys.stderr)
        return 2
    standin = None if options.no_legacy_standin else _start_legacy_standin(settings.PANDJANGO["legacy"]["base_url"])
    # Stopped by a signal, the server still stops the stand-in on its way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        call_command("runserver", f"{options.host}:{options.port}", use_reloader=False)
    finally:
        if standin is not None:
            standin.terminate()
    return 0


def serve(args: list[str]) -> int:
    if not os.environ.get("PANDJANGO_CONFIG"):
        print("pandjango serve: set PANDJANGO_CONFIG to the configuration file "
              "(config/pandjango.example-production.toml documents every key)", file=sys.stderr)
        return 2
    # gunicorn's workers must resolve the data folder as this process does.
    os.environ["PANDJANGO_HOME"] = str(config.BASE_DIR)
    _setup_django()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("check", deploy=True)
        call_command("collectstatic", interactive=False, verbosity=0)
    except CommandError as exc:
        print(f"pandjango serve: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), *args])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pandjango",
        description="The PanDA monitor. `pandjango manage ...` runs any manage.py command; "
        "`pandjango serve [gunicorn options]` runs the production server.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo_command = commands.add_parser("demo", help="demo data in SQLite and the development server")
    demo_command.add_argument("--jobs", type=int, default=50000, help="demo jobs to create (default 50000)")
    demo_command.add_argument("--days", type=int, default=4, help="days they span (default 4)")
    demo_command.add_argument("--host", default="127.0.0.1")
    demo_command.add_argument("--port", type=int, default=8000)
    demo_command.add_argument("--no-legacy-standin", action="store_true", help="do not start the stand-in old monitor")
    commands.add_parser("serve", help="gunicorn with the configuration PANDJANGO_CONFIG names")
    commands.add_parser("manage", help="a manage.py command")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # Everything after these two goes on as it is, options included.
    if args[:1] == ["manage"]:
        return manage(args[1:])
    if args[:1] == ["serve"]:
        return serve(args[1:])
    return demo(_parser().parse_args(args))


if __name__ == "__main__":
    sys.exit(main())
