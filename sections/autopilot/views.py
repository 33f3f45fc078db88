from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.request import Request

from pandjango import api
from pandjango.columns import column_schemas
from pandjango.endpoints import SectionView, nullable, rows_of
from pandjango.pandadb.models import JobsActive4, PilotQueue, PilotType, ServiceList, SubmitHosts

from . import queries
from .filtersets import PilotFilterSet, QueueFilterSet, ServiceFilterSet

COUNTS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "integer"}}
PILOT_COUNTS: dict[str, Any] = {
    "type": "object",
    "description": "pilots whose TSTATE is in the window",
    "properties": {"total": {"type": "integer"}, "by_state": COUNTS, "by_status": COUNTS},
    "required": ["total", "by_state", "by_status"],
}
PILOT_PROPERTIES = column_schemas(PilotQueue, queries.PILOT_COLUMNS)
CONFIGURED: dict[str, Any] = {"type": "boolean", "description": "false: named by pilots but absent from the config table"}
WINDOW_HOURS = 12


def object_of(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An object whose properties are all always present."""
    return {"type": "object", "properties": properties, "required": list(properties), **extra}


class PilotList(SectionView):
    section = "autopilot"
    endpoint = "autopilot.pilots"
    path_template = "/api/autopilot/pilots/"
    summary = "Recent pilots (PILOTQUEUE), newest first"
    spec = api.QuerySpec(
        filterset=PilotFilterSet,
        default_hours=WINDOW_HOURS,
        is_list=True,
        sort_fields=queries.PILOT_COLUMNS,
        default_sort="-tstate",
        output_fields=queries.PILOT_COLUMNS,
        default_fields=queries.PILOT_LIST_FIELDS,
    )
    data_schema = rows_of(PILOT_PROPERTIES)

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        rows, truncated = queries.recent_pilots(query)
        return api.envelope(rows, window=query.window, limit=query.limit, count=len(rows), truncated=truncated)


class PilotDetail(SectionView):
    section = "autopilot"
    endpoint = "autopilot.pilot"
    path_template = "/api/autopilot/pilots/<tpid>/"
    summary = "One pilot, with the job it ran when there is one"
    path_params = {"tpid": "str"}
    not_found = True
    data_schema = {
        "type": "object",
        "properties": {
            **PILOT_PROPERTIES,
            "job": nullable(
                "object",
                description="the job the pilot ran (by PANDAID), from whichever job table holds it now",
                properties={**column_schemas(JobsActive4, queries.PILOT_JOB_FIELDS), "table": {"type": "string"}},
                required=[*queries.PILOT_JOB_FIELDS, "table"],
            ),
        },
        "required": [*queries.PILOT_COLUMNS, "job"],
    }

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        tpid = kwargs["tpid"]
        pilot = queries.pilot_detail(tpid)
        if pilot is None:
            raise api.not_found(f"no pilot with tpid {tpid!r}")
        return api.envelope(pilot)


class QueuesByRegion(SectionView):
    section = "autopilot"
    endpoint = "autopilot.queues"
    path_template = "/api/autopilot/queues/"
    summary = "Queues by cloud and region, with their SCHEDINSTANCE counters and their pilots in the window"
    spec = api.QuerySpec(filterset=QueueFilterSet, default_hours=WINDOW_HOURS)
    data_schema = {
        "type": "array",
        "items": object_of({
            "cloud": nullable("string"),
            "region": nullable("string"),
            "queues": {
                "type": "array",
                "items": object_of({
                    "nickname": {"type": "string"},
                    "siteid": nullable("string"),
                    "cloud": nullable("string"),
                    "region": nullable("string"),
                    "status": nullable("string"),
                    **{c: nullable("integer", description="SCHEDINSTANCE, summed over the queue's PanDA sites") for c in queries.SCHEDINSTANCE_COUNTERS},
                    "pilots": PILOT_COUNTS,
                }),
            },
        }),
    }

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        regions = queries.queues_by_region(query)
        return api.envelope(regions, window=query.window, count=len(regions))


def configured_with_pilots(model: type, columns: tuple[str, ...]) -> dict[str, Any]:
    """Rows of a config table (submit hosts, pilot types) with their pilots' counts."""
    return {
        "type": "array",
        "items": object_of({**column_schemas(model, columns), "configured": CONFIGURED, "pilots": PILOT_COUNTS}),
    }


class ConfiguredWithPilotsList(SectionView):
    """A config table's rows (submit hosts, pilot types) with their pilots' counts in the
    window; a subclass names the table and the query function."""

    section = "autopilot"
    spec = api.QuerySpec(default_hours=WINDOW_HOURS)
    rows_in: Any = None  # staticmethod: window -> rows

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        assert query.window is not None
        rows = self.rows_in(query.window)
        return api.envelope(rows, window=query.window, count=len(rows))


class SubmitHostList(ConfiguredWithPilotsList):
    endpoint = "autopilot.submithosts"
    path_template = "/api/autopilot/submithosts/"
    summary = "Submit hosts (SUBMITHOSTS) with their pilots' counts in the window"
    data_schema = configured_with_pilots(SubmitHosts, queries.SUBMITHOST_COLUMNS)
    rows_in = staticmethod(queries.submithosts)


class ServiceStatus(SectionView):
    section = "autopilot"
    endpoint = "autopilot.services"
    path_template = "/api/autopilot/services/"
    summary = "Scheduler services (SERVICELIST) with their status and time since their last heartbeat"
    spec = api.QuerySpec(filterset=ServiceFilterSet)
    data_schema = {
        "type": "array",
        "items": object_of({
            **column_schemas(ServiceList, queries.SERVICE_COLUMNS),
            "heartbeat": nullable("string", format="date-time", description="the newer of TCHECK and LASTMOD"),
            "seconds_since_heartbeat": nullable("integer"),
            "stale": {"type": "boolean", "description": "no heartbeat for more than limits.service_stale_seconds (or none at all)"},
        }),
    }

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        # Whole seconds: then stale is exactly seconds_since_heartbeat > the limit.
        now = timezone.now().replace(microsecond=0)
        rows = queries.services(query.q, now)
        return api.envelope(rows, count=len(rows))


class PilotTypeList(ConfiguredWithPilotsList):
    endpoint = "autopilot.pilottypes"
    path_template = "/api/autopilot/pilottypes/"
    summary = "Pilot types (PILOTTYPE) with their pilots' counts in the window"
    data_schema = configured_with_pilots(PilotType, queries.PILOTTYPE_COLUMNS)
    rows_in = staticmethod(queries.pilottypes)


class Overview(SectionView):
    section = "autopilot"
    endpoint = "autopilot.info"
    path_template = "/api/autopilot/info/"
    summary = "The autopilot at a glance: pilots, submit hosts, services, freshness"
    spec = api.QuerySpec(default_hours=WINDOW_HOURS)
    data_schema = object_of({
        "pilots": object_of({
            **PILOT_COUNTS["properties"],
            "no_jobs": {"type": "integer", "description": f'pilots that ended "{queries.NO_JOBS}"'},
        }),
        "submithosts": object_of({"active": {"type": "integer", "description": "submit hosts with pilots in the window"}}),
        "services": object_of({
            "total": {"type": "integer"},
            "up": {"type": "integer", "description": "services with a heartbeat within limits.service_stale_seconds"},
            "stale": {"type": "integer"},
        }),
        "newest_pilot_update": nullable("string", format="date-time", description="the newest TSTATE of any pilot"),
    })

    def get_data(self, request: Request, query: api.Query, **kwargs: Any) -> dict[str, Any]:
        assert query.window is not None
        now = timezone.now().replace(microsecond=0)
        return api.envelope(queries.overview(query.window, now), window=query.window)
