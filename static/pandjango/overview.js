/* The landing page: the shifter's overview of the last 12 hours, one card per figure, each
   read from the JSON API and linking into the view that shows it whole. A card is on the
   page only when its section is open to this user (templates/landing.html). */
$(function () {
  "use strict";
  const PJ = window.PJ;
  const $overview = $("#pj-overview");
  if (!$overview.length) return;
  const HOURS = 12;
  const sections = String($overview.attr("data-sections") || "").split(/\s+/);
  const TOP = 8;

  const cardBody = (figure) => $overview.find(`.pj-card[data-figure='${figure}'] .pj-card-body`);
  const has = (figure) => cardBody(figure).length > 0;

  // A small table of [{cells: [text or {text, href, cls}], ...}] under its headers.
  function smallTable(headers, rows, numeric) {
    const $t = PJ.el("table", { class: "pj-small" });
    const $head = PJ.el("tr");
    headers.forEach((h, i) => $head.append(PJ.el("th", numeric.indexOf(i) >= 0 ? { class: "pj-num" } : null, h)));
    $t.append(PJ.el("thead").append($head));
    const $body = PJ.el("tbody").appendTo($t);
    rows.forEach(function (cells) {
      const $tr = PJ.el("tr").appendTo($body);
      cells.forEach(function (cell, i) {
        const c = cell !== null && typeof cell === "object" ? cell : { text: cell };
        const $td = PJ.el("td", numeric.indexOf(i) >= 0 ? { class: "pj-num" } : null).appendTo($tr);
        $td.append(PJ.linkOrText(c.href, PJ.fmt.value(c.text)));
        if (c.cls) $td.addClass(c.cls);
      });
    });
    return $t;
  }

  function jobsByState(body) {
    const counts = PJ.counts(body.data, "jobstatus");
    const total = counts.reduce((n, c) => n + c.count, 0);
    cardBody("jobs").empty().append(
      PJ.el("p", { class: "pj-big" }).append(PJ.el("a", { href: PJ.link.jobs({ hours: HOURS }) }, `${total} jobs`),
        document.createTextNode(" changed state in the window")),
      PJ.countLine("Job states", counts, (state) => PJ.link.jobs({ jobstatus: state, hours: HOURS })));
  }

  function queuesWithFailures(body) {
    const perQueue = {};
    (body.data || []).forEach(function (r) {
      const q = perQueue[r.computingsite] = perQueue[r.computingsite] || { finished: 0, failed: 0 };
      q[r.jobstatus] = (q[r.jobstatus] || 0) + r.count;
    });
    const ranked = Object.keys(perQueue).filter((q) => perQueue[q].failed > 0)
      .sort((a, b) => perQueue[b].failed - perQueue[a].failed || (a < b ? -1 : 1)).slice(0, TOP);
    const $body = cardBody("queues").empty();
    if (!ranked.length) {
      $body.append(PJ.el("p", { class: "pj-good" }, "No failed jobs in the window."));
      return;
    }
    $body.append(smallTable(["queue", "failed", "finished", "failed %"], ranked.map(function (nickname) {
      const q = perQueue[nickname];
      const rate = q.failed / (q.failed + q.finished);
      return [
        { text: nickname, href: PJ.url(PJ.link.queue(nickname), { hours: HOURS }) },
        { text: q.failed, href: PJ.link.jobs({ computingsite: nickname, jobstatus: "failed", hours: HOURS }), cls: "pj-bad" },
        { text: q.finished, href: PJ.link.jobs({ computingsite: nickname, jobstatus: "finished", hours: HOURS }) },
        { text: PJ.fmt.percent(rate), cls: rate >= 0.3 ? "pj-bad" : rate >= 0.1 ? "pj-warn" : "pj-good" },
      ];
    }), [1, 2, 3]));
  }

  function topErrors(body) {
    const codes = ((body.data || {}).by_code || []).slice(0, TOP);
    const $body = cardBody("errors").empty();
    if (!codes.length) {
      $body.append(PJ.el("p", { class: "pj-good" }, "No failed jobs in the window."));
      return;
    }
    $body.append(smallTable(["error", "meaning", "failed jobs"], codes.map(function (r) {
      const column = PJ.errorColumn[r.component];
      const failed = column ? PJ.link.jobs({ jobstatus: "failed", [column]: r.code, hours: HOURS }) : null;
      return [{ text: `${r.component} ${r.code}`, href: failed, cls: "pj-bad" }, r.description, { text: r.count, href: failed }];
    }), [2]));
  }

  function workersByStatus(body) {
    const data = body.data || {};
    const workers = data.workers || {};
    const instances = data.instances || {};
    const $body = cardBody("workers").empty();
    $body.append(PJ.countLine("Status", PJ.counts(workers.by_status || {}), (status) => PJ.link.pilots({ status: status, hours: HOURS })));
    const $line = PJ.el("p").appendTo($body);
    $line.append(document.createTextNode(`${workers.no_jobs || 0} ran no job · Harvester instances: ${instances.up || 0} up, `));
    $line.append(PJ.el("a", { href: "/autopilot/services/", class: instances.stale ? "pj-bad" : "" }, `${instances.stale || 0} stale`));
  }

  // When the figures were read, and the newest change the database holds.
  function dataAge(readAt, newest) {
    const $body = cardBody("age").empty();
    const $ages = PJ.el("table", { class: "pj-kv" }).appendTo($body);
    const line = (label, iso, href) => {
      if (!iso) return;
      const seconds = (Date.now() - Date.parse(iso)) / 1000;
      $ages.append(PJ.el("tr").append(PJ.el("th", null, label),
        PJ.el("td").append(PJ.linkOrText(href, `${PJ.fmt.time(iso)} UTC (${PJ.fmt.age(seconds)})`))
          .toggleClass("pj-bad", seconds > 3600)));
    };
    line("figures read", readAt, null);
    line("newest job change", newest.job, PJ.link.jobs({ hours: HOURS }));
    line("newest worker update", newest.worker, PJ.link.pilots({ hours: HOURS }));
  }

  let readAt = [];
  function showAge() {
    if (!readAt.length) return;
    const oldest = Math.min.apply(null, readAt);
    $("#pj-overview-age").text(`figures ${PJ.fmt.age((Date.now() - oldest) / 1000)}`)
      .toggleClass("pj-age-old", Date.now() - oldest > 900000);
  }
  setInterval(showAge, 5000);

  // A request function that notes when each answer was read from the database.
  const timed = (get) => (path, params) => get(path, params).then(function (body) {
    if (body && body.meta && body.meta.generated_at) readAt.push(Date.parse(body.meta.generated_at));
    return body;
  });

  // One figure: its request(s), then its drawing (which may ask more, and return a promise);
  // a failure shows the API's message in its card.
  function figure(name, requests, draw) {
    if (!has(name)) return $.Deferred().resolve().promise();
    return $.when.apply($, requests.map((r) => timed(PJ.api.get)(r[0], r[1]))).then(function () {
      return draw.apply(null, arguments);
    }, function (err) {
      cardBody(name).empty().append(PJ.errorBox(err));
      return $.Deferred().resolve().promise();
    });
  }

  function load() {
    readAt = [];
    $overview.attr("data-state", "loading");
    const newest = {};
    const window12 = { hours: HOURS };
    const drawn = [
      figure("jobs", [["/production/jobs/summary/", $.extend({ groupby: "jobstatus" }, window12)]], jobsByState),
      figure("timeseries", [], function () {
        return PJ.plotSeries(timed(PJ.api.get), cardBody("timeseries"), [
          { name: "finished", params: $.extend({ metric: "jobs_finished", bin: "1h" }, window12) },
          { name: "failed", params: $.extend({ metric: "jobs_failed", bin: "1h" }, window12) },
        ], { yLabel: "jobs per hour", colours: ["#2ca02c", "#d62728"], height: 220 }).then(null, function (err) {
          cardBody("timeseries").empty().append(PJ.errorBox(err));
          return $.Deferred().resolve().promise();
        });
      }),
      figure("queues", [["/production/jobs/summary/", $.extend({ groupby: "computingsite,jobstatus", jobstatus: "failed|finished" }, window12)]], queuesWithFailures),
      figure("errors", [["/production/errors/", window12]], topErrors),
      figure("workers", [["/autopilot/info/", window12]], function (body) {
        newest.worker = (body.data || {}).newest_worker_update;
        workersByStatus(body);
      }),
      figure("age", sections.indexOf("production") < 0 ? [] : [["/production/jobs/", $.extend({ limit: 1, sort: "-modificationtime", fields: "pandaid,modificationtime" }, window12)]], function (body) {
        newest.job = ((body.data || [])[0] || {}).modificationtime;
      }),
    ];
    $.when.apply($, drawn).always(function () {
      if (has("age")) dataAge(new Date(Math.min.apply(null, readAt.length ? readAt : [Date.now()])).toISOString(), newest);
      showAge();
      $overview.attr("data-state", "ready");
    });
  }

  $(document).on("click", ".pj-overview-update", load);
  load();
});
