/* URL state and the router. Every view has a real URL (/production/jobs/?jobstatus=failed)
   whose query string is the API's own parameters: the view at /<section>/<path>?<query>
   reads /api/<section>/<path>?<query>. Moving between views uses history.pushState, and
   popstate redraws the view of the restored URL, so back and forward give exactly the
   previous view and filters, and a bookmarked URL opened cold shows the same view. A
   table's sort and page are kept in history.state, so they come back too. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  const registry = {};   // section -> [view, ...] in registration order
  let renderCount = 0;
  let current = null;    // {section, view, ctx}

  PJ.views = {
    // view: {name, title, nav (shown in the section's menu), match: "path/" or RegExp, isDefault, render(ctx)}
    register(section, view) {
      (registry[section] = registry[section] || []).push(view);
    },
    // A page of the section's menu, at <section>/<name>/ (the endpoint's own name).
    page(section, name, title, render) {
      PJ.views.register(section, { name: name, title: title, nav: true, match: `${name}/`, render: render });
    },
    // One row of a list page, at <section>/<list>/<id>/ (a number), titled "<title> <id>" and
    // shown under its list in the menu: render(ctx, id).
    item(section, name, title, list, render) {
      PJ.views.register(section, {
        name: name,
        title: title,
        navParent: list,
        match: new RegExp(`^${list}/(\\d+)/$`),
        render(ctx) {
          const id = ctx.args[0];
          ctx.title(`${title} ${id}`);
          render(ctx, id);
        },
      });
    },
    of(section) {
      return registry[section] || [];
    },
  };

  function sections() {
    return $("#pj-tabs .pj-tab[data-section]").map((i, li) => $(li).data("section")).get();
  }

  function parse(href) {
    const u = new URL(href, window.location.href);
    const parts = u.pathname.replace(/^\/+/, "").split("/");
    const section = parts.shift();
    const params = {};
    u.searchParams.forEach((v, k) => { params[k] = v; });
    return { section: section, rest: parts.join("/"), params: params, path: u.pathname, search: u.search, url: u.pathname + u.search };
  }

  function findView(section, rest) {
    const views = registry[section] || [];
    for (const view of views) {
      if (rest === "" && view.isDefault) return { view: view, args: [] };
      if (typeof view.match === "string" && view.match === rest) return { view: view, args: [] };
      if (view.match instanceof RegExp) {
        const m = rest.match(view.match);
        if (m) return { view: view, args: m.slice(1).map(decodeURIComponent) };
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ history.state
  function historyState() {
    return $.extend(true, {}, window.history.state || {});
  }

  PJ.state = {
    sections: sections,
    parse: parse,
    params() {
      return parse(window.location.href).params;
    },
    // Opens a URL of the dashboard as a new history entry (or in place: {replace: true}).
    go(url, opts) {
      const target = parse(url);
      if (sections().indexOf(target.section) < 0) {
        window.location.assign(url);
        return;
      }
      if (opts && opts.replace) window.history.replaceState({}, "", target.url);
      else if (target.url !== parse(window.location.href).url) window.history.pushState({}, "", target.url);
      PJ.state.render();
    },
    // The same view with other parameters: empty values are dropped.
    setParams(params, opts) {
      PJ.state.go(PJ.url(window.location.pathname, params), opts);
    },
    remember(key, value) {
      const st = historyState();
      st.ui = st.ui || {};
      st.ui[key] = value;
      window.history.replaceState(st, "", window.location.href);
    },
    recall(key) {
      const st = window.history.state;
      return st && st.ui ? st.ui[key] : undefined;
    },
    refresh() {
      PJ.state.render({ refresh: true });
    },
    render: render,
    current: () => current,
  };

  // ------------------------------------------------------------------ drawing a view
  function menu(section, activeView) {
    const $nav = PJ.el("nav", { class: "pj-subnav", "aria-label": `${section} views` });
    PJ.views.of(section).filter((v) => v.nav).forEach(function (v) {
      const href = v.href || `/${section}/${v.match}`;
      const $a = PJ.el("a", { href: href }, v.title);
      if (v === activeView || (activeView && activeView.navParent === v.name)) $a.addClass("pj-active");
      $nav.append($a);
    });
    return $nav;
  }

  function toolbar() {
    const $bar = PJ.el("div", { class: "pj-toolbar" });
    $bar.append(PJ.el("span", { class: "pj-age", title: "when the data was read from the database" }, ""));
    $bar.append(PJ.el("button", { type: "button", class: "pj-update", title: "read the data again" }, "Update"));
    const $sel = PJ.el("select", { class: "pj-autorefresh", "aria-label": "auto-refresh" });
    [["0", "auto-refresh off"], ["60", "every 1 min"], ["300", "every 5 min"], ["900", "every 15 min"]].forEach(function (o) {
      $sel.append(PJ.el("option", { value: o[0] }, o[1]));
    });
    $sel.val(String(PJ.autoRefreshSeconds ? PJ.autoRefreshSeconds() : 0));
    $bar.append($sel);
    return $bar;
  }

  function makeContext(section, found, loc, $panel, opts) {
    const token = ++renderCount;
    const $title = PJ.el("h2", { class: "pj-title" }, found.view.title);
    const $messages = PJ.el("div", { class: "pj-messages" });
    const $body = PJ.el("div", { class: "pj-body" });
    const oldest = [];
    let pending = 0;
    const ctx = {
      section: section,
      args: found.args,
      params: loc.params,
      refresh: !!(opts && opts.refresh),
      body: $body,
      token: token,
      stale: () => token !== renderCount,
      title(text) {
        $title.text(text);
        document.title = `${text} · ${section} · Pandjango`;
      },
      // A request whose failure shows the API's message in the page.
      api(path, params) {
        const request = PJ.api.get(path, params);
        pending++;
        $panel.attr("data-state", "loading");
        request.always(function () {
          pending--;
          // Marks the view drawn once the callbacks of the last answer have run (for people
          // reading the DOM and for the browser tests).
          setTimeout(function () {
            if (!pending && !ctx.stale()) $panel.attr("data-state", "ready");
          }, 50);
        });
        request.then(function (body) {
          if (ctx.stale()) return;
          const at = body && body.meta && body.meta.generated_at;
          if (at) {
            oldest.push(Date.parse(at));
            $panel.find(".pj-age").attr("data-generated", Math.min.apply(null, oldest));
            PJ.updateAges();
          }
        }, function (err) {
          if (ctx.stale()) return;
          $messages.append(PJ.errorBox(err));
        });
        return request.then((body) => (ctx.stale() ? $.Deferred().promise() : body));
      },
      // The view's own endpoint: /api + this page's path and query.
      load(params) {
        return ctx.api(found.view.api || loc.path, params || loc.params);
      },
      message(text) {
        $messages.append(PJ.el("div", { class: "pj-note ui-state-highlight ui-corner-all" }, text));
      },
      setParams: PJ.state.setParams,
      go: PJ.state.go,
    };
    $panel.empty().append(menu(section, found.view), toolbar(), $title, $messages, $body);
    $panel.attr("data-state", "ready");
    return ctx;
  }

  function notFound(section, loc, $panel) {
    $panel.empty().append(menu(section, null), PJ.el("h2", { class: "pj-title" }, "No such view"));
    PJ.el("div", { class: "pj-error-box ui-state-error ui-corner-all", role: "alert" },
      `There is no view at ${loc.path}; pick one of the ${section} views above.`).appendTo($panel);
  }

  function render(opts) {
    const loc = parse(window.location.href);
    if (sections().indexOf(loc.section) < 0) return false;
    PJ.activateTab(loc.section);
    const $panel = $(`#pj-panel-${loc.section}`);
    const found = findView(loc.section, loc.rest);
    if (!found) {
      renderCount++;
      notFound(loc.section, loc, $panel);
      current = null;
      return true;
    }
    const keepHeight = opts && opts.refresh ? $panel.find(".pj-body").height() : 0;
    const ctx = makeContext(loc.section, found, loc, $panel, opts);
    if (keepHeight) ctx.body.css("min-height", keepHeight);
    ctx.title(found.view.title);
    current = { section: loc.section, view: found.view, ctx: ctx };
    PJ.lastUrl(loc.section, loc.url);
    found.view.render(ctx);
    return true;
  }

  // ------------------------------------------------------------------ links and history
  $(document).on("click", "a[href^='/']", function (e) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || this.target) return;
    const target = parse(this.getAttribute("href"));
    if (sections().indexOf(target.section) < 0) return;
    e.preventDefault();
    PJ.state.go(target.url);
  });

  window.addEventListener("popstate", function () {
    if (!render()) window.location.reload();
  });
});
