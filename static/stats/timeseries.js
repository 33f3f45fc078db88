/* Stats: time series (/stats/timeseries/?hours=48&bin=1h): finished and failed jobs and
   submitted pilots per time bin, one plot each. */
$(function () {
  "use strict";
  const PJ = window.PJ;
  const METRICS = [
    ["jobs_finished", "Finished jobs", ["#2ca02c"]],
    ["jobs_failed", "Failed jobs", ["#d62728"]],
    ["pilots_submitted", "Submitted pilots", ["#1f77b4"]],
  ];

  PJ.views.page("stats", "timeseries", "Time series", function (ctx) {
    PJ.filterBar(ctx, [
      { name: "bin", label: "bin", choices: [["", "default"], ["5m", "5 min"], ["15m", "15 min"], ["1h", "1 hour"], ["1d", "1 day"]] },
      { name: "groupby", label: "one line per", choices: [["", "nothing"], ["cloud", "cloud"], ["jobtype", "jobtype"], ["prodsourcelabel", "prodsourcelabel"]] },
      { name: "hours", label: "window", choices: PJ.windowChoices() },
    ]);
    const $plots = PJ.el("div", { class: "pj-plots" }).appendTo(ctx.body);
    METRICS.forEach(function (m) {
      const $slot = PJ.el("div", { class: "pj-plot-slot", "data-metric": m[0] }).appendTo($plots);
      ctx.api("/stats/timeseries/", $.extend({}, ctx.params, { metric: m[0] })).then(function (body) {
        const grouped = !!ctx.params.groupby;
        PJ.plot($slot, body.data, { title: m[1], yLabel: "per bin", colours: grouped ? null : m[2] });
      });
    });
  });
});
