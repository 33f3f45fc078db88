/* Autopilot: Recent Pilots (/autopilot/pilots/) and one pilot
   (/autopilot/pilots/<harvesterid>/<workerid>/): Harvester workers, as in the old monitor's
   Autopilot tab. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  // A value of this list opens the list filtered by it.
  const filterLink = (ctx, key) => (row) => (row[key] === null || row[key] === undefined || row[key] === "" ? null : PJ.withParams(ctx.params, { [key]: row[key] }, "/autopilot/pilots/"));

  PJ.views.register("autopilot", {
    name: "pilots",
    title: "Recent Pilots",
    nav: true,
    isDefault: true,
    match: "pilots/",
    api: "/autopilot/pilots/",
    render(ctx) {
      PJ.filterBar(ctx, [
        { name: "computingsite", label: "queue", placeholder: "ANALY_*" },
        { name: "harvesterid", label: "harvester" },
        { name: "status", label: "status", placeholder: "running|idle" },
        { name: "pilotstatus", label: "pilot status" },
        { name: "resourcetype", label: "resource type" },
        { name: "submissionhost", label: "submission host" },
        { name: "errorcode", label: "error code", size: 6 },
        { name: "hours", label: "window", choices: PJ.windowChoices("12 hours") },
        { name: "limit", label: "rows", choices: [["", "100"], ["1000", "1000"], ["10000", "10000"]] },
      ]);
      ctx.load().then(function (body) {
        const rows = body.data || [];
        ctx.body.append(PJ.listSummary(ctx, body.meta, "pilots"));
        PJ.table(ctx.body, rows, [
          { key: "workerid", title: "Worker", type: "num", link: (r) => PJ.link.pilot(r.harvesterid, r.workerid) },
          { key: "harvesterid", title: "Harvester", link: filterLink(ctx, "harvesterid") },
          { key: "computingsite", title: "Queue", link: filterLink(ctx, "computingsite") },
          { key: "resourcetype", title: "Resource type", link: filterLink(ctx, "resourcetype") },
          { key: "jobtype", title: "Job type", link: filterLink(ctx, "jobtype") },
          { key: "submittime", title: "Submitted" },
          { key: "lastupdate", title: "Last update" },
          { key: "status", title: "Status", link: filterLink(ctx, "status"), cls: (r) => PJ.stateClass(r.status) },
          { key: "pilotstatus", title: "Pilot", link: filterLink(ctx, "pilotstatus") },
          { key: "njobs", title: "Jobs", type: "num" },
          { key: "errorcode", title: "Err", type: "num", link: filterLink(ctx, "errorcode"), cls: (r) => (r.errorcode ? "pj-bad" : "") },
          { key: "diagmessage", title: "Diagnostics", tooltip: (r) => r.diagmessage },
          { key: "batchid", title: "Batch id" },
          { key: "submissionhost", title: "Submission host", link: filterLink(ctx, "submissionhost") },
        ], { id: "pilots", order: [[6, "desc"]] });
      });
    },
  });

  PJ.views.register("autopilot", {
    name: "pilot",
    title: "Pilot",
    navParent: "pilots",
    match: /^pilots\/([^/]+)\/(\d+)\/$/,
    render(ctx) {
      const harvesterid = decodeURIComponent(ctx.args[0]);
      const workerid = ctx.args[1];
      ctx.title(`Pilot ${workerid} of ${harvesterid}`);
      ctx.load().then(function (body) {
        const worker = Object.assign({}, body.data || {});
        const jobs = worker.jobs || [];
        delete worker.jobs;
        const $links = PJ.el("p", { class: "pj-links" });
        if (!(worker.pandaids || []).length) $links.append(PJ.el("span", { class: "pj-muted" }, "ran no job"), " · ");
        if (worker.computingsite) {
          $links.append(PJ.el("a", { href: PJ.link.queue(worker.computingsite) }, `queue ${worker.computingsite}`), " · ");
          $links.append(PJ.el("a", { href: PJ.link.pilots({ computingsite: worker.computingsite }) }, "recent pilots of this queue"));
        }
        for (const [key, label] of [["stdout", "stdout"], ["stderr", "stderr"], ["batchlog", "batch log"]]) {
          if (/^https?:\/\//.test(worker[key] || "")) $links.append(" · ", PJ.el("a", { href: worker[key], rel: "noopener", target: "_blank" }, label));
        }
        ctx.body.append($links);
        const $cols = PJ.el("div", { class: "pj-columns" }).appendTo(ctx.body);
        $cols.append(PJ.el("div").append(PJ.heading("Worker"), PJ.keyValues(worker, {
          skip: ["pandaids_truncated"],
          link: (k, v) => (["computingsite", "harvesterid", "resourcetype", "jobtype"].includes(k) ? PJ.link.pilots({ [k]: v }) : null),
        })));
        if (jobs.length) {
          const $jobs = PJ.el("div").append(PJ.heading(worker.pandaids_truncated ? `Its first ${worker.pandaids.length} jobs` : "Its jobs")).appendTo($cols);
          PJ.table($jobs, jobs, [
            { key: "pandaid", title: "PandaID", type: "num", link: (r) => PJ.link.job(r.pandaid) },
            { key: "jobstatus", title: "Status", cls: (r) => PJ.stateClass(r.jobstatus) },
            { key: "jeditaskid", title: "Task", type: "num" },
            { key: "modificationtime", title: "Modified" },
            { key: "piloterrorcode", title: "Pilot err", type: "num" },
          ], { id: "pilot-jobs" });
        }
      });
    },
  });
});
