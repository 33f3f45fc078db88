/* Production: the errors summary (/production/errors/): failed jobs by error code, queue,
   user and task, and the top codes per hour. Each line opens the list of those failed jobs. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  const TOP_CODES = 5;

  // The most frequent codes' failed jobs per time bin, one line each, when the stats
  // section is open to this user.
  function topCodesPerHour(ctx, byCode) {
    const codes = byCode.filter((r) => PJ.errorColumn[r.component]).slice(0, TOP_CODES);
    if (!codes.length || PJ.state.sections().indexOf("stats") < 0) return;
    const hours = ctx.params.hours || 12;
    const bin = PJ.binFor(hours);
    const $slot = PJ.el("div", { class: "pj-plot-slot", "data-plot": "errors-top-codes" }).appendTo(ctx.body);
    PJ.plotSeries(ctx.api, $slot, codes.map((r) => ({
      name: `${r.component} ${r.code}`,
      params: $.extend({}, ctx.params, { metric: "jobs_failed", bin: bin, hours: hours, [PJ.errorColumn[r.component]]: r.code }),
    })), { title: `The top ${codes.length} error codes: failed jobs per ${bin === "1d" ? "day" : "hour"}`, yLabel: "failed jobs", height: 220 });
  }

  PJ.views.page("production", "errors", "Errors", function (ctx) {
    PJ.filterBar(ctx, [
      { name: "computingsite", label: "queue", placeholder: "ANALY_*" },
      { name: "produsername", label: "user" },
      { name: "cloud", label: "cloud", size: 5 },
      { name: "jobtype", label: "type", choices: [["", "any"], ["production", "production"], ["analysis", "analysis"], ["test", "test"], ["install", "install"]] },
      { name: "hours", label: "window", choices: PJ.windowChoices("12 hours") },
    ]);
    // The failed jobs of this selection, narrowed by one more filter.
    const failed = (extra) => PJ.link.jobs($.extend({}, ctx.params, { jobstatus: "failed" }, extra));
    ctx.load().then(function (body) {
      const data = body.data || {};
      const $cols = PJ.el("div", { class: "pj-columns" });
      topCodesPerHour(ctx, data.by_code || []);
      ctx.body.append(PJ.heading("By error code"));
      PJ.table(ctx.body, data.by_code || [], [
        { key: "component", link: (r) => null },
        { key: "code", type: "num", cls: () => "pj-bad", link: (r) => (PJ.errorColumn[r.component] ? failed({ [PJ.errorColumn[r.component]]: r.code }) : null) },
        { key: "description", title: "meaning", cls: () => "pj-wrap" },
        { key: "count", title: "failed jobs", type: "num" },
        { key: "example_pandaid", title: "example job", link: (r) => (r.example_pandaid ? PJ.link.job(r.example_pandaid) : null) },
      ], { id: "errors-code", order: [[3, "desc"]], pageLength: 25 });
      ctx.body.append($cols);
      [["by_site", "By queue", "computingsite"], ["by_user", "By user", "produsername"], ["by_task", "By task", "jeditaskid"]].forEach(function (g) {
        const rows = PJ.flatRows(data[g[0]] || []);
        const $box = PJ.el("div").append(PJ.heading(g[1])).appendTo($cols);
        const columns = PJ.autoColumns(rows, {
          [g[2]]: { link: (r) => failed({ [g[2]]: r[g[2]] }) },
          count: { title: "failed jobs", type: "num" },
        });
        const countIndex = columns.findIndex((c) => c.key === "count");
        PJ.table($box, rows, columns, { id: `errors-${g[0]}`, order: countIndex >= 0 ? [[countIndex, "desc"]] : [], pageLength: 10 });
      });
    });
  });
});
