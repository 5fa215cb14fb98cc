// A send's progress page (job.html.j2): the send's Server-Sent Events move the bar and the figures; when the send
// ends, the page shows how (its own address shows the outcome then). A page never stays on figures nobody updates:
//   - the send ended before the page listened: the stream's first event is ``done``, and the page shows the outcome;
//   - the stream dropped: EventSource connects again by itself; meanwhile the page says its figures may be old;
//   - the studio answers without this send (it was started again: a 404; or the session ended): the page says so in
//     the officer's words, with the way on (this address now shows where the send stands; or signing in again);
//   - the page came back from the browser's back/forward cache (its stream is gone): it is read again.
"use strict";

// The review's "Send N messages now" (review.html.j2): the send checks the issue again before it starts (the whole
// check when a file changed since the review), which may take a while. Pressed, the button says so (also to screen
// readers) and takes no second press: the form goes once.
(function () {
  const form = document.getElementById("send-now-form");
  if (!form) return;
  const button = document.getElementById("send-now");
  const status = document.getElementById("send-now-status");
  let sent = false;
  form.addEventListener("submit", (e) => {
    if (sent) { e.preventDefault(); return; }
    sent = true;
    // Disabled after this event: a disabled button's form still goes, its later presses do nothing.
    setTimeout(() => { button.disabled = true; button.setAttribute("aria-disabled", "true"); }, 0);
    button.textContent = button.dataset.working;
    status.textContent = button.dataset.working;
  });
  // Back from the browser's back/forward cache: the page as it was before the press is read again.
  window.addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
})();

(function () {
  const main = document.getElementById("main");
  if (!main || !main.dataset.jobEvents) return;
  const bar = document.getElementById("job-bar");
  const line = document.getElementById("job-line");
  const connection = document.getElementById("job-connection");
  const connectionText = document.getElementById("job-connection-text");
  const wayOn = document.getElementById("job-connection-on");
  const signIn = document.getElementById("job-connection-sign-in");
  const stream = new EventSource(main.dataset.jobEvents);

  // What is wrong with the connection, and what to do (``way``: the element of the way on to show, if any).
  function say(text, way) {
    connectionText.textContent = text;
    wayOn.hidden = way !== wayOn;
    signIn.hidden = way !== signIn;
    connection.hidden = false;
  }
  function unsaid() {
    connectionText.textContent = "";
    wayOn.hidden = signIn.hidden = true;
    connection.hidden = true;
  }
  // The studio answered the stream with something else than the send's events: it no longer knows this send
  // (started again since), or this page's session ended. EventSource gives up then (CLOSED): say which, and the way on.
  async function orphaned() {
    try {
      const response = await fetch("/session", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const body = await response.json();
      if (body.signed_in === false) { say(body.error, signIn); return; }
    } catch (err) { /* not answering now: what the studio last said stands */ }
    say(connection.dataset.gone, wayOn);
  }
  stream.addEventListener("error", () => {
    if (stream.readyState === EventSource.CLOSED) orphaned();
    else say(connection.dataset.lost, null);  // reconnecting by itself
  });
  stream.addEventListener("open", unsaid);
  stream.addEventListener("progress", (e) => {
    const s = JSON.parse(e.data);
    // The campaign's figures as ``leadex-mail status`` says them (messages, not attempts; its average rate).
    const f = s.figures;
    bar.max = f.total || 1;
    bar.value = f.handled;
    line.textContent = line.dataset.line.replace("{handled}", f.handled).replace("{total}", f.total).replace("{rate}", Studio.number(f.rate))
      .replace("{failed}", f.failed).replace("{waiting}", f.waiting);
    // Waiting to retry temporary failures: say so, until when and why, instead of looking stuck.
    const waiting = document.getElementById("job-waiting");
    waiting.hidden = !s.waiting;
    // No server turned them away (not running, no answer, no secure connection, sign-in refused): in words, never "The server said".
    const why = s.waiting && s.retry_why ? waiting.dataset["why" + s.retry_why[0].toUpperCase() + s.retry_why.slice(1)] : null;
    const said = why ? waiting.dataset.unanswered : waiting.dataset.waiting;
    document.getElementById("job-waiting-line").textContent = s.waiting ? said.replace("{n}", s.waiting).replace("{at}", s.retry_at) : "";
    document.getElementById("job-waiting-reason").textContent = why || (s.waiting && s.retry_reason ? waiting.dataset.reason.replace("{reason}", s.retry_reason) : "");
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
  window.addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
})();
