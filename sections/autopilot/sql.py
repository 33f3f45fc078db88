"""The autopilot section's raw SQL (see pandjango/rawsql.py): the pilots of the queues by
region, counted per queue, state and status in the window. queries.py imports this module
and runs it where the queue filters are plain values; its ORM path answers the rest."""

from __future__ import annotations

from pandjango import rawsql

# The queues are chosen by their SCHEDCONFIG row (filtersets.QueueFilterSet).
QUEUE_FILTERS = dict.fromkeys(("cloud", "region", "nickname", "siteid", "tier", "status"), "str list")


def _queue_pilot_counts_texts() -> dict[str, str]:
    """Pilots whose TSTATE is in the window, of the queues SCHEDCONFIG holds (and that match
    the filters), as queries.pilot_counts_by("nickname", ...) counts them. The pilots are
    grouped first and the groups of other queues dropped after: driven from SCHEDCONFIG, a
    semi-join looks up every pilot of every queue through the NICKNAME index (over 30 s at
    a million pilots on MariaDB)."""
    texts = {}
    for vendor in rawsql.VENDORS:
        hint = "/*+ INDEX(p PILOTQUEUE_TSTATE_IDX) */ " if vendor == "oracle" else ""
        texts[vendor] = f"""SELECT g.nickname, g.state, g.status, g.n AS {rawsql.quoted(vendor, "count")}
FROM (
  SELECT {hint}p.nickname, p.state, p.status, COUNT(*) AS n
  FROM {{PILOTQUEUE}} p
  WHERE {rawsql.in_range(vendor, "p.tstate")}
  GROUP BY p.nickname, p.state, p.status
) g
WHERE g.nickname IN (
  SELECT s.nickname
  FROM {{SCHEDCONFIG}} s
  WHERE 1 = 1
{rawsql.in_filters("s", list(QUEUE_FILTERS), "    ")}
)"""
    return texts


queue_pilot_counts = rawsql.register(rawsql.RawQuery(
    name="autopilot.queue_pilot_counts",
    section="autopilot",
    purpose="Pilots in the window (by TSTATE) counted per queue, state and status, for the queues by region (/api/autopilot/queues/)",
    params=(*rawsql.window_params("TSTATE"), *rawsql.filter_params(QUEUE_FILTERS, "queues")),
    texts=_queue_pilot_counts_texts(),
    returns='[{"nickname", "state", "status", "count"}], biggest count first',
    finish=rawsql.by_count(["nickname", "state", "status"]),
))
