/* Sites: the clouds (/sites/clouds/), each with its queues by status and jobs by state. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.views.register("sites", {
    name: "clouds",
    title: "Clouds",
    nav: true,
    match: "clouds/",
    render(ctx) {
      PJ.filterBar(ctx, [{ name: "hours", label: "window", choices: PJ.windowChoices() }]);
      ctx.load().then(function (body) {
        const rows = PJ.flatRows(body.data).map(function (r) {
          ["description", "server", "tier1se", "modtime"].forEach((k) => delete r[k]);
          return r;
        });
        ctx.body.append(PJ.listSummary(ctx, $.extend({}, body.meta, { count: rows.length }), "clouds"));
        const cloudOf = (r) => r.name || r.cloud;
        const columns = PJ.autoColumns(rows, {
          name: { title: "cloud", link: (r) => PJ.link.sites({ cloud: cloudOf(r) }) },
          cloud: { link: (r) => PJ.link.sites({ cloud: cloudOf(r) }) },
          status: { cls: (r) => PJ.stateClass(r.status) },
        });
        columns.forEach(function (c) {
          const q = /^queues\.(.+)$/.exec(c.key);
          const j = /^jobs\.(.+)$/.exec(c.key);
          if (q) {
            c.link = (r) => (r[c.key] ? PJ.link.sites({ cloud: cloudOf(r), status: q[1] }) : null);
            c.cls = () => PJ.stateClass(q[1]);
          }
          if (j) {
            c.link = (r) => (r[c.key] ? PJ.link.jobs({ cloud: cloudOf(r), jobstatus: j[1], hours: ctx.params.hours }) : null);
            c.cls = () => PJ.stateClass(j[1]);
          }
        });
        PJ.table(ctx.body, rows, columns, { id: "clouds", order: [[0, "asc"]], pageLength: 50 });
      });
    },
  });
});
