/* The API client: every figure on the page comes from /api/. A failed request is turned
   into {status, code, message, fields}, with the API's own message when it sent one. */
$(function () {
  "use strict";
  const PJ = window.PJ;

  function failure(xhr, textStatus) {
    const body = xhr.responseJSON;
    if (body && body.error && body.error.message) {
      return {
        status: xhr.status, code: body.error.code, message: body.error.message,
        fields: body.error.fields || {}, retryAfter: xhr.getResponseHeader("Retry-After"),
      };
    }
    if (xhr.status === 0) {
      return { status: 0, code: textStatus || "network", message: "The server did not answer (network error or timeout).", fields: {} };
    }
    return { status: xhr.status, code: "http_error", message: `The server answered ${xhr.status} ${xhr.statusText || ""}`.trim(), fields: {} };
  }

  // The rows of an answer carry the URL they came from (not enumerable: never drawn), so that
  // PJ.table can offer them as CSV: a list, or each list of an answer of lists (facets, errors).
  function markSource(body, url) {
    const data = body && body.data;
    const mark = (rows) => Object.defineProperty(rows, "pjSource", { value: url });
    // The answer too, for views that reshape its data into rows of their own (the matrix).
    if (body && typeof body === "object") mark(body);
    if (Array.isArray(data)) {
      mark(data);
    } else if (data && typeof data === "object") {
      const lists = Object.keys(data).map((k) => data[k]);
      if (lists.length && lists.every(Array.isArray)) lists.forEach(mark);
    }
    return body;
  }

  PJ.api = {
    // GET /api<path>?<params>; resolves with the decoded body ({data, meta}).
    get(path, params) {
      const url = PJ.url(`/api${path}`, params);
      return $.ajax({ url: url, dataType: "json", timeout: 120000, headers: { Accept: "application/json" } })
        .then(
          (body) => markSource(body, url),
          (xhr, textStatus) => $.Deferred().reject(failure(xhr, textStatus)).promise()
        );
    },
  };

  // The error box shown in place of a view's data.
  PJ.errorBox = function (err) {
    const $box = PJ.el("div", { class: "pj-error-box ui-state-error ui-corner-all", role: "alert" });
    const title = err.status ? `Error ${err.status}` : "Error";
    $box.append(PJ.el("strong", null, `${title}: `), PJ.el("span", { class: "pj-error-message" }, err.message));
    const fields = err.fields || {};
    const names = Object.keys(fields);
    if (names.length) {
      const $ul = PJ.el("ul");
      names.forEach((n) => $ul.append(PJ.el("li", null, `${n}: ${fields[n]}`)));
      $box.append($ul);
    }
    if (err.retryAfter) $box.append(PJ.el("div", null, `Try again in ${err.retryAfter} s.`));
    return $box;
  };
});
