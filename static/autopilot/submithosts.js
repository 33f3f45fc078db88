/* Autopilot: Submit Hosts (/autopilot/submithosts/): the hosts Harvester submitted the
   window's workers from (their SUBMISSIONHOST), with the workers' counts by status. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.windowPage("autopilot", "submithosts", "Submit Hosts", "12 hours", function (ctx, body) {
    PJ.workerCountTable(ctx, body, {
      noun: "submit hosts",
      id: "submithosts",
      order: [[0, "asc"]],
      filtersOf: (r) => ({ submissionhost: r.submissionhost }),
      keyColumns: (hours) => [
        {
          key: "submissionhost",
          title: "submission host",
          format: (v) => (v === null || v === undefined ? "(none)" : v),
          link: (r) => (r.submissionhost ? PJ.link.pilots({ submissionhost: r.submissionhost, hours: hours }) : null),
        },
      ],
    });
  });
});
