/* Autopilot: Pilot Types (/autopilot/pilottypes/): the window's workers by resource type
   and job type, with the resource type's core and memory bounds (RESOURCE_TYPES). */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.windowPage("autopilot", "pilottypes", "Pilot Types", "12 hours", function (ctx, body) {
    PJ.workerCountTable(ctx, body, {
      noun: "pilot types",
      id: "pilottypes",
      order: [[0, "asc"], [1, "asc"]],
      // A null type is left out of the filter: Recent Pilots cannot ask for a null.
      filtersOf: (r) => ({ resourcetype: r.resourcetype, jobtype: r.jobtype }),
      keyColumns: (hours) => [
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
      ],
    });
  });
});
