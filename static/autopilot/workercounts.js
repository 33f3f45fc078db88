/* Autopilot: the worker counts that several views show per queue, host, instance or type
   ("workers": {"total": 12, "by_status": {"running": 7, ...}}), as table columns whose
   numbers open Recent Pilots filtered accordingly; the line above such a table; and such a table. */
$(function () {
  "use strict";
  const PJ = window.PJ;
  // Harvester's worker statuses, in the order a worker goes through them.
  const STATUS_ORDER = ["pending", "ready", "submitted", "idle", "running", "finished", "failed", "cancelled", "missed"];

  // counts: the key of the counts in the (flattened) rows, "workers" or "workers_now";
  // label: the title of the total's column, and the prefix of the others' titles if given.
  // filtersOf(row): the Recent Pilots filters that pick this row's workers.
  PJ.workerCountColumns = function (rows, opts) {
    const prefix = `${opts.counts}.by_status.`;
    const statuses = [];
    rows.forEach((r) => Object.keys(r).forEach((k) => {
      const status = k.startsWith(prefix) ? k.slice(prefix.length) : null;
      if (status !== null && statuses.indexOf(status) < 0) statuses.push(status);
    }));
    const rank = (s) => (STATUS_ORDER.indexOf(s) < 0 ? STATUS_ORDER.length : STATUS_ORDER.indexOf(s));
    statuses.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
    const linkTo = (extra) => (r) => {
      const n = r[extra.key];
      return n ? PJ.link.pilots($.extend(opts.filtersOf(r), extra.status ? { status: extra.status } : {}, { hours: opts.hours })) : null;
    };
    const total = { key: `${opts.counts}.total`, title: opts.label, type: "num", help: opts.help };
    total.link = linkTo(total);
    return [total].concat(statuses.map(function (status) {
      const column = {
        key: prefix + status,
        status: status,
        title: opts.prefix ? `${opts.prefix} ${status}` : status,
        type: "num",
        help: opts.help,
        value: (r) => r[prefix + status] || 0,
        format: (v) => (v ? String(v) : ""),
        cls: (r) => (/^(failed|missed)$/.test(status) && r[prefix + status] ? "pj-bad" : ""),
      };
      column.link = linkTo(column);
      return column;
    }));
  };

  // "N queues, from ... to ... UTC", and a warning when the counts were cut short (the
  // answer counted at most so many groups of workers).
  PJ.workerCountSummary = function (ctx, meta, count, noun) {
    const $p = PJ.listSummary(ctx, $.extend({}, meta, { count: count, truncated: false }), noun);
    if (meta && meta.truncated) $p.append(PJ.el("span", { class: "pj-flag" }, "counts cut short: too many groups of workers"));
    return $p;
  };

  // The window's workers counted per host, instance or type: the line above the table
  // (opts.summary(rows), else "N <opts.noun>"), then opts.keyColumns(hours) and the counts'
  // columns, whose numbers open Recent Pilots filtered by opts.filtersOf(row).
  PJ.workerCountTable = function (ctx, body, opts) {
    const rows = PJ.flatRows(body.data);
    const hours = ctx.params.hours;
    ctx.body.append(opts.summary ? opts.summary(rows) : PJ.workerCountSummary(ctx, body.meta, rows.length, opts.noun));
    const columns = opts.keyColumns(hours).concat(PJ.workerCountColumns(rows, { counts: "workers", label: "workers", filtersOf: opts.filtersOf, hours: hours }));
    return PJ.table(ctx.body, rows, columns, { id: opts.id, order: opts.order, pageLength: 100 });
  };
});
