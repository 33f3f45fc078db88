/* Sites: the clouds (/sites/clouds/) the queues and jobs name, each with its queues by status
   and its jobs by state in the window: one column per status, the most frequent first. */
$(function () {
  "use strict";
  const PJ = window.PJ;
  const NO_CLOUD = "(none)";

  // The keys of rows[i][field] over all rows, the largest total first.
  function keysByTotal(rows, field) {
    const totals = {};
    rows.forEach((r) => Object.keys(r[field] || {}).forEach((k) => { totals[k] = (totals[k] || 0) + r[field][k]; }));
    return Object.keys(totals).sort((a, b) => totals[b] - totals[a]);
  }

  PJ.windowPage("sites", "clouds", "Clouds", null, function (ctx, body) {
    const rows = Array.isArray(body.data) ? body.data : [];
    ctx.body.append(PJ.listSummary(ctx, $.extend({}, body.meta, { count: rows.length }), "clouds"));
    const countOf = (field, key) => (r) => (r[field] || {})[key] || 0;
    const columns = [{ key: "cloud", format: (v) => (v === null ? NO_CLOUD : v), link: (r) => (r.cloud ? PJ.link.sites({ cloud: r.cloud }) : null) }];
    keysByTotal(rows, "queues").forEach((status) => columns.push({
      key: `queues.${status}`, title: `queues: ${status}`, type: "num", value: countOf("queues", status), cls: () => PJ.stateClass(status),
      // A queue whose document names no status counts under "null": no filter reaches it.
      link: (r) => (countOf("queues", status)(r) && r.cloud && status !== "null" ? PJ.link.sites({ cloud: r.cloud, status: status }) : null),
    }));
    keysByTotal(rows, "jobs").forEach((jobstatus) => columns.push({
      key: `jobs.${jobstatus}`, title: `jobs: ${jobstatus}`, type: "num", value: countOf("jobs", jobstatus), cls: () => PJ.stateClass(jobstatus),
      link: (r) => (countOf("jobs", jobstatus)(r) && r.cloud ? PJ.link.jobs({ cloud: r.cloud, jobstatus: jobstatus, hours: ctx.params.hours }) : null),
    }));
    PJ.table(ctx.body, rows, columns, { id: "clouds", order: [[0, "asc"]], pageLength: 50 });
  });
});
