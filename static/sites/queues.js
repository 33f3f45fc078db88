/* Sites: the queues list (/sites/?cloud=DE): each queue's keys from its SCHEDCONFIG_JSON
   document, its status in colour and, when the production section is open to this user,
   its finished and failed jobs in the last hours, so the queues that fail stand out. */
$(function () {
  "use strict";
  const PJ = window.PJ;
  const JOB_WINDOW_HOURS = 12;

  // {nickname: {finished, failed, ...}} from the jobs summary grouped by queue and state.
  function jobCounts(rows) {
    const out = {};
    (rows || []).forEach(function (r) {
      const q = (out[r.computingsite] = out[r.computingsite] || {});
      q[r.jobstatus] = (q[r.jobstatus] || 0) + r.count;
    });
    return out;
  }

  function failRate(c) {
    const done = (c.finished || 0) + (c.failed || 0);
    return done ? (c.failed || 0) / done : null;
  }

  PJ.views.register("sites", {
    name: "queues",
    title: "Queues",
    nav: true,
    isDefault: true,
    match: "queues/",
    href: "/sites/",
    api: "/sites/",
    render(ctx) {
      PJ.filterBar(ctx, [
        { name: "cloud", label: "cloud", size: 5 },
        { name: "region", label: "region" },
        { name: "tier", label: "tier", size: 4 },
        { name: "status", label: "status", choices: [["", "any"], ["online", "online"], ["offline", "offline"], ["test", "test"], ["brokeroff", "brokeroff"], ["paused", "paused"]] },
        { name: "state", label: "state", size: 8, placeholder: "ACTIVE" },
        { name: "type", label: "type", choices: [["", "any"], ["production", "production"], ["analysis", "analysis"], ["unified", "unified"]] },
        { name: "nickname", label: "queue", placeholder: "ANALY_*" },
      ]);
      // All queues fit on one page of the API: ask for them all unless the URL says otherwise.
      const queues = ctx.load($.extend({ limit: 1000 }, ctx.params));
      const withJobs = PJ.state.sections().indexOf("production") >= 0;
      const summary = withJobs
        ? PJ.api.get("/production/jobs/summary/", { groupby: "computingsite,jobstatus", jobstatus: "finished|failed", hours: JOB_WINDOW_HOURS })
          .then((b) => jobCounts(b.data), () => null)
        : $.Deferred().resolve(null).promise();
      $.when(queues, summary).then(function (body, counts) {
        const rows = (body.data || []).map(function (q) {
          const c = (counts && counts[q.nickname]) || {};
          return $.extend({}, q, { finished: c.finished || 0, failed: c.failed || 0, failrate: failRate(c) });
        });
        ctx.body.append(PJ.listSummary(ctx, $.extend({}, body.meta, { window: null }), "queues"));
        if (counts) {
          ctx.body.append(PJ.el("p", { class: "pj-muted" }, `Finished and failed jobs of the last ${JOB_WINDOW_HOURS} hours; click a failed count for those jobs.`));
        }
        const filterLink = (key) => (r) => (r[key] ? PJ.withParams(ctx.params, { [key]: r[key] }) : null);
        const jobsLink = (r, state) => PJ.link.jobs({ computingsite: r.nickname, jobstatus: state, hours: JOB_WINDOW_HOURS });
        const columns = [
          {
            key: "nickname", title: "queue", link: (r) => PJ.link.queue(r.nickname),
            cls: (r) => (r.document_error ? "pj-warn" : ""), tooltip: (r) => r.document_error || "",
          },
          { key: "status", link: filterLink("status"), cls: (r) => PJ.stateClass(r.status) },
          { key: "state", link: filterLink("state"), cls: (r) => PJ.stateClass(r.state) },
          { key: "cloud", link: filterLink("cloud") },
          { key: "region", link: filterLink("region") },
          { key: "tier", link: filterLink("tier") },
          { key: "atlas_site", title: "site", link: filterLink("atlas_site") },
          { key: "type", link: filterLink("type") },
          { key: "corecount", title: "cores", type: "num" },
          { key: "maxtime", type: "num", format: (v) => PJ.fmt.duration(v) },
          { key: "harvester", link: (r) => (r.harvester ? PJ.link.pilots({ harvesterid: r.harvester, computingsite: r.nickname }) : null) },
        ];
        if (counts) {
          columns.push(
            { key: "finished", type: "num", link: (r) => (r.finished ? jobsLink(r, "finished") : null), cls: () => "pj-good" },
            { key: "failed", type: "num", link: (r) => (r.failed ? jobsLink(r, "failed") : null), cls: (r) => (r.failed ? "pj-bad" : "") },
            {
              key: "failrate", title: "failed %", type: "num", format: (v) => PJ.fmt.percent(v),
              cls: (r) => (r.failrate === null ? "" : r.failrate >= 0.3 ? "pj-bad" : r.failrate >= 0.1 ? "pj-warn" : "pj-good"),
            }
          );
        }
        columns.push({ key: "comment", tooltip: (r) => r.comment });
        const failrate = columns.findIndex((c) => c.key === "failrate");
        PJ.table(ctx.body, rows, columns, { id: "queues", order: failrate >= 0 ? [[failrate, "desc"]] : [[0, "asc"]], pageLength: 50 });
      });
    },
  });
});
