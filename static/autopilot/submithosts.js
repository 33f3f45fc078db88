/* Autopilot: Submit Hosts (/autopilot/submithosts/) with their pilots' counts. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.views.register("autopilot", {
    name: "submithosts",
    title: "Submit Hosts",
    nav: true,
    match: "submithosts/",
    render(ctx) {
      PJ.filterBar(ctx, [{ name: "hours", label: "window", choices: PJ.windowChoices() }]);
      ctx.load().then(function (body) {
        const rows = PJ.flatRows(body.data);
        ctx.body.append(PJ.listSummary(ctx, $.extend({}, body.meta, { count: rows.length }), "submit hosts"));
        const columns = [
          { key: "host", link: (r) => PJ.link.pilots({ submithost: r.host, hours: ctx.params.hours }) },
          { key: "name" },
          { key: "system" },
          { key: "configured", format: (v) => (v === false ? "not in SUBMITHOSTS" : "yes"), cls: (r) => (r.configured === false ? "pj-warn" : "") },
          { key: "runurl", title: "run URL" },
        ].concat(PJ.pilotCountColumns(rows, (r) => ({ submithost: r.host }), ctx.params.hours));
        PJ.table(ctx.body, rows, columns, { id: "submithosts", order: [[0, "asc"]], pageLength: 100 });
      });
    },
  });
});
