/* Production: JEDI tasks (/production/tasks/) and one task (/production/tasks/<jeditaskid>/)
   with its progress over time, its datasets and its jobs by state. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.views.page("production", "tasks", "Tasks", function (ctx) {
    const filterLink = (key) => (row) => (row[key] ? PJ.withParams(ctx.params, { [key]: row[key] }) : null);
    PJ.filterBar(ctx, [
      { name: "status", label: "status", placeholder: "running|failed" },
      { name: "username", label: "user" },
      { name: "taskname", label: "name", placeholder: "mc23_*", size: 20 },
      { name: "tasktype", label: "type", size: 8 },
      { name: "campaign", label: "campaign", size: 10 },
      { name: "days", label: "window", choices: [["", "7 days"], ["1", "1 day"], ["3", "3 days"], ["14", "14 days"], ["30", "30 days"]] },
      { name: "limit", label: "rows", choices: [["", "100"], ["1000", "1000"], ["10000", "10000"]] },
    ]);
    ctx.load().then(function (body) {
      const rows = body.data || [];
      ctx.body.append(PJ.listSummary(ctx, body.meta, "tasks"));
      const preferred = ["jeditaskid", "taskname", "status", "username", "tasktype", "campaign", "creationdate", "modificationtime", "progress", "failurerate"];
      const columns = PJ.autoColumns(rows, {
        jeditaskid: { title: "task", link: (r) => PJ.link.task(r.jeditaskid) },
        status: { link: filterLink("status"), cls: (r) => PJ.stateClass(r.status) },
        username: { title: "user", link: filterLink("username") },
        tasktype: { link: filterLink("tasktype") },
        campaign: { link: filterLink("campaign") },
        failurerate: { cls: (r) => (r.failurerate > 20 ? "pj-bad" : "") },
        errordialog: { tooltip: (r) => r.errordialog },
      }).sort((a, b) => {
        const ia = preferred.indexOf(a.key);
        const ib = preferred.indexOf(b.key);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
      });
      const modified = columns.findIndex((c) => c.key === "modificationtime");
      PJ.table(ctx.body, rows, columns, { id: "tasks", order: modified >= 0 ? [[modified, "desc"]] : [] });
    });
  });

  const MAX_HOURS = 30 * 24;

  // Its progress: its jobs finished and failed so far, by their end times, from its creation
  // to its end (or now; at most the last 30 days), when the stats section is open to this user.
  function progressPlot(ctx, jeditaskid, task) {
    if (PJ.state.sections().indexOf("stats") < 0 || !task.creationdate) return;
    const end = Math.min(Date.now(), task.endtime ? Date.parse(task.endtime) + 3600000 : Infinity);
    const hours = Math.min(MAX_HOURS, Math.max(1, Math.ceil((end - Date.parse(task.creationdate)) / 3600000)));
    const window = { jeditaskid: jeditaskid, date_from: new Date(end - hours * 3600000).toISOString().replace(/\.\d+Z$/, "Z"),
      date_to: new Date(end).toISOString().replace(/\.\d+Z$/, "Z"), bin: PJ.binFor(hours) };
    const $slot = PJ.el("div", { class: "pj-plot-slot", "data-plot": "task-progress" }).appendTo(ctx.body);
    PJ.plotSeries(ctx.api, $slot, [
      { name: "finished", params: $.extend({ metric: "jobs_finished" }, window) },
      { name: "failed", params: $.extend({ metric: "jobs_failed" }, window) },
    ], { title: "Progress: its jobs finished and failed so far", yLabel: "jobs", colours: ["#2ca02c", "#d62728"], height: 200, cumulative: true });
  }

  PJ.views.item("production", "task", "Task", "tasks", function (ctx, jeditaskid) {
    ctx.load().then(function (body) {
      const data = body.data || {};
      const task = data.task || data;
      ctx.body.append(PJ.el("p").append(PJ.el("a", { href: PJ.link.jobs({ jeditaskid: jeditaskid }) }, "all jobs of this task"),
        " · ", PJ.el("a", { href: PJ.link.jobs({ jeditaskid: jeditaskid, jobstatus: "failed" }) }, "its failed jobs")));
      progressPlot(ctx, jeditaskid, task);
      const jobs = data.jobs || data.job_counts || data.jobstatus || null;
      if (jobs) {
        ctx.body.append(PJ.heading("Jobs by state"),
          PJ.countLine("States", PJ.counts(jobs, "jobstatus"), (v) => PJ.link.jobs({ jeditaskid: jeditaskid, jobstatus: v })));
      }
      if (Array.isArray(data.datasets)) {
        ctx.body.append(PJ.heading(`Datasets (${data.datasets.length})`));
        PJ.table(ctx.body, data.datasets, PJ.autoColumns(data.datasets), { id: "datasets", pageLength: 25 });
      }
      ctx.body.append(PJ.heading("Task"), PJ.keyValues(task, {
        skip: ["datasets", "jobs"],
        link: (k, v) => (k === "status" ? PJ.link.tasks({ status: v }) : k === "username" ? PJ.link.tasks({ username: v }) : null),
      }));
    });
  });
});
