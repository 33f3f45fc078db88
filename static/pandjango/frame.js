/* The frame: jQuery UI tabs for the sections (and the legacy monitor's tabs), the data's
   age, the Update button, auto-refresh and the quick search. Loaded last: by then every
   section's views are registered, and the first view is drawn from the URL. */
$(function () {
  "use strict";
  const PJ = window.PJ;
  const $tabs = $("#pj-tabs");
  if (!$tabs.length) return;
  let syncing = false;

  // ------------------------------------------------------------------ tabs
  const last = {};
  PJ.lastUrl = function (section, url) {
    last[section] = url;
  };

  function tabIndex(section) {
    return $tabs.find("> ul > li").index($tabs.find(`> ul > li[data-section='${section}']`));
  }

  // On a page of the old monitor: the legacy tab of this URL, or the one whose path is the
  // longest prefix of it; -1 when none is.
  function legacyTabIndex() {
    const here = window.location.pathname + window.location.search;
    let best = -1;
    let bestLength = 0;
    $tabs.find("> ul > li.pj-legacy-tab").each(function () {
      const url = String($(this).find("a").data("url") || "");
      const path = url.split("?")[0];
      const length = here === url ? Infinity : here.indexOf(path) === 0 ? path.length : 0;
      if (length > bestLength) {
        best = $tabs.find("> ul > li").index(this);
        bestLength = length;
      }
    });
    return best;
  }

  PJ.activateTab = function (section) {
    const index = tabIndex(section);
    if (index < 0 || $tabs.tabs("option", "active") === index) return;
    syncing = true;
    $tabs.tabs("option", "active", index);
    syncing = false;
  };

  const onSection = PJ.state.sections().indexOf(PJ.state.parse(window.location.href).section) >= 0;
  const legacyIndex = onSection ? -1 : legacyTabIndex();
  $tabs.tabs({
    active: onSection ? Math.max(0, tabIndex(PJ.state.parse(window.location.href).section)) : legacyIndex >= 0 ? legacyIndex : false,
    collapsible: !onSection && legacyIndex < 0,
    beforeActivate(e, ui) {
      if (syncing) return true;
      const $li = ui.newTab;
      const url = $li.find("a").data("url");
      if ($li.hasClass("pj-legacy-tab") || !onSectionPage()) {
        window.location.assign(last[$li.data("section")] || url);
        return false;
      }
      PJ.state.go(last[$li.data("section")] || url);
      return false;
    },
  });
  function onSectionPage() {
    return PJ.state.sections().indexOf(PJ.state.parse(window.location.href).section) >= 0;
  }
  // A tab opened in a new browser tab (middle click) gets its real URL.
  $tabs.on("auxclick", "> ul > li > a", function (e) {
    if (e.button === 1) {
      e.preventDefault();
      window.open($(this).data("url"), "_blank");
    }
  });

  // ------------------------------------------------------------------ the data's age
  PJ.updateAges = function () {
    const now = Date.now();
    $(".pj-age[data-generated]").each(function () {
      const at = Number($(this).attr("data-generated"));
      const seconds = (now - at) / 1000;
      $(this).text(PJ.fmt.age(seconds)).toggleClass("pj-age-old", seconds > 900);
    });
  };
  setInterval(PJ.updateAges, 5000);

  // ------------------------------------------------------------------ Update and auto-refresh
  $(document).on("click", ".pj-update", function () {
    PJ.state.refresh();
  });

  const STORE = "pandjango.autorefresh";
  PJ.autoRefreshSeconds = function () {
    try {
      return Number(window.localStorage.getItem(STORE) || 0);
    } catch (err) {
      return 0;
    }
  };
  let timer = null;
  function schedule() {
    if (timer) clearInterval(timer);
    const seconds = PJ.autoRefreshSeconds();
    timer = seconds > 0 ? setInterval(function () {
      if (!document.hidden) PJ.state.refresh();
    }, seconds * 1000) : null;
  }
  $(document).on("change", ".pj-autorefresh", function () {
    try {
      window.localStorage.setItem(STORE, $(this).val());
    } catch (err) { /* private mode: the choice lasts for this page only */ }
    $(".pj-autorefresh").val($(this).val());
    schedule();
  });
  schedule();

  // ------------------------------------------------------------------ quick search
  $(document).on("submit", ".pj-search", function (e) {
    e.preventDefault();
    const q = $.trim($(this).find("input[name=q]").val());
    if (!q) return;
    const $panel = $tabs.find(".pj-panel:visible").first();
    $panel.find(".pj-search-results").remove();
    const $out = PJ.el("div", { class: "pj-search-results" });
    $panel.find(".pj-messages").first().append($out);
    PJ.api.get("/search/", { q: q }).then(function (body) {
      // Only paths of this site are followed or linked.
      const hits = (body.data || []).filter((h) => /^\/(?!\/)/.test(String(h.url || "")));
      if (hits.length === 1) {
        PJ.state.go(hits[0].url);
        return;
      }
      if (!hits.length) {
        $out.append(PJ.el("div", { class: "pj-note ui-state-highlight ui-corner-all" }, `Nothing matches "${q}".`));
        return;
      }
      const $ul = PJ.el("ul");
      hits.forEach((h) => $ul.append(PJ.el("li").append(PJ.el("a", { href: h.url }, `${h.kind} ${h.id}`))));
      $out.append(PJ.el("div", { class: "pj-note ui-corner-all" }, `Matches for "${q}":`).append($ul));
    }, function (err) {
      $out.append(PJ.errorBox(err));
    });
  });

  // ------------------------------------------------------------------ the first view
  if (onSection) PJ.state.render();
  else $("#pj-panel-legacy").show();
});
