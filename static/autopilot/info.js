/* Autopilot: Info (/autopilot/info/): pilots by state and status in the window, those that
   found no work, active submit hosts, services up and stale, the newest pilot update. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.views.register("autopilot", {
    name: "info",
    title: "Info",
    nav: true,
    match: "info/",
    render(ctx) {
      PJ.filterBar(ctx, [{ name: "hours", label: "window", choices: PJ.windowChoices() }]);
      ctx.load().then(function (body) {
        const data = body.data || {};
        const pilots = data.pilots || {};
        const services = data.services || {};
        const hosts = data.submithosts || {};
        const hours = ctx.params.hours;
        const $t = PJ.el("table", { class: "pj-kv pj-info" }).appendTo(ctx.body);
        const row = (label, $value) => $t.append(PJ.el("tr").append(PJ.el("th", null, label), PJ.el("td").append($value)));
        row("Pilots in the window", PJ.el("a", { href: PJ.link.pilots({ hours: hours }) }, PJ.fmt.value(pilots.total)));
        row("by state", PJ.countLine("state", PJ.counts(pilots.by_state), (v) => PJ.link.pilots({ state: v, hours: hours })).children().slice(1));
        row("by status", PJ.countLine("status", PJ.counts(pilots.by_status), (v) => PJ.link.pilots({ status: v, hours: hours })).children().slice(1));
        row("ended \"Dispatcher has no jobs\"", PJ.el("span", null, PJ.fmt.value(pilots.no_jobs)));
        row("Active submit hosts", PJ.el("a", { href: "/autopilot/submithosts/" }, PJ.fmt.value(hosts.active)));
        const $svc = PJ.el("span").append(PJ.el("a", { href: "/autopilot/services/" }, `${PJ.fmt.value(services.up)} up of ${PJ.fmt.value(services.total)}`));
        if (services.stale) $svc.append(PJ.el("span", { class: "pj-flag" }, `${services.stale} stale`));
        row("Scheduler services", $svc);
        const newest = data.newest_pilot_update;
        row("Newest pilot update", PJ.el("span", null, newest ? `${PJ.fmt.time(newest)} UTC (${PJ.fmt.age((Date.now() - Date.parse(newest)) / 1000)})` : "none"));
      });
    },
  });
});
