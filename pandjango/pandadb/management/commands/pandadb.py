from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from pandjango.pandadb import schema
from pandjango.pandadb.sessions import no_statement_timeout


def _parse_now(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--now must be an ISO 8601 time, not {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Creates the PanDA tables in a database of ours, or fills them with demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("createschema", help="create the PanDA tables with their keys and indexes")
        create.add_argument("--drop", action="store_true", help="drop and recreate tables that exist")
        sub.add_parser("indexes", help="list the indexes the schema defines")
        seed = sub.add_parser("seed", help="fill the PanDA tables with realistic demo data")
        seed.add_argument("--jobs", type=int, default=50000)
        seed.add_argument("--days", type=int, default=4)
        seed.add_argument("--seed", type=int, default=1)
        seed.add_argument("--now", type=_parse_now, default=None, help="reference time (default: now)")
        multiply = sub.add_parser("multiply", help="copy the seeded jobs and workers in SQL, for a large volume in minutes")
        multiply.add_argument("--times", type=int, required=True, help="the job and worker tables end with TIMES times their rows")
        multiply.add_argument("--shift-seconds", type=int, default=60, help="each copy's times this much earlier than the copy before")
        multiply.add_argument("--copy-from", metavar="DATABASE", default=None,
                              help="first replace every table's rows with those of this database (MariaDB, same server; read only)")
        rollup = sub.add_parser("rollup", help="bring the rollups (our job and worker counts per hour) up to date: one run")
        rollup.add_argument("--loop", type=int, metavar="SECONDS", default=0, help="run again every SECONDS, until stopped")
        rollup.add_argument("--backfill", action="store_true", help="check every hour bucket, with progress lines")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            # Index builds after a bulk load and a backfill take minutes: the API's statement
            # timeout is for requests, not for these (pandjango/pandadb/sessions.py).
            with no_statement_timeout():
                getattr(self, "_" + options["action"])(options)
        except schema.NotOursError as exc:
            raise CommandError(str(exc)) from None

    def _createschema(self, options: dict[str, Any]) -> None:
        created = schema.create_schema(drop=options["drop"])
        self.stdout.write(f"created {len(created)} tables: {', '.join(created) or 'none (all exist)'}")

    def _rollup(self, options: dict[str, Any]) -> None:
        # The rollups live in our database and read PanDA's through this package: imported
        # here, so the PanDA data layer does not depend on them.
        from pandjango.rollups import runner

        if options["loop"] < 0:
            raise CommandError("--loop must be a number of seconds > 0")
        try:
            runner.refresh_loop(backfill=options["backfill"], every=options["loop"], say=self.stdout.write)
        except runner.Busy as exc:
            raise CommandError(str(exc)) from None

    def _indexes(self, options: dict[str, Any]) -> None:
        for table, indexes in schema.schema_indexes().items():
            for name, columns in indexes:
                self.stdout.write(f"{table:15} {name:32} ({', '.join(columns)})")

    def _multiply(self, options: dict[str, Any]) -> None:
        from pandjango.pandadb import multiply

        if options["times"] < 2 or options["shift_seconds"] < 0:
            raise CommandError("--times must be 2 or more and --shift-seconds 0 or more")
        if options["copy_from"] and connections["panda"].vendor != "mysql":
            raise CommandError("--copy-from needs MariaDB: the two databases on one server")
        counts = multiply.multiply(options["times"], options["shift_seconds"], options["copy_from"], progress=self.stdout.write)
        for table, count in sorted(counts["added"].items()):
            self.stdout.write(f"{table:26} {count:>11} added")
        self.stdout.write(f"multiplied by {options['times']} in {counts['seconds']} s")

    def _seed(self, options: dict[str, Any]) -> None:
        if options["jobs"] < 1 or options["days"] < 1:
            raise CommandError("--jobs and --days must be positive")
        now = options["now"] or datetime.now(UTC).replace(second=0, microsecond=0)
        counts = schema.seed(
            options["jobs"], options["days"], options["seed"], now,
            settings.PANDJANGO["panda"]["archived4_retention_days"],
        )
        seconds = counts.pop("seconds")
        for table, count in sorted(counts.items()):
            self.stdout.write(f"{table:15} {count:>9}")
        self.stdout.write(f"seeded {options['jobs']} jobs over {options['days']} days in {seconds} s")
