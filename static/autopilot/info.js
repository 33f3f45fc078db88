/* Autopilot: Info (/autopilot/info/): the window's workers by status, those that ran no
   job, the Harvester instances up and stale, the newest worker update. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.windowPage("autopilot", "info", "Info", "12 hours", function (ctx, body) {
    const data = body.data || {};
    const workers = data.workers || {};
    const instances = data.instances || {};
    const hours = ctx.params.hours;
    const $t = PJ.el("table", { class: "pj-kv pj-info" }).appendTo(ctx.body);
    const row = (label, $value) => $t.append(PJ.el("tr").append(PJ.el("th", null, label), PJ.el("td").append($value)));
    row("Pilots (workers) in the window", PJ.el("a", { href: PJ.link.pilots({ hours: hours }) }, PJ.fmt.value(workers.total)));
    row("by status", PJ.countLine("status", PJ.counts(workers.by_status), (v) => PJ.link.pilots({ status: v, hours: hours })).children().slice(1));
    row("ran no job", PJ.el("span", null, PJ.fmt.value(workers.no_jobs)));
    const $instances = PJ.el("span").append(PJ.el("a", { href: "/autopilot/services/" }, `${PJ.fmt.value(instances.up)} up of ${PJ.fmt.value(instances.total)}`));
    if (instances.stale) $instances.append(PJ.el("span", { class: "pj-flag" }, `${instances.stale} stale`));
    row("Harvester instances", $instances);
    const newest = data.newest_worker_update;
    row("Newest worker update", PJ.el("span", null, newest ? `${PJ.fmt.time(newest)} UTC (${PJ.fmt.age((Date.now() - Date.parse(newest)) / 1000)})` : "none"));
  });
});
