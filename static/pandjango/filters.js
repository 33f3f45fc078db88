/* The filter bar above a list: one input per common filter, plus every other parameter of
   the URL shown as a removable chip. Submitting it changes the URL (a new history entry),
   which redraws the view: the filters live in the URL only. Values use the API's syntax:
   a|b, !a, ANALY_*. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  PJ.windowChoices = function (defaultLabel) {
    return [["", defaultLabel || "default window"], ["1", "1 hour"], ["3", "3 hours"], ["6", "6 hours"],
      ["12", "12 hours"], ["24", "24 hours"], ["48", "2 days"], ["72", "3 days"], ["168", "7 days"]];
  };

  // A page of the section's menu filtered by the window alone: its filter bar, then
  // draw(ctx, body) with the answer. defaultLabel: the API's default window ("12 hours").
  PJ.windowPage = function (section, name, title, defaultLabel, draw) {
    PJ.views.page(section, name, title, function (ctx) {
      PJ.filterBar(ctx, [{ name: "hours", label: "window", choices: PJ.windowChoices(defaultLabel) }]);
      ctx.load().then((body) => draw(ctx, body));
    });
  };

  // fields: [{name, label, placeholder, choices: [[value, text], ...]}]
  PJ.filterBar = function (ctx, fields, opts) {
    const options = opts || {};
    const params = ctx.params;
    const $form = PJ.el("form", { class: "pj-filterbar", autocomplete: "off" });
    fields.forEach(function (f) {
      const $label = PJ.el("label", { class: "pj-filter" }).append(PJ.el("span", null, f.label || f.name));
      let $input;
      if (f.choices) {
        $input = PJ.el("select", { name: f.name });
        let seen = false;
        f.choices.forEach(function (c) {
          $input.append(PJ.el("option", { value: c[0] }, c[1]));
          if (c[0] === (params[f.name] || "")) seen = true;
        });
        if (!seen) $input.append(PJ.el("option", { value: params[f.name] }, params[f.name]));
      } else {
        $input = PJ.el("input", { type: "text", name: f.name, placeholder: f.placeholder || "", size: f.size || 12 });
      }
      $input.val(params[f.name] || "");
      $form.append($label.append($input));
    });
    $form.append(PJ.el("button", { type: "submit", class: "pj-apply" }, "Apply"));

    const known = fields.map((f) => f.name);
    const others = Object.keys(params).filter((k) => known.indexOf(k) < 0 && k !== "refresh");
    if (others.length) {
      const $chips = PJ.el("span", { class: "pj-chips" });
      others.forEach(function (k) {
        const rest = $.extend({}, params);
        delete rest[k];
        $chips.append(PJ.el("a", { class: "pj-chip", href: PJ.url(window.location.pathname, rest), title: "remove this filter" }, `${k}=${params[k]} ✕`));
      });
      $form.append($chips);
    }
    if (Object.keys(params).length) {
      $form.append(PJ.el("a", { class: "pj-clear", href: window.location.pathname }, "clear all"));
    }

    $form.on("submit", function (e) {
      e.preventDefault();
      const next = $.extend({}, params);
      $form.find("input[name], select[name]").each(function () {
        const v = $.trim($(this).val() || "");
        if (v) next[this.name] = v; else delete next[this.name];
      });
      ctx.setParams(next);
    });
    if (options.into) options.into.append($form); else ctx.body.append($form);
    return $form;
  };

  // The current parameters plus or minus some: the href of "this list, also filtered by X".
  PJ.withParams = function (params, changes, path) {
    const next = $.extend({}, params, changes);
    Object.keys(next).forEach((k) => { if (next[k] === null || next[k] === undefined || next[k] === "") delete next[k]; });
    return PJ.url(path || window.location.pathname, next);
  };

  // The "N rows, newest first; truncated" line under a list's filter bar.
  PJ.listSummary = function (ctx, meta, noun) {
    const m = meta || {};
    const parts = [`${m.count !== undefined ? m.count : "?"} ${noun}`];
    if (m.window) parts.push(`from ${PJ.fmt.time(m.window.from)} to ${PJ.fmt.time(m.window.to)} UTC`);
    const $p = PJ.el("p", { class: "pj-listsummary" }, parts.join(", "));
    if (m.truncated) {
      const bigger = Math.min(10000, (m.limit || 100) * 10);
      $p.append(document.createTextNode(`; only the first ${m.limit}: `));
      $p.append(PJ.el("a", { href: PJ.withParams(ctx.params, { limit: bigger }) }, `show up to ${bigger}`));
    }
    return $p;
  };
});
