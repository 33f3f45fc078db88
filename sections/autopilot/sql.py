"""The autopilot section's raw SQL (see pandjango/rawsql/): the workers of the queues by
region, counted per queue and status in the window. queries.py imports this module and runs
it while the registry is on; its ORM path gives the same counts."""

from __future__ import annotations

from pandjango.rawsql import definition, jobsql, registry

# The queues, when the request chose some (queries.queue_worker_counts).
QUEUE_FILTERS = {"computingsite": "str list"}


def _queue_pilot_counts_texts() -> dict[str, str]:
    """Workers whose LASTUPDATE is in the window, per COMPUTINGSITE and STATUS. LASTUPDATE is
    the partition key: on Oracle the hint keeps the read on its index inside the window's
    partitions, not on HARVESTER_WORKERS_COMPSITE_IDX across all of them."""
    texts = {}
    for vendor in definition.VENDORS:
        hint = "/*+ INDEX(w HARV_WORKERS_LASTUPD_IDX) */ " if vendor == "oracle" else ""
        texts[vendor] = f"""SELECT {hint}w.computingsite, w.status, COUNT(*) AS {jobsql.quoted(vendor, "count")}
FROM {{HARVESTER_WORKERS}} w
WHERE {jobsql.in_range(vendor, "w.lastupdate")}
{jobsql.in_filters("w", list(QUEUE_FILTERS), "  ")}
GROUP BY w.computingsite, w.status"""
    return texts


queue_pilot_counts = registry.register(definition.RawQuery(
    name="autopilot.queue_pilot_counts",
    section="autopilot",
    purpose="Workers in the window (by LASTUPDATE) counted per queue and status, for the queues by region (/api/autopilot/queues/)",
    params=(*jobsql.window_params("LASTUPDATE"), *jobsql.filter_params(QUEUE_FILTERS, "workers")),
    texts=_queue_pilot_counts_texts(),
    returns='[{"computingsite", "status", "count"}], biggest count first',
    finish=jobsql.by_count(["computingsite", "status"]),
))
