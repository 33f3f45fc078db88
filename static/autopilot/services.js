/* Autopilot: Harvester Services (/autopilot/services/): each Harvester instance's host,
   owner, version and heartbeat, a stale one (no heartbeat for too long) flagged in red,
   with its workers in the window. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.windowPage("autopilot", "services", "Harvester Services", "12 hours", function (ctx, body) {
    const dt = PJ.workerCountTable(ctx, body, {
      summary(rows) {
        const stale = rows.filter((r) => r.stale);
        return PJ.el("p", { class: stale.length ? "pj-bad" : "pj-good" },
          stale.length ? `${stale.length} of ${rows.length} Harvester instances are stale (no recent heartbeat).` : `All ${rows.length} Harvester instances sent a recent heartbeat.`);
      },
      id: "services",
      order: [[2, "desc"]],
      filtersOf: (r) => ({ harvesterid: r.harvester_id }),
      keyColumns: (hours) => [
        {
          key: "harvester_id",
          title: "harvester",
          link: (r) => PJ.link.pilots({ harvesterid: r.harvester_id, hours: hours }),
          cls: (r) => (r.stale ? "pj-bad" : ""),
          tooltip: (r) => r.description,
        },
        { key: "stale", title: "heartbeat", format: (v) => (v ? "STALE" : "ok"), cls: (r) => (r.stale ? "pj-bad" : "pj-good") },
        { key: "seconds_since_heartbeat", title: "last heartbeat", type: "num", format: (v) => (v === null || v === undefined ? "never" : `${PJ.fmt.duration(v)} ago`) },
        { key: "hostname", title: "host" },
        { key: "owner" },
        { key: "sw_version", title: "version" },
        { key: "starttime", title: "started" },
      ],
    });
    dt.rows().every(function () {
      if (this.data().stale) $(this.node()).addClass("pj-stale");
    });
  });
});
