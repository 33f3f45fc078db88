/* Stats: per-queue efficiency (/stats/sites/): finished, failed, finished / (finished +
   failed), mean wall and CPU time. The least efficient queues come first. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.views.page("stats", "sites", "Queue efficiency", function (ctx) {
    PJ.filterBar(ctx, [
      { name: "cloud", label: "cloud", size: 5 },
      { name: "computingsite", label: "queue", placeholder: "ANALY_*" },
      { name: "hours", label: "window", choices: PJ.windowChoices() },
    ]);
    // Every queue fits in one answer: ask for them all unless the URL says otherwise.
    ctx.load($.extend({ limit: 1000 }, ctx.params)).then(function (body) {
      const rows = PJ.flatRows(body.data);
      const queueKey = rows.length && rows[0].nickname !== undefined ? "nickname" : "computingsite";
      const hours = ctx.params.hours;
      ctx.body.append(PJ.listSummary(ctx, $.extend({}, body.meta, { count: rows.length }), "queues"));
      const columns = PJ.autoColumns(rows, {
        [queueKey]: { title: "queue", link: (r) => PJ.link.queue(r[queueKey]) },
        finished: { type: "num", link: (r) => (r.finished ? PJ.link.jobs({ computingsite: r[queueKey], jobstatus: "finished", hours: hours }) : null) },
        failed: { type: "num", cls: (r) => (r.failed ? "pj-bad" : ""), link: (r) => (r.failed ? PJ.link.jobs({ computingsite: r[queueKey], jobstatus: "failed", hours: hours }) : null) },
        efficiency: {
          type: "num", format: (v) => PJ.fmt.percent(v),
          cls: (r) => (r.efficiency === null ? "" : r.efficiency < 0.7 ? "pj-bad" : r.efficiency < 0.9 ? "pj-warn" : "pj-good"),
        },
      });
      columns.forEach(function (c) {
        if (/wall|cpu/.test(c.key)) c.format = (v) => PJ.fmt.duration(v);
      });
      const eff = columns.findIndex((c) => c.key === "efficiency");
      PJ.table(ctx.body, rows, columns, { id: "sites", order: eff >= 0 ? [[eff, "asc"]] : [], pageLength: 50 });
    });
  });
});
