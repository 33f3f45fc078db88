/* The plot helper: time series from /api/stats/timeseries/ ({bins: [iso, ...], series:
   [{name, values}], partial: {first, last}}) drawn with uPlot, which needs nothing but its
   own script. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

  // Ticks in UTC on a 24-hour clock, the date at midnight.
  const pad = (n) => String(n).padStart(2, "0");
  function utcTick(seconds) {
    const d = new Date(seconds * 1000);
    if (!d.getUTCHours() && !d.getUTCMinutes()) return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }

  // The bin for a window of this many hours: hours up to three days, days beyond.
  PJ.binFor = (hours) => (Number(hours) > 72 ? "1d" : "1h");

  // One plot of several series of the same window: each request ({name, params}) asks
  // /stats/timeseries/ for one series, through `get` (PJ.api.get, or a view's ctx.api, which
  // shows a failure in the view). opts.cumulative draws running totals.
  PJ.plotSeries = function (get, $slot, requests, opts) {
    const options = opts || {};
    return $.when.apply($, requests.map((r) => get("/stats/timeseries/", r.params))).then(function () {
      const bodies = Array.prototype.slice.call(arguments);
      const first = (bodies[0] && bodies[0].data) || {};
      const series = bodies.map(function (b, i) {
        const values = ((((b || {}).data || {}).series || [])[0] || {}).values || [];
        let sum = 0;
        return { name: requests[i].name, values: options.cumulative ? values.map((v) => (sum += v)) : values };
      });
      $slot.empty();
      const partial = options.cumulative ? null : first.partial;
      return PJ.plot($slot, { bins: first.bins || [], series: series, partial: partial }, options);
    });
  };

  PJ.plot = function ($container, data, opts) {
    const options = opts || {};
    const bins = (data && data.bins) || [];
    const series = (data && data.series) || [];
    const $box = PJ.el("div", { class: "pj-plot" }).appendTo($container);
    if (options.title) $box.append(PJ.el("h4", { class: "pj-plot-title" }, options.title));
    if (!bins.length || !series.length) {
      $box.append(PJ.el("p", { class: "pj-muted" }, "No data in this window."));
      return null;
    }
    const $area = PJ.el("div", { class: "pj-plot-area" }).appendTo($box);
    const xs = bins.map((b) => Date.parse(b) / 1000);
    // The window cuts the first and last bins (data.partial): their segments are shaded, so
    // that a bin holding part of an hour is not read as a drop.
    const partial = (data && data.partial) || {};
    const shaded = [];
    if (partial.first && xs.length > 1) shaded.push([xs[0], xs[1]]);
    if (partial.last && xs.length > 1) shaded.push([xs[xs.length - 2], xs[xs.length - 1]]);
    const width = Math.max(320, Math.floor(($container.width() || 800) - 20));
    const uopts = {
      width: width,
      height: options.height || 240,
      scales: { x: { time: true } },
      legend: { live: false },  // the series' names; the values are on the axes
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      axes: [{ values: (u, splits) => splits.map(utcTick), space: 60 }, { label: options.yLabel || "", size: 60 }],
      hooks: {
        drawClear: [function (u) {
          u.ctx.save();
          u.ctx.fillStyle = "rgba(120, 120, 120, 0.15)";
          shaded.forEach(function (span) {
            const x0 = u.valToPos(span[0], "x", true);
            const x1 = u.valToPos(span[1], "x", true);
            u.ctx.fillRect(Math.min(x0, x1), u.bbox.top, Math.abs(x1 - x0), u.bbox.height);
          });
          u.ctx.restore();
        }],
      },
      series: [{ label: "UTC" }].concat(series.map((s, i) => ({
        label: String(s.name),
        stroke: (options.colours && options.colours[i]) || COLOURS[i % COLOURS.length],
        width: 2,
        points: { show: bins.length < 60 },
      }))),
    };
    const plot = new uPlot(uopts, [xs].concat(series.map((s) => s.values)), $area[0]);
    $area.attr("data-points", bins.length);
    const cut = [partial.first ? "first" : "", partial.last ? "last" : ""].filter(Boolean);
    $area.attr("data-partial", cut.join(" "));
    if (cut.length) {
      $box.append(PJ.el("p", { class: "pj-plot-note pj-muted" },
        `Shaded: the ${cut.join(" and ")} bin${cut.length > 1 ? "s" : ""} of the window, which count only part of their time.`));
    }
    return plot;
  };
});
