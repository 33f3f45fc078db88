/* Autopilot: the pilot counts that several views show per queue, host or type
   ("pilots": {"total", "by_state": {...}, "by_status": {...}}), as table columns whose
   numbers open the Recent Pilots list filtered accordingly. */
$(function () {
  "use strict";
  const PJ = window.PJ;
  const STATE_ORDER = ["submitted", "scheduled", "running", "done", "active", "finished", "failed"];

  PJ.pilotCountColumns = function (rows, filtersOf, hours) {
    const keys = [];
    rows.forEach((r) => Object.keys(r).forEach((k) => {
      if (/^pilots\./.test(k) && keys.indexOf(k) < 0) keys.push(k);
    }));
    const rank = (k) => {
      if (k === "pilots.total") return -1;
      const kind = /by_status/.test(k) ? 100 : 0;
      const i = STATE_ORDER.indexOf(k.split(".").pop());
      return kind + (i < 0 ? 50 : i);
    };
    return keys.sort((a, b) => rank(a) - rank(b)).map(function (k) {
      const m = /^pilots\.by_(state|status)\.(.+)$/.exec(k);
      return {
        key: k,
        title: PJ.columnTitle(k),
        type: "num",
        link: (r) => (r[k] ? PJ.link.pilots($.extend(filtersOf(r), m ? { [m[1]]: m[2] } : {}, { hours: hours })) : null),
        cls: (r) => (m && m[2] === "failed" && r[k] ? "pj-bad" : ""),
      };
    });
  };
});
