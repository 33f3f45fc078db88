/* The shared namespace of the dashboard: formatting, links between views, small DOM
   helpers. Data always goes into the page with .text() or attributes, never as HTML. */
window.PJ = window.PJ || {};

$(function () {
  "use strict";
  const PJ = window.PJ;

  // ------------------------------------------------------------------ formatting
  const pad = (n) => String(n).padStart(2, "0");

  PJ.fmt = {
    time(iso) {
      if (!iso) return "";
      const d = new Date(iso);
      if (isNaN(d)) return String(iso);
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
    },
    age(seconds) {
      const s = Math.max(0, Math.round(seconds));
      if (s < 60) return `${s} s old`;
      if (s < 3600) return `${Math.floor(s / 60)} min old`;
      if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min old`;
      return `${Math.floor(s / 86400)} days old`;
    },
    duration(seconds) {
      if (seconds === null || seconds === undefined || seconds === "") return "";
      const s = Math.round(Number(seconds));
      if (isNaN(s)) return String(seconds);
      if (s < 120) return `${s} s`;
      if (s < 7200) return `${Math.round(s / 60)} min`;
      if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
      return `${(s / 86400).toFixed(1)} days`;
    },
    percent(fraction) {
      if (fraction === null || fraction === undefined || fraction === "") return "";
      return `${(100 * Number(fraction)).toFixed(1)} %`;
    },
    value(v) {
      if (v === null || v === undefined) return "";
      if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/\.?0+$/, "");
      if (typeof v === "boolean") return v ? "yes" : "no";
      if (typeof v === "object") return JSON.stringify(v);
      if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z$/.test(v)) return PJ.fmt.time(v);
      return String(v);
    },
    // A column name as a header: "piloterrorcode" stays recognisable to who knows PanDA.
    title(key) {
      return String(key).replace(/_/g, " ");
    },
  };

  // ------------------------------------------------------------------ URLs and links
  PJ.url = function (path, params) {
    const query = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      const v = params[k];
      if (v !== null && v !== undefined && v !== "") query.set(k, String(v));
    });
    const qs = query.toString();
    return qs ? `${path}?${qs}` : path;
  };

  const seg = (v) => encodeURIComponent(String(v));

  PJ.link = {
    job: (pandaid) => `/production/jobs/${seg(pandaid)}/`,
    jobs: (filters) => PJ.url("/production/jobs/", filters),
    task: (jeditaskid) => `/production/tasks/${seg(jeditaskid)}/`,
    tasks: (filters) => PJ.url("/production/tasks/", filters),
    errors: (filters) => PJ.url("/production/errors/", filters),
    // A pilot is a Harvester worker, named by its instance and its id there.
    pilot: (harvesterid, workerid) => `/autopilot/pilots/${seg(harvesterid)}/${seg(workerid)}/`,
    pilots: (filters) => PJ.url("/autopilot/pilots/", filters),
    queue: (nickname) => `/sites/${seg(nickname)}/`,
    sites: (filters) => PJ.url("/sites/", filters),
    // Where a value of a field leads by default: the thing itself, or the list filtered by it.
    field(key, value) {
      if (value === null || value === undefined || value === "") return null;
      switch (key) {
        case "pandaid": case "example_pandaid": return PJ.link.job(value);
        case "jeditaskid": return value ? PJ.link.task(value) : null;
        case "computingsite": case "nickname": case "queue": return PJ.link.queue(value);
        case "jobstatus": return PJ.link.jobs({ jobstatus: value });
        case "produsername": return PJ.link.jobs({ produsername: value });
        case "cloud": return PJ.link.sites({ cloud: value });
        case "harvesterid": return PJ.link.pilots({ harvesterid: value });
        case "submissionhost": return PJ.link.pilots({ submissionhost: value });
        default: return null;
      }
    },
  };

  // The job column that holds each component's error code (pandjango/pandadb/errorcodes.py).
  PJ.errorColumn = {
    pilot: "piloterrorcode", exe: "exeerrorcode", supervisor: "superrorcode", ddm: "ddmerrorcode",
    brokerage: "brokerageerrorcode", jobdispatcher: "jobdispatchererrorcode", taskbuffer: "taskbuffererrorcode",
  };

  // ------------------------------------------------------------------ DOM helpers
  // An element with attributes and a text; never parses markup.
  PJ.el = function (tag, attrs, text) {
    const $e = $(document.createElement(tag));
    if (attrs) $e.attr(attrs);
    if (text !== undefined && text !== null) $e.text(String(text));
    return $e;
  };

  // A link when there is somewhere to go, otherwise the plain text.
  PJ.linkOrText = function (href, text) {
    return href ? PJ.el("a", { href: href }, text) : PJ.el("span", null, text);
  };

  // A CSS class for a state value (jobstatus, queue status, pilot state).
  PJ.stateClass = function (value) {
    const clean = String(value || "").toLowerCase().replace(/[^a-z0-9_-]/g, "");
    return clean ? `pj-state pj-state-${clean}` : "";
  };

  PJ.heading = function (text) {
    return PJ.el("h3", { class: "pj-subtitle" }, text);
  };

  // A two-column table of an object's fields; links from PJ.link.field or opts.link.
  PJ.keyValues = function (obj, opts) {
    const options = opts || {};
    const $t = PJ.el("table", { class: "pj-kv" });
    Object.keys(obj || {}).forEach(function (key) {
      const value = obj[key];
      if (options.skip && options.skip.indexOf(key) >= 0) return;
      if (value !== null && typeof value === "object") return;
      const href = (options.link && options.link(key, value)) || PJ.link.field(key, value);
      const $td = PJ.el("td").append(PJ.linkOrText(href, PJ.fmt.value(value)));
      if (key === "jobstatus" || key === "status" || key === "state") $td.addClass(PJ.stateClass(value));
      $t.append(PJ.el("tr").append(PJ.el("th", null, key), $td));
    });
    return $t;
  };

  // "running: 34  failed: 31", each value a link: the selection summary of the old monitor.
  // Past `max` values the rest is folded behind a "more" button.
  PJ.countLine = function (label, items, hrefFor, max) {
    const limit = max || 1000;
    const $line = PJ.el("div", { class: "pj-countline" }).append(PJ.el("b", null, `${label}: `));
    const stateful = /^(stat|job stat)/i.test(label);
    (items || []).forEach(function (item, i) {
      const $item = PJ.el("span", { class: "pj-count" });
      $item.append(PJ.linkOrText(hrefFor ? hrefFor(item.value) : null, PJ.fmt.value(item.value)));
      $item.append(document.createTextNode(`:${item.count}`));
      if (stateful) $item.addClass(PJ.stateClass(item.value));
      if (i >= limit) $item.addClass("pj-folded").hide();
      $line.append($item, document.createTextNode(" "));
    });
    if (items && items.length > limit) {
      $line.append(PJ.el("button", { type: "button", class: "pj-more" }, `${items.length - limit} more`));
    }
    if (!items || !items.length) $line.append(PJ.el("span", { class: "pj-muted" }, "none"));
    return $line;
  };
  $(document).on("click", ".pj-countline .pj-more", function () {
    $(this).closest(".pj-countline").find(".pj-folded").show();
    $(this).remove();
  });

  // Turns {"running": 3, ...} or [{"jobstatus": "running", "count": 3}, ...] into [{value, count}].
  PJ.counts = function (data, key) {
    if (!data) return [];
    if (Array.isArray(data)) {
      return data.map(function (r) {
        const k = key || Object.keys(r).find((x) => x !== "count");
        return { value: r[k], count: r.count };
      });
    }
    return Object.keys(data).map((k) => ({ value: k, count: data[k] })).sort((a, b) => b.count - a.count);
  };
});
