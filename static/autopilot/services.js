/* Autopilot: Scheduler Services (/autopilot/services/): heartbeats of the pilot schedulers;
   a stale one (no heartbeat for too long) is flagged in red. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  const isStale = (r) => r.stale === true || String(r.status || "").toLowerCase() === "stale";

  PJ.views.register("autopilot", {
    name: "services",
    title: "Scheduler Services",
    nav: true,
    match: "services/",
    render(ctx) {
      ctx.load().then(function (body) {
        const rows = PJ.flatRows(body.data);
        const stale = rows.filter(isStale);
        ctx.body.append(PJ.el("p", { class: stale.length ? "pj-bad" : "pj-good" },
          stale.length ? `${stale.length} of ${rows.length} services are stale (no recent heartbeat).` : `All ${rows.length} services sent a recent heartbeat.`));
        const columns = [
          { key: "name", cls: (r) => (isStale(r) ? "pj-bad" : "") },
          { key: "stale", title: "heartbeat", format: (v, r) => (isStale(r) ? "STALE" : "ok"), cls: (r) => (isStale(r) ? "pj-bad" : "pj-good") },
          { key: "seconds_since_heartbeat", title: "last heartbeat", type: "num", format: (v) => (v === null || v === undefined ? "" : `${PJ.fmt.duration(v)} ago`) },
          { key: "cyclesec", title: "cycle", type: "num", format: (v) => PJ.fmt.duration(v) },
          { key: "host" },
          { key: "type" },
          { key: "status", cls: (r) => PJ.stateClass(r.status) },
          { key: "response" },
          { key: "tstart", title: "started" },
          { key: "pid", type: "num" },
          { key: "message", tooltip: (r) => r.message },
        ];
        const dt = PJ.table(ctx.body, rows, columns, { id: "services", order: [[2, "desc"]], pageLength: 100 });
        dt.rows().every(function () {
          if (isStale(this.data())) $(this.node()).addClass("pj-stale");
        });
      });
    },
  });
});
