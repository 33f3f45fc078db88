/* Autopilot: Pilot Types (/autopilot/pilottypes/): the window's workers by resource type
   and job type, with the resource type's core and memory bounds (RESOURCE_TYPES). */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.views.register("autopilot", {
    name: "pilottypes",
    title: "Pilot Types",
    nav: true,
    match: "pilottypes/",
    render(ctx) {
      PJ.filterBar(ctx, [{ name: "hours", label: "window", choices: PJ.windowChoices("12 hours") }]);
      ctx.load().then(function (body) {
        const rows = PJ.flatRows(body.data);
        const hours = ctx.params.hours;
        ctx.body.append(PJ.workerCountSummary(ctx, body.meta, rows.length, "pilot types"));
        // A null type is left out of the filter: Recent Pilots cannot ask for a null.
        const ofType = (r) => ({ resourcetype: r.resourcetype, jobtype: r.jobtype });
        const columns = [
          {
            key: "resourcetype",
            title: "resource type",
            link: (r) => (r.resourcetype ? PJ.link.pilots({ resourcetype: r.resourcetype, hours: hours }) : null),
            cls: (r) => (r.known_resourcetype ? "" : "pj-warn"),
            tooltip: (r) => (r.known_resourcetype ? "" : "not in RESOURCE_TYPES"),
          },
          { key: "jobtype", title: "job type", link: (r) => (r.jobtype ? PJ.link.pilots({ jobtype: r.jobtype, hours: hours }) : null) },
          { key: "mincore", title: "min cores", type: "num" },
          { key: "maxcore", title: "max cores", type: "num" },
          { key: "minrampercore", title: "min RAM/core (MB)", type: "num" },
          { key: "maxrampercore", title: "max RAM/core (MB)", type: "num" },
        ].concat(PJ.workerCountColumns(rows, { counts: "workers", label: "workers", filtersOf: ofType, hours: hours }));
        PJ.table(ctx.body, rows, columns, { id: "pilottypes", order: [[0, "asc"], [1, "asc"]], pageLength: 100 });
      });
    },
  });
});
