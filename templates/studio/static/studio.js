// The studio's editor page: every change goes to the server at once, the preview and the
// check results come back over Server-Sent Events. No framework; htmx swaps the form after
// a section is added, moved or removed. Served from the package (no CDN, works offline).
"use strict";

(function () {
  const main = document.getElementById("main");
  let csrf = document.body.dataset.csrf;
  // A request the studio does not answer within this long is taken as not answered (it stays to be sent
  // again): a field change or a save takes milliseconds, a render a second on a slow machine.
  const TIMEOUT_MS = 30000;
  const UPLOAD_TIMEOUT_MS = 120000;
  // Which draft this page edits as of which revision (studio/workspace.py): the studio refuses a change or a
  // save from a page that missed another tab's change. Each page load is a page of its own.
  const pageId = window.crypto && crypto.randomUUID ? crypto.randomUUID() : Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(16)).join("");
  let seen = main && main.dataset.revision !== undefined ? Number(main.dataset.revision) : null;

  function post(url, body, extra, timeout) {
    const headers = Object.assign({ "X-CSRF-Token": csrf, Accept: "application/json" }, extra || {});
    if (seen !== null) Object.assign(headers, { "X-Studio-Page": pageId, "X-Studio-Seen": String(seen) });
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
    if (response.ok && revision !== null && seen !== null) seen = Math.max(seen, Number(revision));
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
    // The connection to the studio: EventSource reconnects by itself; say meanwhile that what is shown may be
    // old, and if the studio came back without this send (restarted), where to look instead.
    const connection = document.getElementById("job-connection");
    stream.addEventListener("error", () => {
      if (!connection) return;
      connection.textContent = stream.readyState === EventSource.CLOSED ? connection.dataset.gone : connection.dataset.lost;
      connection.hidden = false;
    });
    stream.addEventListener("open", () => { if (connection) { connection.textContent = ""; connection.hidden = true; } });
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
    // The send ended: reload to show how. A send ended because the studio is stopping (its sends are given
    // back) comes with a studio that no longer answers: then the page stays and the stream's error says so.
    stream.addEventListener("done", () => {
      fetch(location.href, { credentials: "same-origin" }).then((r) => {
        if (!r.ok) throw new Error(String(r.status));
        stream.close();
        location.reload();
      }).catch(() => {});
    });
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
  const discardButton = document.getElementById("discard");

  function setStatus(kind) {
    if (!statusBox) return;
    statusBox.textContent = statusBox.dataset[kind];
    dirty = kind === "dirty";
    if (discardButton) discardButton.hidden = kind === "clean" || kind === "saved";
  }

  // -- what this page changed since the file it shows was read or saved ------------------
  // Kept so that a studio started again after it was killed (its drafts gone with it) gets them again:
  // replayed in order onto the file, they make the draft this page shows. Only while the page started
  // from the file itself (no unsaved changes of an earlier page under it) and nothing was done that
  // cannot be sent again (a picture uploaded).
  let changes = [];      // { path, payload } of a field, or { url, body } of a structure change, in order
  let sealed = 0;        // changes before this index are in a save under way: never merged into
  let replayable = !dirty && !document.getElementById("kept");
  let stamp = main.dataset.stamp || "";
  function remember(change) {
    const last = changes.length > sealed ? changes[changes.length - 1] : null;
    if (change.path && last && last.path === change.path) changes[changes.length - 1] = change;  // typing in one field
    else changes.push(change);
  }

  // -- sending changes: in order, one at a time, the newest value of each field ---------
  const queue = new Map();
  let sending = false;
  let failed = false;     // a change could not be sent: it waits in the queue until the studio answers again
  let refused = false;    // another tab changed the draft: nothing more is sent from this page
  let signedOut = false;  // the session ended (idle, account changed, studio restarted): nothing more is sent
  function send(path, payload) {
    queue.delete(path);
    queue.set(path, payload);
    remember({ path, payload });
    setStatus("dirty");
    flush();
  }
  window.StudioSend = send;
  async function flush() {
    if (sending || failed || refused || signedOut) return;
    sending = true;
    try {
      while (queue.size && !failed && !refused && !signedOut) {
        const [path, payload] = queue.entries().next().value;
        let response;
        try {
          response = await post(fieldUrl, JSON.stringify(Object.assign({ path }, payload)));
        } catch (err) {  // no answer (stopped, killed, timed out): say so; the change stays queued to be sent again
          unanswered("unsent");
          break;
        }
        const again = response.status === 403 || response.status >= 500;  // not taken: to be sent again
        if (!again && queue.get(path) === payload) queue.delete(path);  // a newer value typed meanwhile is still to go
        if (!response.ok) await refusedChange(response, path);
      }
    } finally {
      sending = false;
    }
  }
  // A change or save the studio answered with an error: a value it refuses is said at its field; another
  // tab's change, a lost session (the studio restarted), a session ended (signed out: said why, with a
  // link to sign in) or a failure of the studio is said at the top.
  async function refusedChange(response, path) {
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 && body.signed_out) {
      showSignedOut(body.error);
    } else if (response.status === 409 && body.conflict === "tab") {
      tabConflict();
    } else if (response.status === 400 && path) {
      showFieldError(path, body.error || response.statusText);
    } else if (response.status === 403 || response.status >= 500) {
      unanswered("answer", body.error || `${response.status} ${response.statusText}`);
    } else {
      showTrouble("answer", body.error || `${response.status} ${response.statusText}`);
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
  let saveWanted = false;  // Save was pressed and has not gone through: done when the studio answers again
  async function save() {
    saveWanted = true;
    await waitForQueue();
    if (failed || refused || signedOut) return;  // said at the top; saved once the changes before it went through
    setStatus("saving");
    const upTo = changes.length;
    sealed = upTo;
    let response;
    try {
      response = await post(saveButton.dataset.save, null);
    } catch (err) {
      sealed = 0;
      setStatus("dirty");
      unanswered("unsent");
      return;
    }
    sealed = 0;
    if (response.status === 401) {  // signed out meanwhile: said at the top; nothing more is sent from this page
      const body = await response.json().catch(() => ({}));
      setStatus("dirty");
      if (body.signed_out) { saveWanted = false; showSignedOut(body.error); return; }
      unanswered("answer", body.error || `${response.status} ${response.statusText}`);
      return;
    }
    if (response.status === 409) {
      const body = await response.json().catch(() => ({}));
      saveWanted = false;
      setStatus("dirty");
      if (body.conflict === "tab") tabConflict();
      else showConflict(body.error + ". " + (body.hint || ""));
      return;
    }
    if ([403, 502, 503, 504].includes(response.status)) {  // the session is gone (studio restarted) or a proxy got no answer
      const body = await response.json().catch(() => ({}));
      setStatus("dirty");
      unanswered("answer", body.error || `${response.status} ${response.statusText}`);
      return;
    }
    saveWanted = false;
    if (!response.ok) {
      // A write the computer refused (full disk, no permission): say so beside Save; the changes stay unsaved.
      const body = await response.json().catch(() => ({}));
      setStatus("dirty");
      if (statusBox) statusBox.textContent = body.error || `${statusBox.dataset.dirty} (${response.status} ${response.statusText})`;
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (body.stamp) stamp = body.stamp;
    changes = changes.slice(upTo);  // what was typed while saving is still unsaved
    if (!changes.length) replayable = true;  // the page shows the file again: what follows can be replayed onto it
    setStatus(changes.length || queue.size ? "dirty" : "saved");
  }
  // Resolves once every change typed so far reached the studio (true), or could not (false: the page says why).
  function waitForQueue() {
    return new Promise((resolve) => {
      const check = () => ((queue.size && !failed && !refused && !signedOut) || sending
        ? setTimeout(check, 20) : resolve(!queue.size && !failed && !refused && !signedOut));
      check();
    });
  }
  window.StudioSettled = waitForQueue;
  if (saveButton) saveButton.addEventListener("click", save);
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") { e.preventDefault(); save(); }
  });
  window.addEventListener("beforeunload", (e) => { if (dirty) { e.preventDefault(); e.returnValue = ""; } });

  // -- "Discard my changes": asked in a dialog (Escape or Cancel keeps them), then the edition is read again
  const discardDialog = document.getElementById("discard-dialog");
  if (discardButton && discardDialog) {
    discardButton.addEventListener("click", () => discardDialog.showModal());
    document.getElementById("discard-no").addEventListener("click", () => { discardDialog.close(); discardButton.focus(); });
    discardDialog.querySelector("form").addEventListener("submit", () => { dirty = false; });  // leaving is what was asked
  }

  // -- conflicts with the file on disk --------------------------------------------------
  const conflict = document.getElementById("conflict");
  function showConflict(text, tab) {
    document.getElementById("conflict-text").textContent = text;
    const fromDisk = document.getElementById("conflict-disk");
    const reloadPage = document.getElementById("conflict-page");
    if (fromDisk && reloadPage) { fromDisk.hidden = !!tab; reloadPage.hidden = !tab; }
    conflict.hidden = false;
  }
  // Another tab or window changed this edition's draft since this page showed it: this page sends nothing
  // more (it would save what it never showed); what was typed here stays on screen until the officer reloads.
  function tabConflict() {
    refused = true;
    showConflict(conflict.dataset.tab, true);
  }
  const reloadPageButton = document.getElementById("conflict-page");
  if (reloadPageButton) reloadPageButton.addEventListener("click", () => { dirty = false; location.reload(); });

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
    if (!summary.dirty.includes(edition) && !queue.size && !sending && !failed && !refused && dirty && statusBox.textContent === statusBox.dataset.dirty) {
      // another page of this issue saved it
      setStatus("clean");
    }
  }

  // -- the studio not answering, stopping (Ctrl-C), killed, and starting again ----------------
  // One banner (role=alert) at the top says what is wrong and what to do, in the officer's words. Nothing
  // typed is dropped: what could not be sent waits in the queue; Save pressed meanwhile is done later.
  // When the same studio answers again, it all goes at once. When another studio process answers (it was
  // started again: this page's session and the drafts died with the old one), this page gets a session
  // again and, when it can, sends its changes again onto the file (``changes``); else it says to reload.
  // A studio that answers but has ended this page's session (idle too long, restarted with accounts, the
  // account removed or its password changed) says why (a 401 naming ``signed_out``, or GET /session): the
  // banner says so with a link to sign in again; nothing more is sent and no weaker message replaces it.
  const offline = document.getElementById("offline");
  const offlineText = document.getElementById("offline-text");
  const signInLink = document.getElementById("offline-sign-in");
  const retryButton = document.getElementById("offline-retry");
  const reloadButton = document.getElementById("offline-reload");
  // A stronger message is not replaced by a weaker one.
  const RANK = { preview: 1, lost: 2, stopped: 3, unsentStructure: 4, unsentPicture: 4, answer: 4, source: 4, unsent: 5 };
  let instance = main.dataset.instance || null;
  let recovering = false;
  function showTrouble(state, detail, text) {
    if (!offline || signedOut) return;  // signed out: nothing more to say until the officer signs in
    if (state in RANK && (RANK[offline.dataset.state] || 0) > RANK[state] && !offline.hidden) return;
    offlineText.textContent = text || offline.dataset[state] + (detail ? ` (${detail})` : "");
    offline.dataset.state = state;
    offline.hidden = false;
    retryButton.hidden = !["unsent", "answer", "preview", "unsentStructure", "unsentPicture", "source"].includes(state);
    reloadButton.hidden = !["back", "lostChanges"].includes(state);
    if (signInLink) signInLink.hidden = true;
    if (state === "back") dirty = false;  // the changes are on the server, kept: reloading loses nothing
  }
  // The session ended (``text``: why, in the officer's words): say so with the sign-in link, once, for good.
  function showSignedOut(text) {
    if (!offline || signedOut) return;
    showTrouble("signedOut", null, text);
    signedOutText = offlineText.textContent;
    signedOut = true;
    queue.clear();
    if (signInLink) signInLink.hidden = false;
    events.close();
  }
  // The live connection broke: a studio that answers may say this page's session ended (and why).
  async function whyOffline() {
    try {
      const response = await fetch("/session", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const body = await response.json();
      if (body.signed_in === false) { showSignedOut(body.error); return true; }
      if (!response.ok && body.error) showTrouble("stopped", null, body.error);  // e.g. its accounts cannot be read now
    } catch (err) { /* not answering: said already (lost, or stopped after its bye) */ }
    return false;
  }
  function clearTrouble() {
    if (!offline || offline.hidden || signedOut) return;
    offline.hidden = true;
    offline.dataset.state = "";
    offlineText.textContent = "";
  }
  // A request went unanswered: keep what it carried and say so; it goes again when the studio answers.
  function unanswered(state, detail) {
    failed = true;
    showTrouble(state, detail);
  }
  async function retry() {
    if (recovering) return;
    if (signedOut) { await signInReachable(); return; }
    recovering = true;
    try {
      const fresh = await studioNow();
      if (!fresh) { if (failed) showTrouble("unsent"); return; }
      if (fresh.instance !== instance) { again = null; await startedAgain(fresh); return; }
      failed = false;
      clearTrouble();
      await flush();
      if (!failed && saveWanted) await save();
      if (!failed && again) { const next = again; again = null; next(); }
    } finally {
      recovering = false;
    }
  }
  // Another script of the page (richtext.js) whose request the studio did not answer, or answered with an
  // error: said in this one banner (``state``: its message). ``retryWith`` is done again when the officer
  // presses Try again and the studio answers; a studio that answers again by itself only clears the message.
  let again = null;
  window.StudioUnanswered = (state, detail, retryWith) => {
    if (refused) return;  // another tab changed the draft: the conflict banner says what to do
    again = retryWith || null;
    showTrouble(state, detail);
  };
  window.StudioSignedOut = (text) => showSignedOut(text);

  // -- signed out while the studio does not answer ---------------------------------------------------
  // Signed out, the officer follows the sign-in link: it leaves this page, so only while the studio
  // answers. One that does not would show the browser's error page instead, and what this page holds
  // (typed since the session ended) would be gone with it. Then the banner says both, the sign-in
  // notice first (it is what has to be done), and Try again asks again; the link is back once it answers.
  let signedOutText = "";
  const signInAnchor = signInLink ? signInLink.querySelector("a") : null;
  if (signInAnchor) {
    signInAnchor.addEventListener("click", async (e) => {
      if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;  // another tab or window: this page stays
      e.preventDefault();
      if (await signInReachable()) location.assign(signInAnchor.href);
    });
  }
  async function signInReachable() {
    try {
      const signal = AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT_MS) : undefined;
      await fetch("/session", { headers: { Accept: "application/json" }, credentials: "same-origin", signal });
    } catch (err) {
      offlineText.textContent = `${signedOutText} ${offline.dataset.signedOutUnanswered}`;
      offline.dataset.state = "signedOutUnanswered";
      signInLink.hidden = true;
      retryButton.hidden = false;
      return false;
    }
    offlineText.textContent = signedOutText;
    offline.dataset.state = "signedOut";
    signInLink.hidden = false;
    retryButton.hidden = true;
    return true;
  }
  if (retryButton) retryButton.addEventListener("click", retry);
  if (reloadButton) reloadButton.addEventListener("click", () => { dirty = false; location.reload(); });
  // This page as the studio serves it now (the GET starts a session when the old one is gone): which
  // studio answers, its CSRF token, the draft's revision and state. null when it does not answer.
  async function studioNow() {
    try {
      const signal = AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT_MS) : undefined;
      const response = await fetch(location.pathname + location.search, { credentials: "same-origin", signal });
      if (!response.ok) return null;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const there = page.getElementById("main");
      // Not the editor (signed out: the studio with accounts forgot its sessions too): only a reload helps.
      if (!there || !there.dataset.instance) return { instance: "", gone: true };
      const status = page.getElementById("save-status");
      return {
        instance: there.dataset.instance, revision: Number(there.dataset.revision), stamp: there.dataset.stamp || "",
        csrf: page.body.dataset.csrf, dirty: !!status && status.textContent.trim() === status.dataset.dirty,
        kept: page.getElementById("kept") !== null, keptAction: page.querySelector("#kept form") ? page.querySelector("#kept form").getAttribute("action") : null,
      };
    } catch (err) {
      return null;
    }
  }
  function adoptSession(fresh) {
    csrf = fresh.csrf;
    document.body.dataset.csrf = csrf;
    document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRF-Token": csrf }));
    for (const input of document.querySelectorAll('input[type="hidden"][name="csrf"]')) input.value = csrf;
    instance = fresh.instance;
    seen = fresh.revision;
  }
  async function startedAgain(fresh) {
    if (fresh.gone) { if (!(await whyOffline())) showTrouble("lostChanges"); return; }
    adoptSession(fresh);
    const unsent = failed || queue.size > 0 || saveWanted;
    if (!changes.length && !queue.size && replayable) {  // the page shows the file: nothing was lost with the old studio
      failed = false;
      queue.clear();
      if (fresh.kept) showTrouble("back"); else clearTrouble();
      return;
    }
    // Kept at a stop (Ctrl-C) and nothing typed since: the editor offers them back after a reload.
    if (fresh.kept && !unsent) { showTrouble("back"); return; }
    if (!replayable || fresh.dirty || fresh.stamp !== stamp) { showTrouble("lostChanges"); return; }
    for (const change of changes) {
      let response;
      try {
        response = change.path
          ? await post(fieldUrl, JSON.stringify(Object.assign({ path: change.path }, change.payload)))
          : await post(change.url, change.body, { "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" });
      } catch (err) {
        unanswered("unsent");
        return;
      }
      if (!response.ok) { showTrouble("lostChanges"); return; }
    }
    queue.clear();
    failed = false;
    if (fresh.kept && fresh.keptAction) {  // what was kept at the stop is older than what this page just sent
      const body = new URLSearchParams({ csrf, do: "discard", next: location.pathname });
      await post(fresh.keptAction, body.toString(), { "Content-Type": "application/x-www-form-urlencoded" }).catch(() => {});
    }
    setStatus("dirty");
    showTrouble("replayed");
    if (saveWanted) await save();
  }
  const events = new EventSource(main.dataset.events + "?lang=" + encodeURIComponent(edition));
  let stopped = false;
  events.addEventListener("bye", () => { stopped = true; showTrouble("stopped"); });
  events.addEventListener("error", () => {
    if (!stopped) showTrouble("lost");
    whyOffline();
  });
  events.addEventListener("hello", (e) => {
    const hello = JSON.parse(e.data);
    stopped = false;
    if (instance === null) instance = hello.instance;
    if (hello.instance !== instance || failed || saveWanted) { retry(); return; }
    if (offline && offline.dataset.state === "source") again = null;  // the studio answers: the officer switches again
    if (offline && ["lost", "stopped", "preview", "source"].includes(offline.dataset.state)) clearTrouble();
    // A change this page missed while it was not listening (another tab typed meanwhile).
    if (seen !== null && hello.revision !== null && hello.revision > seen && hello.writer !== pageId && !queue.size && !sending) {
      events.dispatchEvent(new MessageEvent("changed", { data: JSON.stringify({ language: edition, revision: hello.revision, by: null }) }));
    }
  });
  events.addEventListener("preview", (e) => onPreview(JSON.parse(e.data)));
  events.addEventListener("disk", (e) => {
    const info = JSON.parse(e.data);
    if (info.language !== edition) return;
    if (info.state === "reloaded") { dirty = false; location.reload(); return; }
    showConflict(conflict.dataset[info.state]);
  });
  events.addEventListener("saved", (e) => {
    const info = JSON.parse(e.data);
    if (info.language === edition && !queue.size && !sending && !failed && !refused) setStatus("saved");  // (not this page's changes when it is behind)
  });
  events.addEventListener("changed", (e) => {
    const info = JSON.parse(e.data);
    if (info.language !== edition || seen === null || info.by === pageId || info.revision <= seen) return;
    tabConflict();
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

  let structureChange = null;  // the one under way, remembered once it succeeded (see ``changes``)
  document.body.addEventListener("htmx:configRequest", (e) => {
    e.detail.headers["X-CSRF-Token"] = csrf;  // the session's, also after the studio was started again
    if (seen !== null) Object.assign(e.detail.headers, { "X-Studio-Page": pageId, "X-Studio-Seen": String(seen) });
    if (structural(e.detail.elt)) structureChange = { url: e.detail.path, body: new URLSearchParams(e.detail.formData || e.detail.parameters).toString() };
  });
  document.body.addEventListener("htmx:sendError", (e) => { if (structural(e.detail.elt)) showTrouble("unsentStructure"); });
  document.body.addEventListener("htmx:timeout", (e) => { if (structural(e.detail.elt)) showTrouble("unsentStructure"); });
  document.body.addEventListener("htmx:responseError", (e) => {
    const xhr = e.detail.xhr;
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
    if (xhr.status === 401 && body.signed_out) showSignedOut(body.error);
    else if (xhr.status === 409 && body.conflict === "tab") tabConflict();
    else showTrouble("answer", body.error || `${xhr.status} ${xhr.statusText}`);
  });
  document.body.addEventListener("htmx:beforeRequest", (e) => {
    const control = e.detail.elt;
    if (!structural(control)) return;
    if (refused || signedOut) { e.preventDefault(); settled(); return; }
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
  document.body.addEventListener("htmx:afterOnLoad", (e) => {
    // Every answer (also the swapped ones, whose control is gone by afterRequest): the revision it names.
    const xhr = e.detail.xhr;
    const revision = xhr && xhr.getResponseHeader("X-Studio-Revision");
    if (xhr && xhr.status < 300 && revision !== null && seen !== null) seen = Math.max(seen, Number(revision));
    if (xhr && xhr.status < 300 && structureChange) { remember(structureChange); structureChange = null; }
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
    let response;
    try {
      response = await post(`/issues/${main.dataset.slug}/${edition}/image`, body, null, UPLOAD_TIMEOUT_MS);
    } catch (err) {  // the picture is still on this computer: pick or drop it again once the studio answers
      status.textContent = offline ? offline.dataset.unsentPicture : String(err);
      showTrouble("unsentPicture");
      return;
    }
    const answer = await response.json().catch(() => ({}));
    if (response.status === 409 && answer.conflict === "tab") { tabConflict(); status.textContent = ""; return; }
    if (response.status === 401 && answer.signed_out) { showSignedOut(answer.error); status.textContent = ""; return; }
    if (!response.ok) {
      status.textContent = `${answer.error || response.statusText}${answer.hint ? " — " + answer.hint : ""}`;
      return;
    }
    replayable = false;  // a picture cannot be sent again by this page: after a restart it says to reload
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
