/* Autopilot: Submit Hosts (/autopilot/submithosts/): the hosts Harvester submitted the
   window's workers from (their SUBMISSIONHOST), with the workers' counts by status. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.views.register("autopilot", {
    name: "submithosts",
    title: "Submit Hosts",
    nav: true,
    match: "submithosts/",
    render(ctx) {
      PJ.filterBar(ctx, [{ name: "hours", label: "window", choices: PJ.windowChoices("12 hours") }]);
      ctx.load().then(function (body) {
        const rows = PJ.flatRows(body.data);
        const hours = ctx.params.hours;
        ctx.body.append(PJ.workerCountSummary(ctx, body.meta, rows.length, "submit hosts"));
        const ofHost = (r) => ({ submissionhost: r.submissionhost });
        const columns = [
          {
            key: "submissionhost",
            title: "submission host",
            format: (v) => (v === null || v === undefined ? "(none)" : v),
            link: (r) => (r.submissionhost ? PJ.link.pilots({ submissionhost: r.submissionhost, hours: hours }) : null),
          },
        ].concat(PJ.workerCountColumns(rows, { counts: "workers", label: "workers", filtersOf: ofHost, hours: hours }));
        PJ.table(ctx.body, rows, columns, { id: "submithosts", order: [[0, "asc"]], pageLength: 100 });
      });
    },
  });
});
