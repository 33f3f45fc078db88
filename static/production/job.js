/* Production: one job (/production/jobs/<pandaid>/): its state, decoded errors, links to
   its pilot (the Harvester worker that ran it), task and queue, and every column. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  function errorsTable(job) {
    const errors = job.errors || [];
    if (!errors.length) return PJ.el("p", { class: "pj-good" }, "No error codes set.");
    const $t = PJ.el("table", { class: "pj-kv pj-errors" });
    $t.append(PJ.el("tr").append(["component", "code", "meaning", "diag"].map((h) => PJ.el("th", null, h))));
    errors.forEach(function (e) {
      const column = PJ.errorColumn[e.component];
      const href = column ? PJ.link.jobs({ [column]: e.code, computingsite: job.computingsite, jobstatus: "failed" }) : null;
      $t.append(PJ.el("tr").append(
        PJ.el("td", null, e.component),
        PJ.el("td", { class: "pj-bad" }).append(PJ.linkOrText(href, e.code)),
        PJ.el("td", null, e.description || ""),
        PJ.el("td", { class: "pj-diag" }, e.diag || "")
      ));
    });
    return $t;
  }

  PJ.views.item("production", "job", "Job", "jobs", function (ctx, pandaid) {
    ctx.load().then(function (body) {
      const job = body.data || {};
      const $head = PJ.el("p", { class: "pj-jobhead" });
      $head.append(PJ.el("span", { class: PJ.stateClass(job.jobstatus) }, job.jobstatus || ""));
      if (job.table) $head.append(PJ.el("span", { class: "pj-muted" }, ` (in ${job.table})`));
      const links = [];
      if (job.computingsite) links.push(PJ.el("a", { href: PJ.link.queue(job.computingsite) }, `queue ${job.computingsite}`));
      const worker = job.worker;
      if (worker) {
        const $pilot = PJ.el("a", { href: PJ.link.pilot(worker.harvesterid, worker.workerid), class: "pj-pilot-link" }, `pilot ${worker.workerid} of ${worker.harvesterid}`);
        links.push(worker.status ? $pilot.add(PJ.el("span", { class: PJ.stateClass(worker.status) }, ` (${worker.status})`)) : $pilot);
      }
      if (job.jeditaskid) links.push(PJ.el("a", { href: PJ.link.task(job.jeditaskid), class: "pj-task-link" }, `task ${job.jeditaskid}`));
      if (job.produsername) links.push(PJ.el("a", { href: PJ.link.jobs({ produsername: job.produsername }) }, `jobs of ${job.produsername}`));
      if (job.parentid) links.push(PJ.el("a", { href: PJ.link.job(job.parentid) }, `previous attempt ${job.parentid}`));
      links.forEach((l) => $head.append(" · ", l));
      ctx.body.append($head);
      ctx.body.append(PJ.heading("Errors"), errorsTable(job));
      ctx.body.append(PJ.heading("All fields"), PJ.keyValues(job, {
        skip: ["errors"],
        link: (k, v) => (k === "computingsite" ? PJ.link.jobs({ computingsite: v }) : null),
      }));
    });
  });
});
