// The studio's editor page: every change goes to the server at once, the preview and the
// check results come back over Server-Sent Events. No framework; htmx swaps the form after
// a section is added, moved or removed. Served from the package (no CDN, works offline).
"use strict";

(function () {
  const main = document.getElementById("main");
  const csrf = document.body.dataset.csrf;

  function post(url, body, extra) {
    const headers = Object.assign({ "X-CSRF-Token": csrf, Accept: "application/json" }, extra || {});
    if (typeof body === "string") headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", headers, body, credentials: "same-origin" });
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

  // -- a send in progress (the job page) -------------------------------------------------
  if (main && main.dataset.jobEvents) {
    const bar = document.getElementById("job-bar");
    const line = document.getElementById("job-line");
    const stream = new EventSource(main.dataset.jobEvents);
    stream.addEventListener("progress", (e) => {
      const s = JSON.parse(e.data);
      bar.max = s.total || 1;
      bar.value = s.done;
      line.textContent = line.dataset.line.replace("{done}", s.done).replace("{total}", s.total).replace("{rate}", s.rate)
        .replace("{failed}", s.failed).replace("{retrying}", s.retrying);
      // Waiting to retry temporary failures: say so, until when and why, instead of looking stuck.
      const waiting = document.getElementById("job-waiting");
      waiting.hidden = !s.waiting;
      document.getElementById("job-waiting-line").textContent = s.waiting ? waiting.dataset.waiting.replace("{n}", s.waiting).replace("{at}", s.retry_at) : "";
      document.getElementById("job-waiting-reason").textContent = s.waiting && s.retry_reason ? waiting.dataset.reason.replace("{reason}", s.retry_reason) : "";
    });
    stream.addEventListener("done", () => { stream.close(); location.reload(); });
  }

  if (!main || !main.classList.contains("editor-page")) return;

  const edition = main.dataset.edition;
  const fieldUrl = `/issues/${main.dataset.slug}/${edition}/field`;
  const statusBox = document.getElementById("save-status");
  let version = 0;
  let rendered = 0;
  let lastSummary = null;
  let latest = null;  // this edition's email of the newest render, as its event brought it: { rendered, html }
  let dirty = statusBox && statusBox.textContent.trim() === statusBox.dataset.dirty;

  function setStatus(kind) {
    if (!statusBox) return;
    statusBox.textContent = statusBox.dataset[kind];
    dirty = kind === "dirty";
  }

  // -- sending changes: in order, one at a time, the newest value of each field ---------
  const queue = new Map();
  let sending = false;
  function send(path, payload) {
    queue.delete(path);
    queue.set(path, payload);
    setStatus("dirty");
    flush();
  }
  window.StudioSend = send;
  async function flush() {
    if (sending) return;
    sending = true;
    try {
      while (queue.size) {
        const [path, payload] = queue.entries().next().value;
        queue.delete(path);
        let response;
        try {
          response = await post(fieldUrl, JSON.stringify(Object.assign({ path }, payload)));
        } catch (err) {  // the studio is not answering (stopped): say so instead of failing unseen
          showOffline("stopped");
          queue.clear();
          break;
        }
        if (!response.ok) {
          const body = await response.json().catch(() => ({}));
          if (response.status === 401 && body.signed_out) {  // the session ended: say why, once, for the page
            showSignedOut(body.error);
            queue.clear();
            break;
          }
          showFieldError(path, body.error || response.statusText);
        }
      }
    } finally {
      sending = false;
    }
  }
  function showFieldError(path, message) {
    const box = document.querySelector(`[data-problems-for="${CSS.escape(path)}"]`);
    if (box) box.textContent = message;
  }

  function valueOf(el) {
    return el.type === "checkbox" ? el.checked : el.value;
  }
  document.addEventListener("input", (e) => {
    const el = e.target;
    if (!el.dataset || !el.dataset.path || el.closest(".richtext.enhanced:not(.show-source)") && el.classList.contains("source")) return;
    if (el.type === "file") return;
    send(el.dataset.path, { value: valueOf(el) });
  });
  document.addEventListener("change", (e) => {
    const el = e.target;
    if (el.dataset && el.dataset.path && (el.type === "checkbox" || el.tagName === "SELECT")) send(el.dataset.path, { value: valueOf(el) });
  });

  // -- saving --------------------------------------------------------------------------
  const saveButton = document.getElementById("save");
  async function save() {
    await waitForQueue();
    setStatus("saving");
    const response = await post(saveButton.dataset.save, null);
    if (response.status === 409) {
      const body = await response.json();
      showConflict(body.error + ". " + (body.hint || ""));
      setStatus("dirty");
      return;
    }
    if (!response.ok) {
      // A write the computer refused (full disk, no permission): say so beside Save; the changes stay unsaved.
      const body = await response.json().catch(() => ({}));
      setStatus("dirty");
      if (statusBox) statusBox.textContent = body.error || `${statusBox.dataset.dirty} (${response.status} ${response.statusText})`;
      return;
    }
    setStatus("saved");
  }
  function waitForQueue() {
    return new Promise((resolve) => {
      const check = () => (queue.size || sending ? setTimeout(check, 20) : resolve());
      check();
    });
  }
  window.StudioSettled = waitForQueue;
  if (saveButton) saveButton.addEventListener("click", save);
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") { e.preventDefault(); save(); }
  });
  window.addEventListener("beforeunload", (e) => { if (dirty) { e.preventDefault(); e.returnValue = ""; } });

  // -- conflicts with the file on disk --------------------------------------------------
  const conflict = document.getElementById("conflict");
  function showConflict(text) {
    document.getElementById("conflict-text").textContent = text;
    conflict.hidden = false;
  }

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
      fetch(url, { credentials: "same-origin" }).then((r) => r.text()).then((html) => swapIn(frame, html, wanted));
      return;
    }
    const pre = panel.querySelector("pre[data-src]");
    if (pre && Number(pre.dataset.shown || 0) < wanted) {
      fetch(pre.dataset.src + "?v=" + wanted, { credentials: "same-origin" }).then((r) => r.text()).then((text) => {
        if (Number(pre.dataset.shown || 0) >= wanted) return;
        pre.textContent = text;
        shown(pre, wanted);
      });
    }
  }
  const tablist = document.querySelector(".preview-pane [role=tablist]");
  if (tablist) setUpTabs(tablist, () => refreshPanel(visiblePanel()));

  function onPreview(summary) {
    version = summary.version;
    rendered = summary.rendered;
    if (typeof summary.html === "string") latest = { rendered: summary.rendered, html: summary.html };
    lastSummary = summary;
    main.dataset.version = String(version);
    const state = document.getElementById("preview-state");
    if (state) state.textContent = summary.ok ? state.dataset.ok : summary.stale ? state.dataset.stale : state.dataset.failed + " " + (summary.error || "");
    placeProblems(summary);
    refreshPanel(visiblePanel());
    if (!summary.dirty.includes(edition) && !queue.size && !sending && dirty && statusBox.textContent === statusBox.dataset.dirty) {
      // another page of this issue saved it
      setStatus("clean");
    }
  }

  // -- the studio stopping (Ctrl-C in its terminal) and starting again ------------------------
  // Its unsaved changes are kept on the server when it stops (studio/recovery.py); this page
  // can no longer send anything (its session ended with the server): say what happened and what to do.
  // A studio that answers but has ended this page's session (idle too long, restarted, the account
  // removed or its password changed) says why (GET /session); the page offers to sign in again.
  const offline = document.getElementById("offline");
  function showOffline(state, text) {
    if (!offline) return;
    if (offline.dataset.state === "signed-out") return;  // nothing more to say until the officer signs in
    document.getElementById("offline-text").textContent = text || offline.dataset[state];
    document.getElementById("offline-sign-in").hidden = state !== "signed-out";
    offline.dataset.state = state;
    offline.hidden = false;
    if (state === "back") dirty = false;  // the changes are on the server, kept: reloading loses nothing
  }
  function showSignedOut(text) {
    showOffline("signed-out", text);
    events.close();
  }
  async function whyOffline() {
    try {
      const response = await fetch("/session", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const body = await response.json();
      if (body.signed_in === false) { showSignedOut(body.error); return; }
      if (!response.ok && body.error) { showOffline("stopped", body.error); return; }  // e.g. its accounts cannot be read now
    } catch (err) { /* not answering: stopped */ }
    showOffline("stopped");
  }
  const events = new EventSource(main.dataset.events + "?lang=" + encodeURIComponent(edition));
  events.addEventListener("error", whyOffline);
  events.addEventListener("open", () => { if (offline && offline.dataset.state === "stopped") showOffline("back"); });
  events.addEventListener("preview", (e) => onPreview(JSON.parse(e.data)));
  events.addEventListener("disk", (e) => {
    const info = JSON.parse(e.data);
    if (info.language !== edition) return;
    if (info.state === "reloaded") { dirty = false; location.reload(); return; }
    showConflict(conflict.dataset[info.state]);
  });
  events.addEventListener("saved", (e) => {
    const info = JSON.parse(e.data);
    if (info.language === edition && !queue.size && !sending) setStatus("saved");
  });

  // -- structure changes: htmx replaces the form (a section or item added, moved, removed; a group
  // added or removed) --------------------------------------------------------------------------
  // htmx binds the new form's buttons only when the swap settles (after its settle delay, 20 ms by
  // default, set to 0 in base.html.j2's htmx-config so swap and settle are one task). Focus and the
  // announcement therefore move on htmx:afterSettle: a control never has the focus before it works
  // (a key pressed in between went to a dead button, and the officer's second Enter was lost).
  // From a press until the new form has settled, the form on screen is stale: its controls name
  // items by positions that are changing. So meanwhile presses of the control whose change is under
  // way are kept and repeated on the control that took its place (where the focus went: pressing
  // Enter twice quickly moves a section twice, as pressing it slowly does); every other click and
  // every typed character in the stale form is refused, never applied to the wrong item.
  let busy = null;    // the control whose change is under way, until its new form has settled
  let repeats = 0;    // presses of ``busy`` meanwhile, to repeat on its successor
  let replaying = false;
  const structural = (el) => el instanceof Element && el.matches('[hx-target="#fields"]');
  function inStaleForm(el) {
    const fields = document.getElementById("fields");
    return busy !== null && fields !== null && el instanceof Node && fields.contains(el);
  }
  function setBusy(control) {
    busy = control;
    const fields = document.getElementById("fields");
    if (fields) fields.setAttribute("aria-busy", "true");
  }
  function settled() {
    busy = null;
    const fields = document.getElementById("fields");
    if (fields) fields.removeAttribute("aria-busy");
  }
  document.addEventListener("click", (e) => {
    if (replaying || !inStaleForm(e.target)) return;
    e.preventDefault();  // also keeps a checkbox of the stale form as it was
    e.stopImmediatePropagation();  // a capturing listener on the document: htmx's own never sees it
    if (e.target.closest && e.target.closest('[hx-target="#fields"]') === busy) repeats += 1;
  }, true);
  function refuse(e) {
    if (!inStaleForm(e.target)) return;
    e.preventDefault();
    e.stopImmediatePropagation();
  }
  // input and change cannot be undone, but are not sent: a choice made or a file picked in the
  // stale form would land on the item that now has its position.
  for (const type of ["beforeinput", "input", "change", "paste", "cut", "drop"]) document.addEventListener(type, refuse, true);
  document.addEventListener("keydown", (e) => {
    // Keys that edit (the rich-text editor's Enter, Backspace, Ctrl+B, Ctrl+Z act on keydown); Tab
    // still moves, Ctrl+S still saves, Enter and Space on a button still press it (see above).
    const el = e.target;
    const editing = el instanceof Element && (el.isContentEditable || el.matches("input, textarea, select"));
    const saving = (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s";
    if (editing && e.key !== "Tab" && !saving) refuse(e);
  }, true);

  document.body.addEventListener("htmx:beforeRequest", (e) => {
    const control = e.detail.elt;
    if (!structural(control)) return;
    setBusy(control);
    // Structure changes go after the field changes typed before them.
    if (queue.size || sending) {
      e.preventDefault();
      waitForQueue().then(() => {
        replaying = true;
        try { htmx.trigger(control, "click"); } finally { replaying = false; }
      });
    }
  });
  document.body.addEventListener("htmx:afterRequest", (e) => {
    // htmx fires this on the control; it reaches the page only if the control is still in it, so
    // when nothing was swapped (refused, failed, no answer): the form on screen is current again.
    if (structural(e.detail.elt)) { repeats = 0; settled(); }
  });
  document.body.addEventListener("htmx:afterSettle", (e) => {
    const fields = document.getElementById("fields");
    if (!fields || !fields.contains(e.detail.elt) && e.detail.elt !== fields) return;
    if (window.StudioRichText) window.StudioRichText.init(fields);
    placed = null;  // new fields: place the findings again
    if (lastSummary) placeProblems(lastSummary);
    setStatus("dirty");
    const again = repeats;
    repeats = 0;
    settled();
    const announce = document.getElementById("announce");
    if (fields.dataset.announce) announce.textContent = fields.dataset.announce;
    const target = fields.dataset.focus && document.getElementById(fields.dataset.focus);
    if (target) target.focus();
    const next = document.activeElement;
    if (again && structural(next) && fields.contains(next) && !next.disabled) {
      next.click();  // the repeated press: a new change under way, its own repeats follow it
      if (busy === next) repeats = again - 1;
    }
  });

  // -- pictures: drop or pick --------------------------------------------------------------
  async function upload(path, file, zone) {
    const status = zone.querySelector(".upload-status");
    status.textContent = "…";
    const body = new FormData();
    body.append("path", path);
    body.append("file", file);
    const response = await post(`/issues/${main.dataset.slug}/${edition}/image`, body);
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      status.textContent = `${answer.error || response.statusText}${answer.hint ? " — " + answer.hint : ""}`;
      return;
    }
    status.textContent = answer.src;
    const src = document.querySelector(`[data-path="${CSS.escape(path + ".src")}"]`);
    if (src) src.value = answer.src;
    const group = zone.closest(".picture");
    let thumb = group.querySelector("img.thumb");
    if (!thumb) { thumb = document.createElement("img"); thumb.className = "thumb"; thumb.alt = ""; zone.before(thumb); }
    thumb.src = answer.thumb + "?t=" + Date.now();
    setStatus("dirty");
  }
  document.addEventListener("change", (e) => {
    const input = e.target;
    if (input.type === "file" && input.dataset.uploadFor && input.files.length) upload(input.dataset.uploadFor, input.files[0], input.closest(".dropzone"));
  });
  document.addEventListener("dragover", (e) => { const zone = e.target.closest && e.target.closest(".dropzone"); if (zone) { e.preventDefault(); zone.classList.add("over"); } });
  document.addEventListener("dragleave", (e) => { const zone = e.target.closest && e.target.closest(".dropzone"); if (zone) zone.classList.remove("over"); });
  document.addEventListener("drop", (e) => {
    const zone = e.target.closest && e.target.closest(".dropzone");
    if (!zone) return;
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files.length) upload(zone.dataset.upload, e.dataTransfer.files[0], zone);
  });
})();
