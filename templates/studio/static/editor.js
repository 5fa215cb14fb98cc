// The editor page (edit.html.j2, side.html.j2): every change goes to the studio at once, in order; Save, Discard,
// another tab's change, the file changed on disk; the studio not answering, stopping or started again. The preview and
// the check results come back over Server-Sent Events (editor-preview.js shows them); structure changes and pictures
// are editor-form.js's. Needs studio.js (requests, tabs) and those two, loaded before it.
"use strict";

(function () {
  const main = document.getElementById("main");
  if (!main || !main.classList.contains("editor-page")) return;
  const Studio = window.Studio;
  const { post, TIMEOUT_MS } = Studio;

  const edition = main.dataset.edition;
  const fieldUrl = `/issues/${main.dataset.slug}/${edition}/field`;
  const statusBox = document.getElementById("save-status");
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
      else if (body.conflict === "translation") {  // this edition is saved; a translation's file changed: the text names it
        showConflict(body.error, false);
        const fromDisk = document.getElementById("conflict-disk");
        if (fromDisk) fromDisk.hidden = true;
      } else showConflict(body.error + ". " + (body.hint || ""));
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
    // Saved: the studio dropped the changes it kept at a stop (older than this file); their offer goes too, or pressing
    // "Restore my unsaved changes" would bring the older draft back over what was just saved (a13d minor 15).
    const kept = document.getElementById("kept");
    if (kept) kept.remove();
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
        kept: page.getElementById("kept") !== null, keptCrash: page.querySelector('#kept[data-crash="1"]') !== null, keptAction: page.querySelector("#kept form") ? page.querySelector("#kept form").getAttribute("action") : null,
      };
    } catch (err) {
      return null;
    }
  }
  function adoptSession(fresh) {
    const csrf = Studio.csrf = fresh.csrf;
    document.body.dataset.csrf = csrf;
    document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRF-Token": csrf }));
    for (const input of document.querySelectorAll('input[type="hidden"][name="csrf"]')) input.value = csrf;
    instance = fresh.instance;
    Studio.seen = fresh.revision;
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
    // Kept at a stop (Ctrl-C) and nothing typed since: the editor offers them back after a reload. Kept as they
    // changed by a studio killed (kill -9): this page sends them again when it can, else the copy is offered back.
    const replays = replayable && !fresh.dirty && fresh.stamp === stamp;
    if (fresh.kept && !unsent && (!fresh.keptCrash || !replays)) { showTrouble("back"); return; }
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
      const body = new URLSearchParams({ csrf: Studio.csrf, do: "discard", next: location.pathname });
      await post(fresh.keptAction, body.toString(), { "Content-Type": "application/x-www-form-urlencoded" }).catch(() => {});
    }
    setStatus("dirty");
    showTrouble("replayed");
    if (saveWanted) await save();
  }
  const preview = window.StudioPreview(main, edition, showTrouble);
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
    // The offer of changes kept at a stop stands only while the studio still offers them: saved or decided in another
    // tab before this page listened (or while it did not), it goes here too, whatever the order.
    if (!hello.kept) dropKeptOffer();
    // A change this page missed while it was not listening (another tab typed meanwhile).
    if (Studio.seen !== null && hello.revision !== null && hello.revision > Studio.seen && hello.writer !== Studio.pageId && !queue.size && !sending) {
      events.dispatchEvent(new MessageEvent("changed", { data: JSON.stringify({ language: edition, revision: hello.revision, by: null, followed: hello.followed }) }));
    }
  });
  events.addEventListener("preview", (e) => {
    const summary = JSON.parse(e.data);
    preview.show(summary);
    if (!summary.dirty.includes(edition) && !queue.size && !sending && !failed && !refused && dirty && statusBox.textContent === statusBox.dataset.dirty) {
      // another page of this issue saved it
      setStatus("clean");
    }
  });
  events.addEventListener("disk", (e) => {
    const info = JSON.parse(e.data);
    if (info.language !== edition) return;
    if (info.state === "reloaded") { dirty = false; location.reload(); return; }
    showConflict(conflict.dataset[info.state]);
  });
  function dropKeptOffer() {
    const kept = document.getElementById("kept");
    if (kept) kept.remove();
  }
  events.addEventListener("kept", (e) => {  // restored or discarded in another tab
    if (JSON.parse(e.data).language === edition) dropKeptOffer();
  });
  events.addEventListener("saved", (e) => {
    const info = JSON.parse(e.data);
    // Saved in another tab: the studio dropped the changes kept at a stop with it; their offer goes here too.
    if (info.language === edition) dropKeptOffer();
    if (info.language === edition && !queue.size && !sending && !failed && !refused) setStatus("saved");  // (not this page's changes when it is behind)
  });
  events.addEventListener("changed", (e) => {
    const info = JSON.parse(e.data);
    if (info.language !== edition || Studio.seen === null || info.by === Studio.pageId || info.revision <= Studio.seen) return;
    // Made by the studio in step with the default edition (a section moved there): this page's edits are all in the
    // draft, so it shows the draft again, unsaved edits and all, rather than refusing (a13d MAJOR 1).
    if (info.followed && !queue.size && !sending && !failed && !refused) { dirty = false; location.reload(); return; }
    tabConflict();
  });

  // -- the form beyond its fields: structure changes and pictures (editor-form.js) ------------------------
  window.StudioForm(main, edition, {
    stopped: () => refused || signedOut,
    pending: () => queue.size > 0 || sending,
    waitForQueue,
    remember,
    changed: () => setStatus("dirty"),
    unreplayable: () => { replayable = false; },
    placeAgain: () => preview.placeAgain(),
    showTrouble,
    showSignedOut,
    tabConflict,
  });
})();
