/* Production: the jobs list (/production/jobs/?jobstatus=failed&computingsite=X) with its
   filter bar and the selection summary of the old monitor (states, users, sites...). Every
   value in it opens the list also filtered by that value. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  const FACET_LABELS = { jobstatus: "States", produsername: "Users", prodsourcelabel: "Job types", transformation: "Transformations", computingsite: "Sites" };
  const LIST_ONLY = ["limit", "sort", "fields", "table"];

  // The non-zero error codes of a job row, as "pilot 1099".
  function errorCodes(row) {
    return Object.keys(PJ.errorColumn)
      .filter((c) => row[PJ.errorColumn[c]])
      .map((c) => ({ component: c, column: PJ.errorColumn[c], code: row[PJ.errorColumn[c]] }));
  }
  PJ.jobErrorCodes = errorCodes;

  function facets(ctx) {
    const params = $.extend({}, ctx.params);
    LIST_ONLY.forEach((k) => delete params[k]);
    const $box = PJ.el("div", { class: "pj-facets" }).appendTo(ctx.body);
    ctx.api("/production/jobs/facets/", params).then(function (body) {
      const data = body.data || {};
      Object.keys(data).forEach(function (field) {
        const items = data[field] || [];
        $box.append(PJ.countLine(`${FACET_LABELS[field] || field} (${items.length})`, items,
          (v) => PJ.withParams(ctx.params, { [field]: v }), 20));
      });
    });
  }

  PJ.views.register("production", {
    name: "jobs",
    title: "Jobs",
    nav: true,
    isDefault: true,
    match: "jobs/",
    api: "/production/jobs/",
    render(ctx) {
      const p = ctx.params;
      const parts = ["jobstatus", "computingsite", "produsername", "jeditaskid"].filter((k) => p[k]).map((k) => `${k} ${p[k]}`);
      ctx.title(parts.length ? `Jobs: ${parts.join(", ")}` : "Jobs");
      PJ.filterBar(ctx, [
        { name: "jobstatus", label: "state", placeholder: "failed|holding" },
        { name: "computingsite", label: "queue", placeholder: "ANALY_*" },
        { name: "produsername", label: "user" },
        { name: "jeditaskid", label: "task", size: 9 },
        { name: "cloud", label: "cloud", size: 5 },
        { name: "jobtype", label: "type", choices: [["", "any"], ["production", "production"], ["analysis", "analysis"], ["test", "test"], ["install", "install"]] },
        { name: "hours", label: "window", choices: PJ.windowChoices("12 hours") },
        { name: "limit", label: "rows", choices: [["", "100"], ["1000", "1000"], ["10000", "10000"]] },
      ]);
      facets(ctx);
      const filterLink = (key) => (row) => (row[key] === null || row[key] === "" ? null : PJ.withParams(ctx.params, { [key]: row[key] }));
      ctx.load().then(function (body) {
        const rows = body.data || [];
        ctx.body.append(PJ.listSummary(ctx, body.meta, "jobs"));
        PJ.table(ctx.body, rows, [
          { key: "pandaid", title: "PandaID", type: "num", link: (r) => PJ.link.job(r.pandaid) },
          { key: "jobstatus", title: "state", link: filterLink("jobstatus"), cls: (r) => PJ.stateClass(r.jobstatus) },
          { key: "computingsite", title: "queue", link: filterLink("computingsite") },
          { key: "produsername", title: "user", link: filterLink("produsername") },
          { key: "jeditaskid", title: "task", type: "num", link: filterLink("jeditaskid") },
          { key: "prodsourcelabel", title: "label", link: filterLink("prodsourcelabel") },
          { key: "transformation", title: "transformation" },
          { key: "creationtime", title: "created" },
          { key: "modificationtime", title: "modified" },
          { key: "attemptnr", title: "attempt", type: "num" },
          {
            key: "errors", title: "errors",
            value: (r) => errorCodes(r).map((e) => `${e.component} ${e.code}`).join(", "),
            link: (r) => {
              const e = errorCodes(r)[0];
              return e ? PJ.withParams(ctx.params, { [e.column]: e.code }) : null;
            },
            cls: (r) => (errorCodes(r).length ? "pj-bad" : ""),
          },
        ], { id: "jobs", order: [[8, "desc"]] });
      });
    },
  });
});
