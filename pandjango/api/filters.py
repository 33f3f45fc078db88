"""The PanDA filter syntax (a|b, !a, * wildcards) as django-filter filters and filtersets."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q

# ---------------------------------------------------------------------------- filters


class PandaFilter(django_filters.Filter):
    """A filter in PanDA syntax: `a`, `a|b` (any of), `!a` or `!a|b` (none of), and `*` as a
    wildcard on text fields (`ANALY_*`). Numbers take no wildcard."""

    field_class = forms.CharField

    def __init__(self, *args: Any, numeric: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "value, a|b (any of), !a (not)" + ("" if numeric else ", * wildcard"))
        super().__init__(*args, **kwargs)
        self.numeric = numeric

    def translate(self, value: str) -> str:
        """Hook for filters whose values stand for column values (jobtype)."""
        return value

    def values(self, raw: str) -> tuple[bool, list[str]]:
        return split_filter(raw, self.numeric)

    def q(self, raw: str) -> Q:
        negate, parts = self.values(raw)
        name = str(self.field_name)
        exact = [self.translate(p) for p in parts if "*" not in p]
        q = Q()
        if exact:
            q |= Q(**{f"{name}__in": [int(v) for v in exact] if self.numeric else exact})
        for pattern in (p for p in parts if "*" in p):
            q |= wildcard_q(name, pattern)
        return ~q if negate else q

    def filter(self, qs: Any, value: Any) -> Any:
        if value in (None, ""):
            return qs
        return qs.filter(self.q(value))


# Bounds on one filter's value: each alternative and each * costs the database a comparison
# (SQLite refuses a LIKE pattern past a few thousand characters).
MAX_ALTERNATIVES = 100
MAX_WILDCARDS = 4
INTEGER = re.compile(r"-?[0-9]+")  # ASCII digits only: int() would take "١٢" too


def split_filter(raw: str, numeric: bool = False) -> tuple[bool, list[str]]:
    """`!a|b` -> (True, ["a", "b"]): whether the filter is negated, and its values."""
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


def value_matches(raw: str, value: Any) -> bool:
    """Whether one text value passes a PanDA-syntax filter, as PandaFilter.q would select its
    row: for data filtered in Python (the queues' documents). None matches no value and no
    wildcard, so it passes every negated filter, as a NULL column does."""
    negate, parts = split_filter(raw)
    text = None if value is None else str(value)
    found = text is not None and any(wildcard_matches(p, text) if "*" in p else text == p for p in parts)
    return found != negate


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


class PandaFilterSet(django_filters.FilterSet):
    """Explicit PanDA-syntax filters; `q_for()` gives one Q for the given values, so the
    same filters apply to one table or to every job table."""

    @classmethod
    def q_for(cls, data: Mapping[str, str]) -> Q:
        """Validates each given value with its filter's form field and combines them.
        Builds no FilterSet instance: that deep-copies every declared filter and makes a
        form class, about 2 ms a request for the 42 job filters, most of a cache hit's cost."""
        q = Q()
        errors: dict[str, str] = {}
        for name, flt in cls.base_filters.items():  # declaration order, as a form reports
            if name not in data:
                continue
            assert isinstance(flt, PandaFilter)
            try:
                value = flt.field.clean(data[name])
                if value not in (None, ""):
                    q &= flt.q(value)
            except DjangoValidationError as exc:
                errors[name] = " ".join(exc.messages)
        if errors:
            raise DjangoValidationError(errors)
        return q


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
