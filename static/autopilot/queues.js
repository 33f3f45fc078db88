/* Autopilot: Queues by Region (/autopilot/queues/): each queue's Harvester workers now (as
   the instances last reported them) and in the window, by status, grouped by cloud and
   region. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  // One row per queue, its cloud and region first, its counts flattened into columns
  // ("workers.by_status.running").
  const queueRows = (regions) => PJ.flatRows([].concat(...(regions || []).map((region) => region.queues || [])));

  PJ.views.page("autopilot", "queues", "Queues by Region", function (ctx) {
    PJ.filterBar(ctx, [
      { name: "cloud", label: "cloud", size: 6 },
      { name: "region", label: "region" },
      { name: "nickname", label: "queue", placeholder: "ANALY_*" },
      { name: "hours", label: "window", choices: PJ.windowChoices("12 hours") },
    ]);
    ctx.load().then(function (body) {
      const rows = queueRows(body.data);
      const hours = ctx.params.hours;
      ctx.body.append(PJ.workerCountSummary(ctx, body.meta, rows.length, "queues"));
      const filterLink = (key) => (r) => (r[key] ? PJ.withParams(ctx.params, { [key]: r[key] }) : null);
      const ofQueue = (r) => ({ computingsite: r.nickname });
      const columns = [
        { key: "cloud", link: filterLink("cloud") },
        { key: "region", link: filterLink("region") },
        { key: "nickname", title: "queue", link: (r) => PJ.link.queue(r.nickname) },
        { key: "status", cls: (r) => PJ.stateClass(r.status) },
        { key: "harvester", link: (r) => (r.harvester ? PJ.link.pilots({ harvesterid: r.harvester, computingsite: r.nickname }) : null) },
      ].concat(
        PJ.workerCountColumns(rows, { counts: "workers_now", label: "now", prefix: "now", filtersOf: ofQueue, help: "workers now, as the Harvester instances last reported them" }),
        PJ.workerCountColumns(rows, { counts: "workers", label: "workers", filtersOf: ofQueue, hours: hours, help: "workers updated in the window" })
      );
      PJ.table(ctx.body, rows, columns, { id: "queues", order: [[0, "asc"], [1, "asc"], [2, "asc"]], pageLength: 100 });
    });
  });
});
