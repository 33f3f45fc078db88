/* Autopilot: Pilot Types (/autopilot/pilottypes/) with their pilots' counts. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.views.register("autopilot", {
    name: "pilottypes",
    title: "Pilot Types",
    nav: true,
    match: "pilottypes/",
    render(ctx) {
      PJ.filterBar(ctx, [{ name: "hours", label: "window", choices: PJ.windowChoices() }]);
      ctx.load().then(function (body) {
        const rows = PJ.flatRows(body.data);
        ctx.body.append(PJ.listSummary(ctx, $.extend({}, body.meta, { count: rows.length }), "pilot types"));
        const columns = [
          { key: "name", title: "type", link: (r) => PJ.link.pilots({ type: r.name, hours: ctx.params.hours }) },
          { key: "script" },
          { key: "system" },
          { key: "url", title: "URL" },
        ].concat(PJ.pilotCountColumns(rows, (r) => ({ type: r.name }), ctx.params.hours));
        PJ.table(ctx.body, rows, columns, { id: "pilottypes", order: [[0, "asc"]], pageLength: 100 });
      });
    },
  });
});
