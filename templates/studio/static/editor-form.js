// The editor's form beyond its fields (edit.html.j2, side.html.j2): structure changes (a section or item added,
// moved or removed: htmx replaces the form) and pictures (dropped or picked, stored by the studio).
// ``StudioForm(main, edition, env)`` sets them up; editor.js calls it with what they need of the editor:
//   env.stopped()          nothing more is sent from this page (another tab changed the draft, or signed out)
//   env.pending()          field changes typed and not yet through
//   env.waitForQueue()     resolves once they went through (or could not)
//   env.remember(change)   a structure change that succeeded, to replay after a restart (editor.js ``changes``)
//   env.changed()          the form changed: unsaved
//   env.unreplayable()     a picture was stored: this page cannot redo its changes after a restart
//   env.placeAgain()       the form was replaced: place the findings at its new fields
//   env.showTrouble, env.showSignedOut, env.tabConflict: what the page says (editor.js)
"use strict";

window.StudioForm = function (main, edition, env) {
  const Studio = window.Studio;
  const { showTrouble, showSignedOut, tabConflict } = env;
  const offline = document.getElementById("offline");

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
    e.detail.headers["X-CSRF-Token"] = Studio.csrf;  // the session's, also after the studio was started again
    if (Studio.seen !== null) Object.assign(e.detail.headers, { "X-Studio-Page": Studio.pageId, "X-Studio-Seen": String(Studio.seen) });
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
    if (env.stopped()) { e.preventDefault(); settled(); return; }
    setBusy(control);
    // Structure changes go after the field changes typed before them.
    if (env.pending()) {
      e.preventDefault();
      env.waitForQueue().then(() => {
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
    if (xhr && xhr.status < 300 && revision !== null && Studio.seen !== null) Studio.seen = Math.max(Studio.seen, Number(revision));
    if (xhr && xhr.status < 300 && structureChange) { env.remember(structureChange); structureChange = null; }
  });
  document.body.addEventListener("htmx:afterSettle", (e) => {
    const fields = document.getElementById("fields");
    if (!fields || !fields.contains(e.detail.elt) && e.detail.elt !== fields) return;
    if (window.StudioRichText) window.StudioRichText.init(fields);
    env.placeAgain();  // new fields: place the findings again
    env.changed();
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
      response = await Studio.post(`/issues/${main.dataset.slug}/${edition}/image`, body, null, Studio.UPLOAD_TIMEOUT_MS);
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
    env.unreplayable();  // a picture cannot be sent again by this page: after a restart it says to reload
    status.textContent = answer.src;
    const src = document.querySelector(`[data-path="${CSS.escape(path + ".src")}"]`);
    if (src) src.value = answer.src;
    const group = zone.closest(".picture");
    let thumb = group.querySelector("img.thumb");
    if (!thumb) { thumb = document.createElement("img"); thumb.className = "thumb"; thumb.alt = ""; zone.before(thumb); }
    thumb.src = answer.thumb + "?t=" + Date.now();
    env.changed();
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
};
