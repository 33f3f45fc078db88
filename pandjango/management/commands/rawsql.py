from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections

from pandjango.pandadb.router import PANDA_ALIAS
from pandjango.rawsql import definition, registry, running


def _describe_param(param: definition.Param) -> str:
    choices = f" one of {', '.join(param.choices)}" if param.choices else ""
    required = "required" if param.required else "optional"
    return f"  {param.name:22} {param.kind:9} {required:8} {param.help}{choices and ';' + choices}"


class Command(BaseCommand):
    help = "Lists the raw SQL queries of the registry, shows their text per vendor, explains them on the panda database."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every registered query: name, section, vendors, purpose")
        show = sub.add_parser("show", help="the exact text sent to the database, with the example parameters")
        show.add_argument("name")
        show.add_argument("--vendor", choices=definition.VENDORS, default=None, help="default: the configured panda database's")
        show.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="lists comma-separated; repeatable")
        explain = sub.add_parser("explain", help="EXPLAIN of the query on the configured panda database")
        explain.add_argument("name")
        explain.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="lists comma-separated; repeatable")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"])(options)
        except (KeyError, TypeError, ValueError) as exc:
            raise CommandError(str(exc).strip('"')) from None
        except DatabaseError as exc:
            raise CommandError(f"the panda database said: {exc}") from None

    def _list(self, options: dict[str, Any]) -> None:
        for query in registry.all_queries():
            self.stdout.write(f"{query.name:32} {query.section:10} {','.join(query.describe()['vendors']):30} {query.purpose}")

    def _show(self, options: dict[str, Any]) -> None:
        query = registry.get(options["name"])
        vendor = options["vendor"] or connections[PANDA_ALIAS].vendor
        self.stdout.write(f"-- {query.name} ({query.section}): {query.purpose}")
        self.stdout.write(f"-- returns {query.returns}")
        for param in query.params:
            self.stdout.write("--" + _describe_param(param))
        self.stdout.write(registry.render(query.name, vendor, **self._params(query, options["param"])))

    def _explain(self, options: dict[str, Any]) -> None:
        query = registry.get(options["name"])
        for row in running.explain(query.name, **self._params(query, options["param"])):
            if len(row) == 1:
                self.stdout.write(str(next(iter(row.values()))))
            else:
                self.stdout.write("  ".join(f"{k}={v}" for k, v in row.items() if v is not None))

    def _params(self, query: definition.RawQuery, given: list[str]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for item in given:
            name, sep, raw = item.partition("=")
            if not sep:
                raise CommandError(f"--param {item}: write it as NAME=VALUE")
            try:
                params[name] = query.param(name).parse(raw)
            except StopIteration:
                raise CommandError(f"{query.name} has no parameter {name}") from None
            except ValueError as exc:
                raise CommandError(f"--param {name}: {exc}") from None
        return params
