// The editor's check results and live preview (edit.html.j2, side.html.j2): each render's event (editor.js listens)
// brings the findings, placed at the fields they concern, and the email, swapped into the visible preview in place.
// ``StudioPreview(main, edition, showTrouble)`` sets up the page's preview; editor.js calls it.
"use strict";

window.StudioPreview = function (main, edition, showTrouble) {
  const TIMEOUT_MS = window.Studio.TIMEOUT_MS;
  let rendered = 0;
  let lastSummary = null;
  let latest = null;  // this edition's email of the newest render, as its event brought it: { rendered, html }

  // -- check results at their fields -----------------------------------------------------
  function fieldBox(path) {
    let parts = path ? path.split(".") : [];
    for (;;) {
      const box = document.querySelector(`[data-problems-for="${CSS.escape(parts.join("."))}"]`);
      if (box || !parts.length) return box;
      parts = parts.slice(0, -1);
    }
  }
  let placed = null;  // the findings and state last placed (typing re-sends the same ones with each render)
  function placeProblems(summary) {
    const state = JSON.stringify([summary.checking, summary.problems]);
    if (summary.checking && state === placed) return;
    placed = state;
    for (const box of document.querySelectorAll("[data-problems-for]")) box.replaceChildren();
    for (const el of document.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute("aria-invalid");
    const list = document.getElementById("check-list");
    const section = document.getElementById("check-summary");
    list.replaceChildren();
    let errors = 0, warnings = 0;
    for (const p of summary.problems) {
      if (p.severity === "error") errors += 1; else warnings += 1;
      const mine = p.language === edition;
      const item = document.createElement("li");
      item.className = p.severity;
      if (mine) {
        const box = fieldBox(p.path);
        const note = document.createElement("p");
        note.className = p.severity;
        note.textContent = `${p.message}${p.hint ? " — " + p.hint : ""}`;
        if (box) box.appendChild(note);
        const control = document.querySelector(`[data-path="${CSS.escape(p.path)}"]`);
        if (control && p.severity === "error") control.setAttribute("aria-invalid", "true");
        const link = document.createElement("a");
        link.href = "#" + (control ? control.id : "fields");
        link.textContent = p.message;
        link.addEventListener("click", (e) => { e.preventDefault(); focusField(p.path, control); });
        item.appendChild(link);
      } else {
        // Another edition, the brand or the set-up: where, in the form's words (a link when the studio can mend it).
        const where = document.createElement(p.href ? "a" : "span");
        if (p.href) where.href = p.href;
        where.textContent = p.where;
        item.append(where, `: ${p.message}${p.hint ? " — " + p.hint : ""}`);
      }
      list.appendChild(item);
    }
    const counts = document.getElementById("check-counts");
    // While the check of the newest text runs, the last findings stay at their fields, but no count is claimed.
    counts.textContent = summary.checking
      ? section.dataset.wait
      : errors + warnings
        ? section.dataset.counts.replace("{errors}", plural(section.dataset.errors, errors)).replace("{warnings}", plural(section.dataset.warnings, warnings))
        : section.dataset.none;
    if (!summary.checking) main.dataset.checkedVersion = String(summary.version);
  }
  // A count in words: the catalog's CLDR plural forms (JSON in a data attribute), chosen for the page's language.
  function plural(formsJson, n) {
    const forms = JSON.parse(formsJson);
    const form = forms[new Intl.PluralRules(document.documentElement.lang || "en").select(n)] || forms.other;
    return form.replace("{n}", n);
  }
  function focusField(path, control) {
    const rich = document.querySelector(`.richtext[data-path="${CSS.escape(path)}"] .ProseMirror`);
    const target = rich && !rich.closest(".show-source") ? rich : control;
    if (target) { target.scrollIntoView({ block: "center" }); target.focus(); }
  }

  // -- the preview -------------------------------------------------------------------------
  function visiblePanel() {
    return Array.from(document.querySelectorAll(".preview-pane [role=tabpanel]")).find((p) => !p.hidden);
  }
  // ``rendered`` counts the renders (a check's findings arrive as a second event of the same render:
  // the email is not fetched again for them).
  function shown(el, wanted) {
    el.dataset.shown = String(wanted);
    main.dataset.previewVersion = String(Math.max(wanted, Number(main.dataset.previewVersion || 0)));
  }
  function swapIn(frame, html, wanted) {
    if (Number(frame.dataset.shown || 0) >= wanted) return;
    // Parsed by the frame's own DOMParser, so under the frame's policy (the email's inline
    // styles allowed), not the studio page's (which would drop every style attribute).
    const fresh = new frame.contentWindow.DOMParser().parseFromString(html, "text/html");
    const scroll = frame.contentWindow.scrollY || 0;
    morph(frame.contentDocument.documentElement, fresh.documentElement);
    frame.contentWindow.scrollTo(0, scroll);
    shown(frame, wanted);
  }
  // Make the shown node ``into`` equal to the freshly parsed ``from``, touching only what differs:
  // a key changes a few words, and the browser then restyles and lays out those, not the whole
  // email (half the cost of swapping the document). Equal subtrees are skipped by the browser's
  // own comparison; nodes of another kind and child lists of another length are replaced whole,
  // so the result is always the fresh document.
  function morph(into, from) {
    if (into.isEqualNode(from)) return;
    if (into.nodeType !== from.nodeType || into.nodeName !== from.nodeName) {
      into.replaceWith(into.ownerDocument.adoptNode(from));
      return;
    }
    if (into.nodeType !== Node.ELEMENT_NODE) {
      if (into.nodeValue !== from.nodeValue) into.nodeValue = from.nodeValue;
      return;
    }
    for (const name of into.getAttributeNames()) if (!from.hasAttribute(name)) into.removeAttribute(name);
    for (const name of from.getAttributeNames()) {
      const value = from.getAttribute(name);
      if (into.getAttribute(name) !== value) into.setAttribute(name, value);
    }
    const fresh = Array.from(from.childNodes);
    const old = into.childNodes;
    if (old.length !== fresh.length) {
      into.replaceChildren(...fresh.map((node) => into.ownerDocument.adoptNode(node)));
      return;
    }
    for (let i = 0; i < fresh.length; i += 1) morph(old[i], fresh[i]);
  }
  function refreshPanel(panel) {
    if (!panel || !rendered) return;
    const wanted = rendered;
    const frame = panel.querySelector("iframe");
    if (frame) {
      if (Number(frame.dataset.shown || 0) >= wanted || Number(frame.dataset.fetching || 0) >= wanted) return;
      const url = frame.dataset.src + (frame.dataset.src.includes("?") ? "&" : "?") + "v=" + wanted;
      if (!frame.dataset.shown) {  // the first time, the frame loads the page
        frame.dataset.fetching = String(wanted);
        frame.addEventListener("load", () => shown(frame, wanted), { once: true });
        frame.src = url;
        return;
      }
      // Then the new email replaces the frame's document in place: no navigation, no reload of
      // the pictures, the reader's scroll position kept (what makes typing feel live). The
      // render's event brought it (the light views); the dark view asks for its own.
      if (latest && latest.rendered === wanted && !frame.dataset.src.includes("view=")) {
        swapIn(frame, latest.html, wanted);
        return;
      }
      frame.dataset.fetching = String(wanted);
      fetchText(url).then((html) => swapIn(frame, html, wanted)).catch(() => {
        delete frame.dataset.fetching;  // asked again with the next render
      });
      return;
    }
    const pre = panel.querySelector("pre[data-src]");
    if (pre && Number(pre.dataset.shown || 0) < wanted) {
      fetchText(pre.dataset.src + "?v=" + wanted).then((text) => {
        if (Number(pre.dataset.shown || 0) >= wanted) return;
        pre.textContent = text;
        shown(pre, wanted);
      }).catch(() => {});
    }
  }
  // A preview's text; when the studio does not answer (or answers an error) the view stays as it was,
  // the top of the page says why, and the next render asks again.
  function fetchText(url) {
    const signal = AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT_MS) : undefined;
    return fetch(url, { credentials: "same-origin", signal }).then(
      (r) => {
        if (!r.ok) { showTrouble("preview", `${r.status} ${r.statusText}`); throw new Error(String(r.status)); }
        return r.text();
      },
      (err) => { showTrouble("preview"); throw err; },
    );
  }
  const tablist = document.querySelector(".preview-pane [role=tablist]");
  if (tablist) window.StudioTabs(tablist, () => refreshPanel(visiblePanel()));

  // A render's event: its findings at their fields, its email in the visible view.
  function show(summary) {
    rendered = summary.rendered;
    if (typeof summary.html === "string") latest = { rendered: summary.rendered, html: summary.html };
    lastSummary = summary;
    main.dataset.version = String(summary.version);
    const state = document.getElementById("preview-state");
    if (state) state.textContent = summary.ok ? state.dataset.ok : summary.stale ? state.dataset.stale : state.dataset.failed + " " + (summary.error || "");
    placeProblems(summary);
    refreshPanel(visiblePanel());
  }
  // The form was replaced (a section added, moved, removed): place the last findings at its new fields.
  function placeAgain() {
    placed = null;
    if (lastSummary) placeProblems(lastSummary);
  }
  return { show, placeAgain };
};
