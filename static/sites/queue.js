/* Sites: one queue (/sites/<nickname>/): its configuration, its jobs by state in the window
   and its most frequent errors, each leading to the matching jobs. */
$(function () {
  "use strict";
  const PJ = window.PJ;

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
        const data = body.data || {};
        // The configuration is the answer itself, or one object inside it.
        const queue = [data.config, data.schedconfig].find((x) => x && typeof x === "object") || data;
        const hours = ctx.params.hours;
        const $links = PJ.el("p").append(
          PJ.el("a", { href: PJ.link.jobs({ computingsite: nickname, hours: hours }) }, "its jobs"), " · ",
          PJ.el("a", { href: PJ.link.jobs({ computingsite: nickname, jobstatus: "failed", hours: hours }), class: "pj-bad" }, "its failed jobs"), " · ",
          PJ.el("a", { href: PJ.link.errors({ computingsite: nickname, hours: hours }) }, "its errors"), " · ",
          PJ.el("a", { href: PJ.link.pilots({ nickname: nickname }) }, "its recent pilots"));
        ctx.body.append($links);
        const jobs = data.jobs || data.job_counts || data.jobstatus || {};
        const counts = PJ.counts(jobs, "jobstatus");
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
        ctx.body.append($status);
        const $cols = PJ.el("div", { class: "pj-columns" }).appendTo(ctx.body);
        const $jobs = PJ.el("div").appendTo($cols);
        $jobs.append(PJ.heading("Jobs by state"));
        if (counts.length) {
          PJ.table($jobs, counts, [
            { key: "value", title: "state", link: (r) => PJ.link.jobs({ computingsite: nickname, jobstatus: r.value, hours: hours }), cls: (r) => PJ.stateClass(r.value) },
            { key: "count", title: "jobs", type: "num" },
          ], { id: "queue-jobs", order: [[1, "desc"]], pageLength: 25 });
        } else {
          $jobs.append(PJ.el("p", { class: "pj-muted" }, "No jobs in this window."));
        }
        const errors = data.errors || data.top_errors || [];
        const $errors = PJ.el("div").append(PJ.heading("Top errors")).appendTo($cols);
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
        ctx.body.append(PJ.heading("Configuration"), PJ.keyValues(queue, {
          skip: ["jobs", "errors"],
          link: (k, v) => (k === "cloud" ? PJ.link.sites({ cloud: v }) : k === "nickname" ? null : null),
        }));
      });
    },
  });
});
