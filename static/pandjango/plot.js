/* The plot helper: time series from /api/stats/timeseries/ ({bins: [iso, ...], series:
   [{name, values}]}) drawn with uPlot, which needs nothing but its own script. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

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
    const width = Math.max(320, Math.floor(($container.width() || 800) - 20));
    const uopts = {
      width: width,
      height: options.height || 240,
      scales: { x: { time: true } },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      axes: [{}, { label: options.yLabel || "", size: 60 }],
      series: [{ label: "UTC" }].concat(series.map((s, i) => ({
        label: String(s.name),
        stroke: (options.colours && options.colours[i]) || COLOURS[i % COLOURS.length],
        width: 2,
        points: { show: bins.length < 60 },
      }))),
    };
    const plot = new uPlot(uopts, [xs].concat(series.map((s) => s.values)), $area[0]);
    $area.attr("data-points", bins.length);
    return plot;
  };
});
