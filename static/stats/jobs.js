/* Stats: the jobs matrix (/stats/jobs/?rows=cloud&cols=jobstatus): job counts by two
   fields. A cell opens the jobs list filtered by its row and column values. */
$(function () {
  "use strict";
  const PJ = window.PJ;
  const FIELDS = ["cloud", "computingsite", "jobstatus", "prodsourcelabel", "produsername", "processingtype", "jeditaskid"];

  // The matrix as {rowValues, colValues, cell(r, c)}, from either a pivoted answer
  // ({rows: [...], cols: [...], counts: [[...]]}) or a list of {<row>, <col>, count}.
  function pivot(data, rowKey, colKey) {
    if (data && !Array.isArray(data) && Array.isArray(data.rows) && Array.isArray(data.cols)) {
      const grid = data.counts || data.values || data.cells || data.matrix || [];
      return {
        rowValues: data.rows, colValues: data.cols,
        cell: (i, j) => (grid[i] && grid[i][j]) || 0,
        // The answer's totals count the whole selection, also rows and columns cut by limit.
        rowTotal: Array.isArray(data.row_totals) ? (i) => data.row_totals[i] : null,
        colTotals: data.col_totals, total: data.total,
      };
    }
    const rows = Array.isArray(data) ? data : [];
    const rowValues = [];
    const colValues = [];
    const index = {};
    rows.forEach(function (r) {
      const rv = r[rowKey];
      const cv = r[colKey];
      if (rowValues.indexOf(rv) < 0) rowValues.push(rv);
      if (colValues.indexOf(cv) < 0) colValues.push(cv);
      index[`${rv}\u0000${cv}`] = (index[`${rv}\u0000${cv}`] || 0) + r.count;
    });
    rowValues.sort();
    colValues.sort();
    return { rowValues: rowValues, colValues: colValues, cell: (i, j) => index[`${rowValues[i]}\u0000${colValues[j]}`] || 0 };
  }

  PJ.views.register("stats", {
    name: "jobs",
    title: "Jobs matrix",
    nav: true,
    isDefault: true,
    match: "jobs/",
    api: "/stats/jobs/",
    render(ctx) {
      const choices = FIELDS.map((f) => [f, f]);
      let rowKey = ctx.params.rows || "cloud";
      let colKey = ctx.params.cols || "jobstatus";
      PJ.filterBar(ctx, [
        { name: "rows", label: "rows", choices: [["", "cloud"]].concat(choices.filter((c) => c[0] !== "cloud")) },
        { name: "cols", label: "columns", choices: [["", "jobstatus"]].concat(choices.filter((c) => c[0] !== "jobstatus")) },
        { name: "jobtype", label: "type", choices: [["", "any"], ["production", "production"], ["analysis", "analysis"], ["test", "test"], ["install", "install"]] },
        { name: "hours", label: "window", choices: PJ.windowChoices() },
      ]);
      ctx.load().then(function (body) {
        const data = body.data || {};
        rowKey = data.row_field || rowKey;
        colKey = data.col_field || colKey;
        const m = pivot(data, rowKey, colKey);
        const filters = $.extend({}, ctx.params);
        delete filters.rows;
        delete filters.cols;
        const total = [];
        const rows = m.rowValues.map(function (rv, i) {
          const row = { __row: rv, __total: 0 };
          m.colValues.forEach(function (cv, j) {
            const n = m.cell(i, j);
            row[`c${j}`] = n;
            row.__total += n;
            total[j] = (total[j] || 0) + n;
          });
          if (m.rowTotal) row.__total = m.rowTotal(i);
          return row;
        });
        ctx.body.append(PJ.el("p", { class: "pj-muted" }, `Jobs by ${rowKey} and ${colKey}; click a number for those jobs.`));
        const columns = [{ key: "__row", title: rowKey, link: (r) => PJ.link.jobs($.extend({}, filters, { [rowKey]: r.__row })) }]
          .concat(m.colValues.map((cv, j) => ({
            key: `c${j}`, title: PJ.fmt.value(cv), type: "num",
            link: (r) => (r[`c${j}`] ? PJ.link.jobs($.extend({}, filters, { [rowKey]: r.__row, [colKey]: cv })) : null),
            cls: (r) => `pj-cell ${r[`c${j}`] && colKey === "jobstatus" ? PJ.stateClass(cv) : ""}`,
          })))
          .concat([{ key: "__total", title: "total", type: "num", keep: true, link: (r) => PJ.link.jobs($.extend({}, filters, { [rowKey]: r.__row })) }]);
        const colTotals = Array.isArray(m.colTotals) ? m.colTotals : total;
        const grandTotal = typeof m.total === "number" ? m.total : total.reduce((a, b) => a + (b || 0), 0);
        const footer = [{ text: "total" }]
          .concat(m.colValues.map((cv, j) => ({ text: colTotals[j] || 0, href: PJ.link.jobs($.extend({}, filters, { [colKey]: cv })) })))
          .concat([{ text: grandTotal, href: PJ.link.jobs(filters) }]);
        const $wrap = PJ.el("div", { class: "pj-matrix" }).appendTo(ctx.body);
        PJ.table($wrap, rows, columns, { id: "jobs", order: [[0, "asc"]], pageLength: 100, footer: footer, csv: body.pjSource });
      });
    },
  });
});
