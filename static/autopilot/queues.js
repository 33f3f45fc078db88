/* Autopilot: Queues by Region (/autopilot/queues/): each queue's SCHEDINSTANCE counters and
   its pilots by state, grouped by cloud and region. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  // The API may group queues under their region ({cloud, region, queues: [...]}) or list
  // them flat; the table wants one row per queue either way, with pilot counts as columns.
  function flatten(data) {
    const rows = [];
    (Array.isArray(data) ? data : []).forEach(function (item) {
      if (Array.isArray(item.queues)) {
        item.queues.forEach((q) => rows.push($.extend({ cloud: item.cloud, region: item.region }, q)));
      } else {
        rows.push(item);
      }
    });
    return PJ.flatRows(rows);
  }

  PJ.views.register("autopilot", {
    name: "queues",
    title: "Queues by Region",
    nav: true,
    match: "queues/",
    render(ctx) {
      PJ.filterBar(ctx, [
        { name: "cloud", label: "cloud", size: 6 },
        { name: "region", label: "region" },
        { name: "nickname", label: "queue", placeholder: "ANALY_*" },
        { name: "hours", label: "window", choices: PJ.windowChoices() },
      ]);
      ctx.load().then(function (body) {
        const rows = flatten(body.data);
        ctx.body.append(PJ.listSummary(ctx, $.extend({}, body.meta, { count: rows.length }), "queues"));
        const filterLink = (key) => (r) => (r[key] ? PJ.withParams(ctx.params, { [key]: r[key] }) : null);
        const columns = [
          { key: "cloud", link: filterLink("cloud") },
          { key: "region", link: filterLink("region") },
          { key: "nickname", title: "queue", link: (r) => PJ.link.queue(r.nickname) },
          { key: "siteid", title: "site" },
          { key: "status", cls: (r) => PJ.stateClass(r.status) },
          { key: "nqueue", type: "num", help: "pilots to keep queued" },
          { key: "nqueued", type: "num" },
          { key: "nrunning", type: "num" },
          { key: "nfinished", type: "num" },
          { key: "nfailed", type: "num", cls: (r) => (r.nfailed ? "pj-bad" : "") },
        ].concat(PJ.pilotCountColumns(rows, (r) => ({ nickname: r.nickname }), ctx.params.hours));
        PJ.table(ctx.body, rows, columns, { id: "apqueues", order: [[0, "asc"], [1, "asc"], [2, "asc"]], pageLength: 100 });
      });
    },
  });
});
