// The studio's script of every page: requests to the studio (its CSRF token, the draft's revision a page saw) and
// tabs. The editor (editor*.js) and a send's progress page (studio-send.js) build on it. No framework; htmx swaps
// the editor's form after a section is added, moved or removed. Served from the package (no CDN, works offline).
"use strict";

(function () {
  const main = document.getElementById("main");
  // A request the studio does not answer within this long is taken as not answered (it stays to be sent
  // again): a field change or a save takes milliseconds, a render a second on a slow machine.
  const TIMEOUT_MS = 30000;
  // What the editor's scripts share: ``csrf`` (the session's token; a studio started again gives another) and
  // ``seen``, which draft revision this page has seen (studio/workspace.py): the studio refuses a change or a
  // save from a page that missed another tab's change. Each page load is a page of its own (``pageId``).
  const Studio = {
    TIMEOUT_MS,
    UPLOAD_TIMEOUT_MS: 120000,
    csrf: document.body.dataset.csrf,
    pageId: window.crypto && crypto.randomUUID ? crypto.randomUUID() : Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(16)).join(""),
    seen: main && main.dataset.revision !== undefined ? Number(main.dataset.revision) : null,
    post,
    noteRevision,
    number,
  };
  window.Studio = Studio;

  // A number with ``digits`` decimals (one by default) and the page language's decimal mark ("0,1" in sl): the twin of
  // the pages' ``Words.number`` (studio/i18n.py), for figures a page updates itself. The mark is the page's own
  // (``<body data-decimal-mark>``, from the catalog's ``decimal_mark``).
  function number(value, digits) {
    const mark = document.body.dataset.decimalMark || ".";
    return Number(value).toFixed(digits === undefined ? 1 : digits).replace(".", mark);
  }

  function post(url, body, extra, timeout) {
    const headers = Object.assign({ "X-CSRF-Token": Studio.csrf, Accept: "application/json" }, extra || {});
    if (Studio.seen !== null) Object.assign(headers, { "X-Studio-Page": Studio.pageId, "X-Studio-Seen": String(Studio.seen) });
    if (typeof body === "string") headers["Content-Type"] = "application/json";
    const signal = AbortSignal.timeout ? AbortSignal.timeout(timeout || TIMEOUT_MS) : undefined;
    return fetch(url, { method: "POST", headers, body, credentials: "same-origin", signal }).then((response) => {
      noteRevision(response);
      return response;
    });
  }
  // An accepted change names the draft's revision after it: this page has seen everything up to it.
  function noteRevision(response) {
    const revision = response.headers.get("X-Studio-Revision");
    if (response.ok && revision !== null && Studio.seen !== null) Studio.seen = Math.max(Studio.seen, Number(revision));
  }

  // -- tabs (WAI-ARIA tabs pattern: arrows move, Home/End jump) --------------------------
  function setUpTabs(list, onShow) {
    const tabs = Array.from(list.querySelectorAll('[role="tab"]'));
    function show(tab, focus) {
      for (const other of tabs) {
        const selected = other === tab;
        other.setAttribute("aria-selected", String(selected));
        other.tabIndex = selected ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
      }
      if (focus) tab.focus();
      if (onShow) onShow(tab);
    }
    list.addEventListener("click", (e) => { const tab = e.target.closest('[role="tab"]'); if (tab) show(tab, false); });
    list.addEventListener("keydown", (e) => {
      const index = tabs.indexOf(document.activeElement);
      if (index < 0) return;
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
      if (!(e.key in moves)) return;
      e.preventDefault();
      show(tabs[(moves[e.key] + tabs.length) % tabs.length], true);
    });
  }
  window.StudioTabs = setUpTabs;
})();
