"""The autopilot section's raw SQL (see pandjango/rawsql.py): the workers of the queues by
region, counted per queue and status in the window. queries.py imports this module and runs
it while the registry is on; its ORM path gives the same counts."""

from __future__ import annotations

from pandjango import rawsql

# The queues, when the request chose some (queries.queue_worker_counts).
QUEUE_FILTERS = {"computingsite": "str list"}


def _queue_pilot_counts_texts() -> dict[str, str]:
    """Workers whose LASTUPDATE is in the window, per COMPUTINGSITE and STATUS. LASTUPDATE is
    the partition key: on Oracle the hint keeps the read on its index inside the window's
    partitions, not on HARVESTER_WORKERS_COMPSITE_IDX across all of them."""
    texts = {}
    for vendor in rawsql.VENDORS:
        hint = "/*+ INDEX(w HARV_WORKERS_LASTUPD_IDX) */ " if vendor == "oracle" else ""
        texts[vendor] = f"""SELECT {hint}w.computingsite, w.status, COUNT(*) AS {rawsql.quoted(vendor, "count")}
FROM {{HARVESTER_WORKERS}} w
WHERE {rawsql.in_range(vendor, "w.lastupdate")}
{rawsql.in_filters("w", list(QUEUE_FILTERS), "  ")}
GROUP BY w.computingsite, w.status"""
    return texts


queue_pilot_counts = rawsql.register(rawsql.RawQuery(
    name="autopilot.queue_pilot_counts",
    section="autopilot",
    purpose="Workers in the window (by LASTUPDATE) counted per queue and status, for the queues by region (/api/autopilot/queues/)",
    params=(*rawsql.window_params("LASTUPDATE"), *rawsql.filter_params(QUEUE_FILTERS, "workers")),
    texts=_queue_pilot_counts_texts(),
    returns='[{"computingsite", "status", "count"}], biggest count first',
    finish=rawsql.by_count(["computingsite", "status"]),
))
