/* The table helper: DataTables with client-side sorting and paging, rows drawn only when
   shown (deferRender), so a 10,000-row list stays responsive. Cells are filled with .text()
   or built <a> elements: DataTables never sees a value as HTML. The sort order and page
   are kept in history.state, so back/forward and Update come back to them. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  // columns: [{key, title, value(row), format(value, row), link(row), cls(row), type: "num"|"string", sortValue(row)}]
  // opts: {id, order: [[index, "asc"|"desc"]], pageLength, caption, emptyText, csv: API URL, footer: [cell per column]}
  PJ.table = function ($container, rows, columns, opts) {
    const options = opts || {};
    const $table = PJ.el("table", { class: "display compact pj-table" });
    const $tr = PJ.el("tr");
    columns.forEach((c) => $tr.append(PJ.el("th", c.help ? { title: c.help } : null, c.title || PJ.fmt.title(c.key))));
    $table.append(PJ.el("thead").append($tr));
    if (options.footer) {  // one cell per column: a text, or {text, href}
      const $foot = PJ.el("tr");
      options.footer.forEach((f) => $foot.append(PJ.el("th").append(f && f.href ? PJ.el("a", { href: f.href }, f.text) : document.createTextNode(f === null || f === undefined ? "" : String(f.text !== undefined ? f.text : f)))));
      $table.append(PJ.el("tfoot").append($foot));
    }
    $container.append($table);

    // The same answer as a CSV file, when the rows came straight from the API (PJ.api.get
    // marks them) or the view names the URL (opts.csv).
    const source = options.csv || rows.pjSource;
    if (source) {
      const href = `${source}${source.indexOf("?") < 0 ? "?" : "&"}format=csv`;
      $table.before(PJ.el("a", { class: "pj-csv ui-button ui-corner-all", href: href, download: "", title: "These rows as a CSV file" }, "CSV"));
    }
    const valueOf = (c, row) => (c.value ? c.value(row) : row[c.key]);
    const saved = options.id ? PJ.state.recall(`table:${options.id}`) : undefined;

    // A short table needs no paging or search box.
    const pageLength = (saved && saved.length) || options.pageLength || 50;
    const small = rows.length <= Math.min(pageLength, 25);
    const dt = new DataTable($table[0], {
      data: rows,
      paging: !small,
      info: !small,
      searching: !small,
      deferRender: true,
      autoWidth: false,
      pageLength: pageLength,
      lengthMenu: [10, 25, 50, 100, 500, 1000],
      order: (saved && saved.order) || options.order || [],
      search: { search: (saved && saved.search) || "" },
      language: { emptyTable: options.emptyText || "Nothing in this selection." },
      columns: columns.map((c) => ({
        data: null,
        type: c.type,
        // Sorting and searching use the raw value; the display is filled by createdCell.
        render(data, type, row) {
          if (type === "display") return "";
          const v = c.sortValue ? c.sortValue(row) : valueOf(c, row);
          if (type === "filter") return c.format ? c.format(v, row) : PJ.fmt.value(v);
          return v === null || v === undefined ? (c.type === "num" ? -Infinity : "") : v;
        },
        createdCell(td, cellData, row) {
          const v = valueOf(c, row);
          const text = c.format ? c.format(v, row) : PJ.fmt.value(v);
          const href = c.link ? c.link(row) : null;
          $(td).empty().append(href ? PJ.el("a", { href: href }, text) : document.createTextNode(text));
          if (c.cls) $(td).addClass(c.cls(row) || "");
          if (c.tooltip) $(td).attr("title", c.tooltip(row) || "");
        },
      })),
    });
    if (saved && saved.page) dt.page(saved.page).draw(false);
    fitWidth(dt, columns);
    if (options.id) {
      const save = () => PJ.state.remember(`table:${options.id}`, {
        order: dt.order(), page: dt.page(), length: dt.page.len(), search: dt.search(),
      });
      dt.on("order.dt page.dt length.dt search.dt", save);
    }
    return dt;
  };

  // A table wider than its box hides its last columns (never the first two, nor one marked
  // keep) until it fits; a note names them, and its button shows them again (the box then
  // scrolls sideways). A table drawn out of sight has no width yet and is left as it is.
  function fitWidth(dt, columns) {
    const box = $(dt.table().container()).find(".dt-layout-table")[0];
    if (!box || !box.clientWidth) return;
    const hidden = [];
    for (let i = columns.length - 1; i >= 2 && box.scrollWidth > box.clientWidth + 1; i--) {
      if (columns[i].keep) continue;
      dt.column(i).visible(false);
      hidden.unshift(columns[i].title || PJ.fmt.title(columns[i].key));
    }
    if (!hidden.length) return;
    const $note = PJ.el("div", { class: "pj-hidden-columns pj-muted" }, `Hidden to fit the page: ${hidden.join(", ")}. `);
    $note.append(PJ.el("button", { type: "button", class: "pj-show-columns" }, `show ${hidden.length === 1 ? "it" : "them"}`));
    $note.data("table", dt).insertBefore(box);
  }
  $(document).on("click", ".pj-show-columns", function () {
    const $note = $(this).closest(".pj-hidden-columns");
    $note.data("table").columns().visible(true);
    $note.remove();
  });

  // Rows with nested counts ({"pilots": {"by_state": {"running": 3}}}) as flat columns
  // ("pilots.by_state.running").
  function flatten(out, prefix, obj) {
    Object.keys(obj || {}).forEach(function (k) {
      const v = obj[k];
      const key = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(out, key, v);
      else if (!Array.isArray(v)) out[key] = v;
    });
    return out;
  }
  PJ.flatRows = function (data) {
    const rows = (Array.isArray(data) ? data : []).map((r) => flatten({}, "", r));
    if (data && data.pjSource) Object.defineProperty(rows, "pjSource", { value: data.pjSource });
    return rows;
  };

  // "pilots.by_state.running" -> "state: running"; "pilots.total" -> "pilots".
  PJ.columnTitle = function (key) {
    const parts = String(key).split(".").map((p) => p.replace(/^by_/, ""));
    if (parts.length === 1) return PJ.fmt.title(key);
    if (parts[parts.length - 1] === "total") return PJ.fmt.title(parts.slice(0, -1).join(" "));
    return PJ.fmt.title(parts.slice(-2).join(": "));
  };

  // Columns for rows of unknown shape: one per key of the first row, links by field name.
  PJ.autoColumns = function (rows, overrides) {
    const extra = overrides || {};
    const keys = [];
    (rows || []).slice(0, 2000).forEach((r) => Object.keys(r).forEach((k) => {
      if (keys.indexOf(k) < 0 && (r[k] === null || typeof r[k] !== "object")) keys.push(k);
    }));
    return keys.map((k) => $.extend({
      key: k,
      title: PJ.columnTitle(k),
      type: rows.some((r) => typeof r[k] === "number") ? "num" : undefined,
      link: (row) => PJ.link.field(k, row[k]),
      cls: /status|state$/.test(k) ? (row) => PJ.stateClass(row[k]) : undefined,
    }, extra[k] || {}));
  };
});
