"""The PanDA filter syntax (a|b, !a, * wildcards): a request's value parsed once into a Filter,
which gives the ORM its Q, Python its test and the raw queries their IN lists; and the
django-filter filters and filtersets that declare an endpoint's filters."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q

# Bounds on one filter's value: each alternative and each * costs the database a comparison
# (SQLite refuses a LIKE pattern past a few thousand characters).
MAX_ALTERNATIVES = 100
MAX_WILDCARDS = 4
INTEGER = re.compile(r"-?[0-9]+")  # ASCII digits only: int() would take "١٢" too


def split_filter(raw: str, numeric: bool = False) -> tuple[bool, list[str]]:
    """`!a|b` -> (True, ["a", "b"]): whether the filter is negated, and its values, checked
    (a ValidationError says what is wrong)."""
    negate = raw.startswith("!")
    parts = (raw[1:] if negate else raw).split("|")
    if any(not p for p in parts):
        raise DjangoValidationError("empty value in a|b or !a")
    if len(parts) > MAX_ALTERNATIVES:
        raise DjangoValidationError(f"{len(parts)} values in a|b, more than {MAX_ALTERNATIVES}")
    if any(p.count("*") > MAX_WILDCARDS for p in parts):
        raise DjangoValidationError(f"a value holds more than {MAX_WILDCARDS} * wildcards")
    if numeric:
        for p in parts:
            if not INTEGER.fullmatch(p):
                raise DjangoValidationError(f"{p!r} is not an integer")
            if abs(int(p)) >= 2**63:  # no PanDA column holds it, and SQLite fails on it
                raise DjangoValidationError(f"{p!r} is out of range")
    return negate, parts


@dataclass(frozen=True)
class Filter:
    """One filter of a request, parsed: `column` is any of `values` (exact; integers on a
    numeric column) or matches any of `patterns` (with * wildcards); with `negate`, none of
    them. A value given empty filters nothing (`empty`)."""

    column: str
    negate: bool = False
    values: tuple[Any, ...] = ()
    patterns: tuple[str, ...] = ()

    @classmethod
    def parse(cls, column: str, raw: str, numeric: bool = False) -> Filter:
        if not raw:
            return cls(column)
        negate, parts = split_filter(raw, numeric)
        if numeric:  # no wildcard: split_filter took only integers
            return cls(column, negate, tuple(int(p) for p in parts))
        return cls(column, negate, tuple(p for p in parts if "*" not in p), tuple(p for p in parts if "*" in p))

    @property
    def empty(self) -> bool:
        return not self.values and not self.patterns

    def q(self) -> Q:
        """The ORM's condition: an IN list of the values, a wildcard_q per pattern."""
        q = Q()
        if self.values:
            q |= Q(**{f"{self.column}__in": list(self.values)})
        for pattern in self.patterns:
            q |= wildcard_q(self.column, pattern)
        return ~q if self.negate else q

    def matches(self, value: Any) -> bool:
        """Whether one value passes, as q() would select its row: for data filtered in Python
        (the queues' documents). None matches no value and no wildcard, so it passes every
        negated filter, as a NULL column does."""
        if self.empty:
            return True
        text = None if value is None else str(value)
        found = text is not None and (
            text in (str(v) for v in self.values) or any(wildcard_matches(p, text) for p in self.patterns)
        )
        return found != self.negate

    def __str__(self) -> str:
        """The filter in PanDA syntax again (a cache key's part)."""
        return ("!" if self.negate else "") + "|".join(map(str, (*self.values, *self.patterns)))


def all_of(filters: Iterable[Filter]) -> Q:
    q = Q()
    for flt in filters:
        q &= flt.q()
    return q


def wildcard_matches(pattern: str, text: str) -> bool:
    """wildcard_q in Python: the first fixed piece at the start, the last at the end, and
    each one between somewhere."""
    pieces = pattern.split("*")
    return text.startswith(pieces[0]) and text.endswith(pieces[-1]) and all(middle in text for middle in pieces[1:-1])


def wildcard_q(name: str, pattern: str) -> Q:
    """`ANALY_*` -> startswith (index-friendly); `*x*` -> contains; in general each fixed
    piece must appear, the first at the start and the last at the end."""
    pieces = pattern.split("*")
    q = Q()
    if pieces[0]:
        q &= Q(**{f"{name}__startswith": pieces[0]})
    if pieces[-1]:
        q &= Q(**{f"{name}__endswith": pieces[-1]})
    for middle in pieces[1:-1]:
        if middle:
            q &= Q(**{f"{name}__contains": middle})
    if len(pattern) - pattern.count("*") == 0:
        q &= Q(**{f"{name}__isnull": False})
    return q


# ---------------------------------------------------------------------------- declarations


class PandaFilter(django_filters.Filter):
    """A filter in PanDA syntax: `a`, `a|b` (any of), `!a` or `!a|b` (none of), and `*` as a
    wildcard on text fields (`ANALY_*`). Numbers take no wildcard."""

    field_class = forms.CharField

    def __init__(self, *args: Any, numeric: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "value, a|b (any of), !a (not)" + ("" if numeric else ", * wildcard"))
        super().__init__(*args, **kwargs)
        self.numeric = numeric

    def parse(self, raw: str) -> Filter:
        """The Filter of a value its form field has cleaned."""
        return Filter.parse(str(self.field_name), raw, self.numeric)

    def q(self, raw: str) -> Q:
        return self.parse(raw).q()

    def filter(self, qs: Any, value: Any) -> Any:
        if value in (None, ""):
            return qs
        return qs.filter(self.q(value))


class FilterField(forms.CharField):
    """A parameter in PanDA syntax outside a filterset (the stats pilot filters): its Filter
    on `column`, or None when it is not given or empty."""

    def __init__(self, column: str, numeric: bool = False, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.column, self.numeric = column, numeric

    def clean(self, value: Any) -> Filter | None:
        raw = super().clean(value)
        return Filter.parse(self.column, raw, self.numeric) if raw else None


class PandaFilterSet(django_filters.FilterSet):
    """Explicit PanDA-syntax filters; `parse()` gives the Filters of the given values, so the
    same filters apply to one table or to every job table, and to the raw queries."""

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> dict[str, Filter]:
        """Validates each given value with its filter's form field and parses it; a
        ValidationError names each wrong one. Builds no FilterSet instance: that deep-copies
        every declared filter and makes a form class, about 2 ms a request for the 42 job
        filters, most of a cache hit's cost."""
        parsed: dict[str, Filter] = {}
        errors: dict[str, str] = {}
        for name, flt in cls.base_filters.items():  # declaration order, as a form reports
            if name not in data:
                continue
            assert isinstance(flt, PandaFilter)
            try:
                parsed[name] = flt.parse(flt.field.clean(data[name]))
            except DjangoValidationError as exc:
                errors[name] = " ".join(exc.messages)
        if errors:
            raise DjangoValidationError(errors)
        return {name: parsed[name] for name in data if name in parsed}  # in the request's order


def filterset_for(
    model: type[Model], fields: Mapping[str, str], numeric: Iterable[str] = (), name: str = "FilterSet"
) -> type[PandaFilterSet]:
    """A FilterSet on `model` with one PandaFilter per parameter (param name -> field name);
    only these, never every column."""
    numeric = set(numeric)
    attrs: dict[str, Any] = {
        param: PandaFilter(field_name=column, numeric=param in numeric) for param, column in fields.items()
    }
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": []})
    return type(name, (PandaFilterSet,), attrs)
