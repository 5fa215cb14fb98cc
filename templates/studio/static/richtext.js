// Rich-text fields: ProseMirror over a schema holding only what the issue format allows
// (paragraphs, bold, italics, links, bullet and numbered lists, line breaks). Whatever is
// pasted from Word or a web page is parsed against that schema, so only those survive.
// The editor starts from the field's HTML as the email renders it; each change sends the
// document to the server, which writes the Markdown (studio/richtext.py). "Markdown"
// shows the source for those who prefer it.
// Before that parse, what the schema cannot hold but a person means is turned into what it
// can (cleanPastedHTML): Word's lists (paragraphs with mso-list styles) into lists, tables
// into one paragraph per row, cells separated by " – ".
"use strict";

(function () {
  if (!window.PM) return;
  const PM = window.PM;
  const SAFE = /^(https?:\/\/|mailto:|#$)/i;

  const { linkTrouble, withScheme, linkUnfinished } = window.StudioLinkRules;  // linkrules.js: content/urls.py's rule

  const base = {
    doc: { content: "block+" },
    paragraph: { content: "inline*", group: "block", parseDOM: [{ tag: "p" }], toDOM: () => ["p", 0] },
    text: { group: "inline" },
    hard_break: { inline: true, group: "inline", selectable: false, parseDOM: [{ tag: "br" }], toDOM: () => ["br"] },
  };
  const schema = new PM.Schema({
    nodes: PM.addListNodes(new PM.Schema({ nodes: base }).spec.nodes, "paragraph block*", "block"),
    marks: {
      link: {
        attrs: { href: {} },
        inclusive: false,
        parseDOM: [{ tag: "a[href]", getAttrs: (dom) => (SAFE.test(dom.getAttribute("href")) ? { href: dom.getAttribute("href") } : false) }],
        toDOM: (mark) => ["a", { href: mark.attrs.href, rel: "noopener noreferrer" }, 0],
      },
      strong: {
        parseDOM: [
          { tag: "strong" },
          { tag: "b" },
        ],
        toDOM: () => ["strong", 0],
      },
      em: {
        parseDOM: [{ tag: "i" }, { tag: "em" }],
        toDOM: () => ["em", 0],
      },
    },
  });
  const parser = PM.DOMParser.fromSchema(schema);

  // Word writes a list as paragraphs, <p style="mso-list:l0 level1 lfo1">, whose marker ("·",
  // "o", "§", "1.", "a)") is text in a <span style="mso-list:Ignore">. Whether a list is
  // numbered is in the pasted style sheet (@list l0:level1 {mso-level-number-format:bullet});
  // without it the marker tells.
  const MSO_LIST = /mso-list\s*:\s*(l\d+)\s+level(\d+)/i;
  const MSO_IGNORE = /mso-list\s*:\s*ignore/i;
  const NUMBER_MARK = /^\(?([0-9]+|[a-z]{1,4}|[A-Z]{1,4})[.)]/;

  function listFormats(doc) {
    const formats = {};
    for (const style of doc.querySelectorAll("style")) {
      for (const m of style.textContent.matchAll(/@list\s+(l\d+):level(\d+)\s*\{([^}]*)\}/gi)) {
        const format = /mso-level-number-format\s*:\s*([\w-]+)/i.exec(m[3]);
        formats[`${m[1]}:${m[2]}`] = format ? format[1].toLowerCase() : "decimal";
      }
    }
    return formats;
  }

  function wordItem(p, formats) {
    const m = MSO_LIST.exec(p.getAttribute("style") || "");
    if (!m || p.closest("li")) return null;
    let mark = "";
    for (const span of Array.from(p.querySelectorAll("[style]"))) {
      if (!MSO_IGNORE.test(span.getAttribute("style")) || !p.contains(span)) continue;
      mark += span.textContent;
      span.remove();
    }
    mark = mark.replace(/[\s\u00a0]+/g, "");
    const known = formats[`${m[1].toLowerCase()}:${m[2]}`];
    const numbered = known ? known !== "bullet" && known !== "none" : NUMBER_MARK.test(mark);
    const number = /^\(?([0-9]+)/.exec(mark);
    return { list: m[1].toLowerCase(), level: Number(m[2]), numbered, start: number ? Number(number[1]) : 1 };
  }

  function wordLists(doc) {
    const formats = listFormats(doc);
    let stack = [];  // open lists, outermost first: { level, numbered, list, el }
    let last = null;  // the list paragraph before this one, to know a run of them has ended
    for (const p of Array.from(doc.body.querySelectorAll("p, h1, h2, h3, h4, h5, h6"))) {
      const item = wordItem(p, formats);
      if (!item) continue;
      if (last === null || p.previousElementSibling !== last) stack = [];
      last = p;
      while (stack.length && stack[stack.length - 1].level > item.level) stack.pop();
      let top = stack[stack.length - 1];
      if (top && top.level === item.level && (top.numbered !== item.numbered || top.list !== item.list)) {
        stack.pop();
        top = stack[stack.length - 1];
      }
      if (!top || top.level < item.level) {
        const el = doc.createElement(item.numbered ? "ol" : "ul");
        if (item.numbered && item.start !== 1) el.setAttribute("start", String(item.start));
        if (top) {
          let host = top.el.lastElementChild;
          if (!host) { host = doc.createElement("li"); top.el.appendChild(host); }
          host.appendChild(el);
        } else {
          p.before(el);
        }
        top = { level: item.level, numbered: item.numbered, list: item.list, el };
        stack.push(top);
      }
      const li = doc.createElement("li");
      while (p.firstChild) li.appendChild(p.firstChild);
      top.el.appendChild(li);
      p.hidden = true;  // removed below: still the sibling the next item is compared with
    }
    for (const p of Array.from(doc.body.querySelectorAll("[hidden]"))) p.remove();
  }

  // A table is not in the format: each row becomes a paragraph, its cells side by side
  // (header cells in bold), so the words keep their order and rows stay apart.
  const BLOCKS = "p, div, li, ul, ol, h1, h2, h3, h4, h5, h6, blockquote, pre, br, caption";
  function inlineOf(doc, cell, tag) {
    const out = doc.createElement(tag);
    const copy = cell.cloneNode(true);
    for (const el of Array.from(copy.querySelectorAll(BLOCKS))) {
      const parts = doc.createDocumentFragment();
      parts.append(" ", ...el.childNodes, " ");
      el.replaceWith(parts);
    }
    out.append(...copy.childNodes);
    return out;
  }
  function tables(doc) {
    for (const table of Array.from(doc.body.querySelectorAll("table")).reverse()) {  // innermost first
      const rows = doc.createDocumentFragment();
      if (table.caption && table.caption.textContent.trim()) rows.appendChild(inlineOf(doc, table.caption, "p"));
      for (const row of Array.from(table.rows)) {
        const p = doc.createElement("p");
        for (const cell of Array.from(row.cells)) {
          if (!cell.textContent.trim()) continue;
          if (p.childNodes.length) p.append(" – ");
          p.appendChild(inlineOf(doc, cell, cell.tagName === "TH" ? "strong" : "span"));
        }
        if (p.childNodes.length) rows.appendChild(p);
      }
      table.replaceWith(rows);
    }
  }

  function cleanPastedHTML(html) {
    const doc = new window.DOMParser().parseFromString(html, "text/html");
    wordLists(doc);
    tables(doc);
    // Word's spacing paragraphs (<p>&nbsp;</p>) are not text.
    for (const p of Array.from(doc.body.querySelectorAll("p"))) if (!p.textContent.trim() && !p.querySelector("br")) p.remove();
    return stylesToTags(doc.body.innerHTML);
  }

  // Pasted HTML marks bold and italics with styles as often as with tags (Google Docs:
  // <span style="font-weight:700">). The page's CSP keeps style attributes from applying,
  // so ProseMirror's style rules cannot see them: turn them into tags first.
  function stylesToTags(html) {
    const doc = new window.DOMParser().parseFromString(html, "text/html");
    for (const el of Array.from(doc.body.querySelectorAll("[style]"))) {
      const style = (el.getAttribute("style") || "").toLowerCase();
      const bold = /font-weight\s*:\s*(bold|bolder|[6-9]00)/.test(style);
      const italic = /font-style\s*:\s*italic/.test(style);
      const notBold = /font-weight\s*:\s*(normal|[1-4]00)/.test(style);
      for (const [wanted, tag] of [[bold, "strong"], [italic, "em"]]) {
        if (!wanted) continue;
        const wrapper = doc.createElement(tag);
        while (el.firstChild) wrapper.appendChild(el.firstChild);
        el.appendChild(wrapper);
      }
      if (notBold && el.tagName === "B") {
        const span = doc.createElement("span");
        while (el.firstChild) span.appendChild(el.firstChild);
        el.replaceWith(span);
      }
      el.removeAttribute("style");
    }
    return doc.body.innerHTML;
  }

  function docFromHTML(html) {
    const holder = document.createElement("div");
    holder.innerHTML = html;
    return parser.parse(holder);
  }

  function markActive(state, type) {
    const { from, $from, to, empty } = state.selection;
    if (empty) return !!type.isInSet(state.storedMarks || $from.marks());
    return state.doc.rangeHasMark(from, to, type);
  }

  function enhance(box) {
    if (box.classList.contains("enhanced")) return;
    const words = document.getElementById("richtext-words").dataset;
    const source = box.querySelector("textarea.source");
    const path = box.dataset.path;
    const template = box.querySelector("template.richtext-html");
    box.classList.add("enhanced");

    const toolbar = document.createElement("div");
    toolbar.className = "rt-toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", words.toolbar);
    const host = document.createElement("div");
    host.className = "rt-host";
    const linkForm = document.createElement("div");
    linkForm.className = "rt-link";
    linkForm.hidden = true;
    const linkId = source.id + "-link";
    linkForm.innerHTML = `<label for="${linkId}"></label><input type="url" id="${linkId}" placeholder="https://"><button type="button" class="ok"></button><button type="button" class="unlink" hidden></button><button type="button" class="cancel"></button><p class="rt-link-error error" id="${linkId}-error" hidden></p>`;
    linkForm.querySelector("label").textContent = words.linkAddress;
    linkForm.querySelector(".ok").textContent = words.linkAdd;
    linkForm.querySelector(".unlink").textContent = words.linkRemove;
    linkForm.querySelector(".cancel").textContent = words.cancel;
    box.insertBefore(toolbar, source);
    box.insertBefore(linkForm, source);
    box.insertBefore(host, source);

    const keys = {
      "Mod-b": PM.toggleMark(schema.marks.strong),
      "Mod-i": PM.toggleMark(schema.marks.em),
      "Mod-k": () => { openLink(); return true; },
      "Mod-z": PM.undo,
      "Shift-Mod-z": PM.redo,
      "Mod-y": PM.redo,
      Enter: PM.splitListItem(schema.nodes.list_item),
      "Mod-[": PM.liftListItem(schema.nodes.list_item),
      "Mod-]": PM.sinkListItem(schema.nodes.list_item),
      "Shift-Enter": PM.chainCommands(PM.exitCode, (state, dispatch) => {
        if (dispatch) dispatch(state.tr.replaceSelectionWith(schema.nodes.hard_break.create()).scrollIntoView());
        return true;
      }),
    };
    let view;
    let buttons = [];
    // The toolbar shows the marks at the cursor after every state change, whatever made it: a
    // transaction, a selection read from the page, or the fresh state the Markdown toggle loads
    // (which replaces the plugins' views rather than updating them, hence both hooks).
    const toolbarState = new PM.Plugin({
      view: (v) => {
        updateButtons(v.state);
        return { update: (updated) => updateButtons(updated.state) };
      },
    });
    const state = PM.EditorState.create({
      doc: docFromHTML(template ? template.innerHTML : ""),
      plugins: [PM.history(), PM.keymap(keys), PM.keymap(PM.baseKeymap), toolbarState],
    });
    view = new PM.EditorView(host, {
      state,
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        "aria-labelledby": box.dataset.label,
        "aria-describedby": box.dataset.describedby,
        class: "rt-editor",
      },
      transformPastedHTML: cleanPastedHTML,
      editable: () => !box.classList.contains("switching"),  // not while its Markdown is fetched (it would miss what is typed)
      dispatchTransaction(tr) {
        view.updateState(view.state.apply(tr));
        if (tr.docChanged) window.StudioSend(path, { doc: view.state.doc.toJSON() });
      },
    });
    box.richView = view;

    buttons = [
      { key: "bold", mark: schema.marks.strong, run: PM.toggleMark(schema.marks.strong) },
      { key: "italic", mark: schema.marks.em, run: PM.toggleMark(schema.marks.em) },
      { key: "link", mark: schema.marks.link, run: () => { openLink(); return true; } },
      { key: "bullets", run: toggleList(schema.nodes.bullet_list) },
      { key: "numbers", run: toggleList(schema.nodes.ordered_list) },
    ];
    for (const b of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = words[b.key];
      button.dataset.action = b.key;
      if (b.mark) button.setAttribute("aria-pressed", "false");
      button.addEventListener("mousedown", (e) => e.preventDefault());
      button.addEventListener("click", () => { b.run(view.state, view.dispatch, view); if (b.key !== "link") view.focus(); });
      b.button = button;
      toolbar.appendChild(button);
    }
    const sourceButton = document.createElement("button");
    sourceButton.type = "button";
    sourceButton.textContent = words.source;
    sourceButton.setAttribute("aria-pressed", "false");
    sourceButton.addEventListener("click", () => toggleSource());
    toolbar.appendChild(sourceButton);
    // A text the editor would change (a quote, _x_, a line break ...) opens as Markdown and stays
    // so: the server says why (studio/richtext.round_trip_trouble); the rich view would rewrite it.
    const note = box.querySelector(".rt-note");
    if (note && !note.hidden) showSource(true);
    // Toolbar keys: arrows move between buttons (WAI-ARIA toolbar pattern).
    toolbar.addEventListener("keydown", (e) => {
      const all = Array.from(toolbar.querySelectorAll("button"));
      const i = all.indexOf(document.activeElement);
      if (i < 0 || !["ArrowRight", "ArrowLeft"].includes(e.key)) return;
      e.preventDefault();
      all[(i + (e.key === "ArrowRight" ? 1 : all.length - 1)) % all.length].focus();
    });

    function toggleList(type) {
      return (st, dispatch) => {
        const { $from } = st.selection;
        for (let d = $from.depth; d > 0; d--) {
          const node = $from.node(d);
          if (node.type === type) return PM.liftListItem(schema.nodes.list_item)(st, dispatch);
        }
        return PM.wrapInList(type)(st, dispatch);
      };
    }
    function updateButtons(st) {
      for (const b of buttons) if (b.mark && b.button) b.button.setAttribute("aria-pressed", String(markActive(st, b.mark)));
    }
    // "Link" (or Mod-k) on a link opens its address to change, with "Remove the link" beside it;
    // elsewhere it asks for the address of a new link on the selection.
    function openLink() {
      const editing = linkTarget(view.state);
      const input = linkForm.querySelector("input");
      input.value = editing ? editing.href : "";
      linkForm.querySelector(".ok").textContent = editing ? words.linkChange : words.linkAdd;
      linkForm.querySelector(".unlink").hidden = !editing;
      linkForm.hidden = false;
      refuse(null);
      input.focus();
      input.select();
    }
    // The whole link at a position (the text beside it that carries the same link), or null.
    function linkAround(st, pos) {
      const $pos = st.doc.resolve(pos);
      const start = $pos.start();
      let run = null, found = null;
      $pos.parent.forEach((child, offset) => {
        const from = start + offset, to = from + child.nodeSize;
        const mark = schema.marks.link.isInSet(child.marks);
        if (mark && run && run.to === from && run.mark.eq(mark)) run.to = to;
        else run = mark ? { from, to, mark } : null;
        if (run && !found && run.from <= pos && pos < run.to) found = run;
      });
      return found && { from: found.from, to: found.to, href: found.mark.attrs.href };
    }
    // The link the officer means: the one the cursor is in, or the one the selection lies within.
    function linkTarget(st) {
      const { from, to, empty, $from } = st.selection;
      if (empty) return schema.marks.link.isInSet($from.marks()) ? linkAround(st, $from.textOffset || !$from.parentOffset ? from : from - 1) : null;
      const link = linkAround(st, from);
      return link && to <= link.to ? link : null;
    }
    function closeLink() {
      linkForm.hidden = true;
      view.focus();
    }
    // Why the address cannot be a link, at its field in the officer's words (rt_link_<reason>);
    // null clears it. The box stays open with the focus in the address, to put it right.
    function refuse(why) {
      const input = linkForm.querySelector("input");
      const error = linkForm.querySelector(".rt-link-error");
      error.textContent = why ? words["link" + why.split("_").map((w) => w[0].toUpperCase() + w.slice(1)).join("")] : "";
      error.hidden = !why;
      if (why) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", error.id);
        input.focus();
      } else {
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      }
    }
    function applyLink() {
      const input = linkForm.querySelector("input");
      const typed = input.value.trim();
      const href = withScheme(typed) || typed;  // www.example.org/prijava: the https:// people leave out
      // "https://" with no host, a bare example.org: the check's link.unfinished, refused here at once (a15 M6)
      const why = typed ? linkTrouble(href) || (linkUnfinished(href) ? "unfinished" : null) : "empty";
      if (why) { refuse(why); return; }
      closeLink();
      const st = view.state;
      const mark = schema.marks.link.create({ href });
      const editing = linkTarget(st);
      const { from, to, empty } = editing || st.selection;
      if (!editing && empty) {
        view.dispatch(st.tr.replaceSelectionWith(schema.text(href, [mark]), false));
      } else {
        view.dispatch(st.tr.removeMark(from, to, schema.marks.link).addMark(from, to, mark));
      }
    }
    function removeLink() {
      const editing = linkTarget(view.state);
      closeLink();
      if (editing) view.dispatch(view.state.tr.removeMark(editing.from, editing.to, schema.marks.link));
    }
    linkForm.querySelector(".ok").addEventListener("click", applyLink);
    linkForm.querySelector(".unlink").addEventListener("click", removeLink);
    linkForm.querySelector(".cancel").addEventListener("click", closeLink);
    linkForm.querySelector("input").addEventListener("input", () => refuse(null));
    linkForm.querySelector("input").addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); applyLink(); }
    });
    linkForm.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); closeLink(); }
    });

    function showSource(showing) {
      box.classList.toggle("show-source", showing);
      sourceButton.setAttribute("aria-pressed", String(showing));
      for (const b of buttons) b.button.disabled = showing;
    }
    // The field's Markdown and HTML as the studio holds them, once every change typed before reached it;
    // null when they cannot be had now. Then the page's one banner says why (the studio not answering, or
    // its answer; signed out), with Try again, and the view stays as it is, with what the officer typed.
    async function fetchSource() {
      const sent = await window.StudioSettled();
      if (sent === false) return unanswered();  // the changes before it did not reach the studio: said already
      let answer;
      try {
        const signal = AbortSignal.timeout ? AbortSignal.timeout(30000) : undefined;
        answer = await fetch(`${box.dataset.markdown}?path=${encodeURIComponent(path)}`, { credentials: "same-origin", signal });
      } catch (err) {
        return unanswered();
      }
      if (answer.ok) return answer.json().catch(() => unanswered());
      const body = await answer.json().catch(() => ({}));
      if (answer.status === 401 && body.signed_out && window.StudioSignedOut) window.StudioSignedOut(body.error);
      else return unanswered(body.error || `${answer.status} ${answer.statusText}`);
      return null;
    }
    function unanswered(detail) {
      if (window.StudioUnanswered) window.StudioUnanswered("source", detail, () => toggleSource());
      return null;
    }
    async function switching(run) {
      box.classList.add("switching");
      box.setAttribute("aria-busy", "true");
      source.readOnly = true;
      view.setProps({});
      try {
        return await run();
      } finally {
        box.classList.remove("switching");
        box.removeAttribute("aria-busy");
        source.readOnly = false;
        view.setProps({});
      }
    }
    async function toggleSource() {
      if (box.classList.contains("switching")) return;
      if (!box.classList.contains("show-source")) {
        const got = await switching(fetchSource);
        if (!got) { view.focus(); return; }  // the rich view stays, with what was typed in it
        source.value = got.value;
        showSource(true);
        source.focus();
        return;
      }
      const got = await switching(fetchSource);
      if (!got) { source.focus(); return; }  // the Markdown stays, with what was typed in it
      if (got.note) {  // refused: converting would change the text
        if (note) { note.textContent = got.note; note.hidden = false; }
        source.focus();
        return;
      }
      if (note) note.hidden = true;
      showSource(false);
      view.updateState(PM.EditorState.create({ doc: docFromHTML(got.html), plugins: view.state.plugins }));
      view.focus();
    }
  }

  function init(root) {
    for (const box of (root || document).querySelectorAll(".richtext")) enhance(box);
  }
  window.StudioRichText = { init, schema, cleanPastedHTML };
  init(document);
})();
