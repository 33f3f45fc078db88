"""/api/meta/queries/: the registry, for staff."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from rest_framework.request import Request

from pandjango.api import output, parameters, schemas
from pandjango.endpoints.meta import MetaView
from pandjango.rawsql.definition import KINDS, VENDORS
from pandjango.rawsql.registry import all_queries
from pandjango.rawsql.template import render_text

# ---------------------------------------------------------------------------- /api/meta/queries/


class Queries(MetaView):
    """The registry, for staff: every raw query with its parameters and vendors; with
    vendor=oracle (or another), each query's text as rendered with its example parameters."""

    summary = "The raw SQL registry: each heavy query's name, section, purpose, parameters and vendors (staff only)"
    staff_only = True
    spec = parameters.QuerySpec(
        extra={"vendor": forms.ChoiceField(choices=[("", ""), *((v, v) for v in VENDORS)], required=False)},
        extra_help={"vendor": f"one of {', '.join(VENDORS)}: include each query's text for it, with the example parameters"},
    )
    data_shape = schemas.rows({
        "name": schemas.text(),
        "section": schemas.text(),
        "purpose": schemas.text(),
        "params": schemas.rows({
            "name": schemas.text(),
            "type": schemas.one_of(list(KINDS)),
            "required": schemas.flag(),
            "help": schemas.text(),
            "choices": schemas.list_of(schemas.text(), allow_null=True),
        }),
        "returns": schemas.text(),
        "vendors": schemas.list_of(schemas.one_of(list(VENDORS))),
        "text": schemas.text("with vendor= only"),
    })

    def get(self, request: Request) -> HttpResponse:
        query = self.validated(request)

        @self.cached_answer(request, query)
        def answer() -> dict[str, Any]:
            vendor = query.extra["vendor"]
            data = []
            for raw in all_queries():
                entry = raw.describe()
                if vendor:
                    entry["text"] = render_text(raw, vendor, raw.prepare({}, examples=True))
                data.append(entry)
            return output.envelope(data, count=len(data))

        return answer
