"""A raw query's declaration: its parameters, their kinds, and its text per vendor."""


from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

VENDORS = ("oracle", "mysql", "postgresql", "sqlite")

# Parameter kinds. Bound: the value goes to the driver. Shape: the value picks text from a
# whitelist (columns, job tables) and is never bound.
LIST_KINDS = ("str list", "int list")
BOUND_KINDS = ("datetime", "int", "str", "choice", *LIST_KINDS)
SHAPE_KINDS = ("column", "columns", "tables")
KINDS = (*BOUND_KINDS, *SHAPE_KINDS)
# Oracle takes at most 1000 expressions in an IN list (ORA-01795).
MAX_LIST_ITEMS = 1000


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    help: str
    required: bool = False
    # column/columns: the allowed columns (name -> column); choice: name -> bound value;
    # tables: job table short name -> table.
    choices: Mapping[str, Any] = field(default_factory=dict)
    example: Any = None  # what `rawsql show` and `explain` use; a callable gets the values so far
    default: Any = None  # used when the caller gives nothing; a callable gets the values so far
    narrow: Any = None  # a callable (value, values so far) -> value, applied to what is given or defaulted

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name}: kind must be one of {', '.join(KINDS)}")
        if self.kind in (*SHAPE_KINDS, "choice") and not self.choices:
            raise ValueError(f"parameter {self.name}: a {self.kind} parameter needs its choices")

    def check(self, value: Any) -> Any:
        """The value, validated and normalised (lists as lists); ValueError when wrong."""
        if self.kind in (*LIST_KINDS, "columns", "tables"):
            items = [value] if isinstance(value, (str, int)) else list(value)
            if len(items) > MAX_LIST_ITEMS:
                raise ValueError(f"{self.name}: {len(items)} values, more than {MAX_LIST_ITEMS}")
            return [self._item(v) for v in items]
        return self._item(value)

    def _item(self, value: Any) -> Any:
        kind = self.kind
        if kind in ("int", "int list") and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{self.name}: {value!r} is not an integer")
        if kind in ("str", "str list") and not isinstance(value, str):
            raise ValueError(f"{self.name}: {value!r} is not a string")
        if kind == "datetime" and not (isinstance(value, datetime) and timezone.is_aware(value)):
            raise ValueError(f"{self.name}: {value!r} is not an aware datetime")
        if kind in ("choice", *SHAPE_KINDS) and value not in self.choices:
            raise ValueError(f"{self.name}: {value!r} is not one of {', '.join(self.choices)}")
        return value

    def parse(self, raw: str) -> Any:
        """A value from the command line: ISO times, integers, comma-separated lists."""
        if self.kind == "datetime":
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if self.kind == "int":
            return int(raw)
        if self.kind == "int list":
            return [int(v) for v in raw.split(",") if v]
        if self.kind in ("str list", "columns", "tables"):
            return [v for v in raw.split(",") if v]
        return raw

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind,
            "required": self.required,
            "help": self.help,
            "choices": list(self.choices) if self.choices else None,
        }


Hint = Callable[[str, Mapping[str, Any]], str]
Finish = Callable[[list[dict[str, Any]], Mapping[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class RawQuery:
    name: str  # "<section>.<what>"
    section: str
    purpose: str  # one line
    params: tuple[Param, ...]
    texts: Mapping[str, str]  # vendor -> template
    returns: str  # the keys of each row, for the listing and the sections
    hint: Hint | None = None  # (job table, shape) -> Oracle hint, for {hint} in a union
    hints: Mapping[str, Hint] = field(default_factory=dict)  # vendor -> its {hint}, in place of `hint`
    finish: Finish | None = None  # rows -> rows (decoding, ordering), same shape as the ORM's

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def prepare(self, given: Mapping[str, Any], examples: bool = False) -> dict[str, Any]:
        """Validated values of every parameter, defaults applied (None: not given)."""
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise TypeError(f"{self.name}: unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for p in self.params:
            value = given.get(p.name)
            for fallback in (p.example if examples else None, p.default):
                if _absent(value) and fallback is not None:
                    value = fallback(values) if callable(fallback) else fallback
            if _absent(value):
                if p.required:
                    raise TypeError(f"{self.name}: parameter {p.name} is required")
                values[p.name] = None
            else:
                values[p.name] = p.check(value)
                if p.narrow is not None:
                    values[p.name] = p.narrow(values[p.name], values)
        return values

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "section": self.section,
            "purpose": self.purpose,
            "params": [p.describe() for p in self.params],
            "returns": self.returns,
            "vendors": [v for v in VENDORS if v in self.texts],
        }


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, (list, tuple, set, frozenset)) and not value)

