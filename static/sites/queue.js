/* Sites: one queue (/sites/<nickname>/): its keys, its CEs and whole SCHEDCONFIG_JSON
   document, its finished and failed jobs per hour, its jobs by state, most frequent errors and Harvester workers by status in the
   window, each leading to the matching jobs or workers. */
$(function () {
  "use strict";
  const PJ = window.PJ;
  const LISTED_KEYS = [
    "nickname", "status", "state", "cloud", "region", "country", "tier", "atlas_site", "panda_site", "type",
    "resource_type", "capability", "workflow", "corecount", "corepower", "maxtime", "maxrss", "minrss", "memory",
    "harvester", "pilot_manager", "comment", "lastmod", "last_update",
  ];

  function statusLine(queue, counts) {
    const countOf = (state) => (counts.find((c) => c.value === state) || { count: 0 }).count;
    const $status = PJ.el("p", { class: "pj-queue-status" });
    if (queue.status) $status.append("Status: ", PJ.el("span", { class: PJ.stateClass(queue.status) }, queue.status), " · ");
    const finished = countOf("finished");
    const failed = countOf("failed");
    if (finished + failed) {
      const rate = failed / (finished + failed);
      $status.append(document.createTextNode(`${failed} failed and ${finished} finished jobs in the window: `),
        PJ.el("span", { class: rate >= 0.3 ? "pj-bad" : rate >= 0.1 ? "pj-warn" : "pj-good" }, `${PJ.fmt.percent(rate)} failed`));
    } else {
      $status.append("no finished or failed jobs in the window");
    }
    return $status;
  }

  function countsTable($into, id, counts, title, noun, link) {
    if (!counts.length) {
      $into.append(PJ.el("p", { class: "pj-muted" }, `No ${noun} in this window.`));
      return;
    }
    PJ.table($into, counts, [
      { key: "value", title: title, link: (r) => link(r.value), cls: (r) => PJ.stateClass(r.value) },
      { key: "count", title: noun, type: "num" },
    ], { id: id, order: [[1, "desc"]], pageLength: 25 });
  }

  // Its finished and failed jobs per time bin, when the stats section is open to this user.
  function endedPerHour(ctx, nickname, hours) {
    if (PJ.state.sections().indexOf("stats") < 0) return;
    const window = { computingsite: nickname, hours: hours || 12, bin: PJ.binFor(hours || 12) };
    const $slot = PJ.el("div", { class: "pj-plot-slot", "data-plot": "queue-ended" }).appendTo(ctx.body);
    PJ.plotSeries(ctx.api, $slot, [
      { name: "finished", params: $.extend({ metric: "jobs_finished" }, window) },
      { name: "failed", params: $.extend({ metric: "jobs_failed" }, window) },
    ], { title: `Finished and failed jobs per ${window.bin === "1d" ? "day" : "hour"}`, yLabel: "jobs", colours: ["#2ca02c", "#d62728"], height: 200 });
  }

  PJ.views.register("sites", {
    name: "queue",
    title: "Queue",
    navParent: "queues",
    match: /^(?!clouds\/$)([^/]+)\/$/,
    render(ctx) {
      const nickname = ctx.args[0];
      ctx.title(`Queue ${nickname}`);
      PJ.filterBar(ctx, [{ name: "hours", label: "window", choices: PJ.windowChoices() }]);
      ctx.load().then(function (body) {
        const queue = body.data || {};
        const hours = ctx.params.hours;
        ctx.body.append(PJ.el("p").append(
          PJ.el("a", { href: PJ.link.jobs({ computingsite: nickname, hours: hours }) }, "its jobs"), " · ",
          PJ.el("a", { href: PJ.link.jobs({ computingsite: nickname, jobstatus: "failed", hours: hours }), class: "pj-bad" }, "its failed jobs"), " · ",
          PJ.el("a", { href: PJ.link.errors({ computingsite: nickname, hours: hours }) }, "its errors"), " · ",
          PJ.el("a", { href: PJ.link.pilots({ computingsite: nickname, hours: hours }) }, "its recent pilots")));
        if (queue.document_error) {
          ctx.body.append(PJ.el("p", { class: "pj-warn pj-document-error" }, `Its SCHEDCONFIG_JSON document is unreadable: ${queue.document_error}`));
        }
        const jobs = PJ.counts(queue.jobs, "jobstatus");
        ctx.body.append(statusLine(queue, jobs));
        endedPerHour(ctx, nickname, hours);

        const $cols = PJ.el("div", { class: "pj-columns" }).appendTo(ctx.body);
        const $jobs = PJ.el("div").append(PJ.heading("Jobs by state")).appendTo($cols);
        countsTable($jobs, "queue-jobs", jobs, "state", "jobs",
          (state) => PJ.link.jobs({ computingsite: nickname, jobstatus: state, hours: hours }));
        const $workers = PJ.el("div").append(PJ.heading("Workers by status")).appendTo($cols);
        countsTable($workers, "queue-workers", PJ.counts(queue.workers, "status"), "status", "workers",
          (status) => PJ.link.pilots({ computingsite: nickname, status: status, hours: hours }));

        const errors = queue.errors || [];
        const $errors = PJ.el("div").append(PJ.heading("Top errors")).appendTo(ctx.body);
        if (errors.length) {
          PJ.table($errors, errors, [
            { key: "component" },
            {
              key: "code", type: "num", cls: () => "pj-bad",
              link: (r) => (PJ.errorColumn[r.component] ? PJ.link.jobs({ computingsite: nickname, jobstatus: "failed", [PJ.errorColumn[r.component]]: r.code, hours: hours }) : null),
            },
            { key: "description", title: "meaning", cls: () => "pj-wrap" },
            { key: "count", title: "failed jobs", type: "num" },
          ], { id: "queue-errors", order: [[3, "desc"]], pageLength: 10 });
        } else {
          $errors.append(PJ.el("p", { class: "pj-good" }, "No failed jobs in this window."));
        }

        const summary = {};
        LISTED_KEYS.forEach((k) => { if (queue[k] !== null && queue[k] !== undefined) summary[k] = queue[k]; });
        ctx.body.append(PJ.heading("Configuration"), PJ.keyValues(summary, {
          link: (k, v) => (["region", "tier", "status", "state", "type"].indexOf(k) >= 0 ? PJ.link.sites({ [k]: v }) : null),
        }));
        const doc = queue.document || {};
        const ces = Array.isArray(doc.queues) ? doc.queues.filter((ce) => ce && typeof ce === "object") : [];
        ctx.body.append(PJ.heading("Computing elements"));
        if (ces.length) {
          PJ.table(ctx.body, ces, PJ.autoColumns(ces, {
            ce_endpoint: { link: (r) => PJ.link.pilots({ computingsite: nickname, computingelement: r.ce_endpoint, hours: hours }) },
          }), { id: "queue-ces", order: [[0, "asc"]], pageLength: 25 });
        } else {
          ctx.body.append(PJ.el("p", { class: "pj-muted" }, "Its document lists no CEs."));
        }
        // Every key of the document, nested values as their JSON text.
        const keys = {};
        Object.keys(doc).sort().forEach((k) => { keys[k] = doc[k] !== null && typeof doc[k] === "object" ? JSON.stringify(doc[k]) : doc[k]; });
        ctx.body.append(PJ.heading("Document"), PJ.keyValues(keys));
      });
    },
  });
});
