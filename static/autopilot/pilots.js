/* Autopilot: Recent Pilots (/autopilot/pilots/) and one pilot (/autopilot/pilots/<tpid>/),
   as in the old monitor's Autopilot tab. */
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
        { name: "nickname", label: "queue", placeholder: "ANALY_*" },
        { name: "queueid", label: "site" },
        { name: "state", label: "state", placeholder: "running|done" },
        { name: "status", label: "status", placeholder: "failed" },
        { name: "submithost", label: "submit host" },
        { name: "errcode", label: "error code", size: 6 },
        { name: "hours", label: "window", choices: PJ.windowChoices("12 hours") },
        { name: "limit", label: "rows", choices: [["", "100"], ["1000", "1000"], ["10000", "10000"]] },
      ]);
      ctx.load().then(function (body) {
        const rows = body.data || [];
        ctx.body.append(PJ.listSummary(ctx, body.meta, "pilots"));
        PJ.table(ctx.body, rows, [
          { key: "tpid", title: "ID", link: (r) => PJ.link.pilot(r.tpid) },
          { key: "type", title: "Type", link: filterLink(ctx, "type") },
          { key: "queueid", title: "Site", link: filterLink(ctx, "queueid") },
          { key: "nickname", title: "Queue", link: filterLink(ctx, "nickname") },
          { key: "tstart", title: "Tstart" },
          { key: "tstate", title: "Tstate" },
          { key: "status", title: "Status", link: filterLink(ctx, "status"), cls: (r) => PJ.stateClass(r.status) },
          { key: "state", title: "State", link: filterLink(ctx, "state"), cls: (r) => PJ.stateClass(r.state) },
          { key: "errcode", title: "Err", type: "num", link: filterLink(ctx, "errcode"), cls: (r) => (r.errcode ? "pj-bad" : "") },
          { key: "errinfo", title: "Err Info", tooltip: (r) => r.errinfo },
          { key: "pandaid", title: "PandaID", type: "num", link: (r) => (r.pandaid ? PJ.link.job(r.pandaid) : null) },
          { key: "submithost", title: "Submit host", link: filterLink(ctx, "submithost") },
        ], { id: "pilots", order: [[5, "desc"]] });
      });
    },
  });

  PJ.views.register("autopilot", {
    name: "pilot",
    title: "Pilot",
    navParent: "pilots",
    match: /^pilots\/([^/]+)\/$/,
    render(ctx) {
      const tpid = ctx.args[0];
      ctx.title(`Pilot ${tpid}`);
      ctx.load().then(function (body) {
        const pilot = body.data || {};
        const job = pilot.job || null;
        const $links = PJ.el("p", { class: "pj-links" });
        if (pilot.pandaid || (job && job.pandaid)) {
          $links.append(PJ.el("a", { href: PJ.link.job(pilot.pandaid || job.pandaid) }, `the job it ran: ${pilot.pandaid || job.pandaid}`), " · ");
        } else {
          $links.append(PJ.el("span", { class: "pj-muted" }, "ran no job"), " · ");
        }
        if (pilot.nickname) {
          $links.append(PJ.el("a", { href: PJ.link.queue(pilot.nickname) }, `queue ${pilot.nickname}`), " · ");
          $links.append(PJ.el("a", { href: PJ.link.pilots({ nickname: pilot.nickname }) }, "recent pilots of this queue"));
        }
        if (/^https?:\/\//.test(pilot.url || "")) $links.append(" · ", PJ.el("a", { href: pilot.url, rel: "noopener", target: "_blank" }, "pilot log"));
        ctx.body.append($links);
        const $cols = PJ.el("div", { class: "pj-columns" }).appendTo(ctx.body);
        $cols.append(PJ.el("div").append(PJ.heading("Pilot"), PJ.keyValues(pilot, {
          link: (k, v) => (k === "nickname" ? PJ.link.pilots({ nickname: v }) : k === "type" ? PJ.link.pilots({ type: v }) : null),
        })));
        if (job && typeof job === "object") {
          $cols.append(PJ.el("div").append(PJ.heading("Its job"), PJ.keyValues(job)));
        }
      });
    },
  });
});
