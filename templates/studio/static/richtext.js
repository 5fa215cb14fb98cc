// Rich-text fields: ProseMirror over a schema holding only what the issue format allows
// (paragraphs, bold, italics, links, bullet and numbered lists, line breaks). Whatever is
// pasted from Word or a web page is parsed against that schema, so only those survive.
// The editor starts from the field's HTML as the email renders it; each change sends the
// document to the server, which writes the Markdown (studio/richtext.py). "Markdown"
// shows the source for those who prefer it.
"use strict";

(function () {
  if (!window.PM) return;
  const PM = window.PM;
  const SAFE = /^(https?:\/\/|mailto:|#$)/i;

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
    linkForm.innerHTML = `<label for="${linkId}"></label><input type="url" id="${linkId}" placeholder="https://"><button type="button" class="ok"></button><button type="button" class="cancel"></button>`;
    linkForm.querySelector("label").textContent = words.linkAddress;
    linkForm.querySelector(".ok").textContent = words.linkAdd;
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
    const state = PM.EditorState.create({
      doc: docFromHTML(template ? template.innerHTML : ""),
      plugins: [PM.history(), PM.keymap(keys), PM.keymap(PM.baseKeymap)],
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
      transformPastedHTML: stylesToTags,
      dispatchTransaction(tr) {
        view.updateState(view.state.apply(tr));
        updateButtons();
        if (tr.docChanged) window.StudioSend(path, { doc: view.state.doc.toJSON() });
      },
    });
    box.richView = view;

    const buttons = [
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
    function updateButtons() {
      for (const b of buttons) if (b.mark) b.button.setAttribute("aria-pressed", String(markActive(view.state, b.mark)));
    }
    function openLink() {
      const st = view.state;
      if (markActive(st, schema.marks.link)) {
        const { from, to } = st.selection.empty ? wordAround(st) : st.selection;
        view.dispatch(st.tr.removeMark(from, to, schema.marks.link));
        view.focus();
        return;
      }
      linkForm.hidden = false;
      const input = linkForm.querySelector("input");
      input.value = "";
      input.focus();
    }
    function wordAround(st) {
      const $pos = st.selection.$from;
      const start = $pos.start(), parent = $pos.parent;
      let from = $pos.pos, to = $pos.pos;
      parent.forEach((child, offset) => {
        const s = start + offset, e = s + child.nodeSize;
        if (s <= $pos.pos && $pos.pos <= e && schema.marks.link.isInSet(child.marks)) { from = s; to = e; }
      });
      return { from, to };
    }
    function applyLink() {
      const href = linkForm.querySelector("input").value.trim();
      linkForm.hidden = true;
      view.focus();
      if (!SAFE.test(href)) return;
      const st = view.state;
      const mark = schema.marks.link.create({ href });
      if (st.selection.empty) {
        view.dispatch(st.tr.replaceSelectionWith(schema.text(href, [mark]), false));
      } else {
        view.dispatch(st.tr.addMark(st.selection.from, st.selection.to, mark));
      }
    }
    linkForm.querySelector(".ok").addEventListener("click", applyLink);
    linkForm.querySelector(".cancel").addEventListener("click", () => { linkForm.hidden = true; view.focus(); });
    linkForm.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); applyLink(); }
      if (e.key === "Escape") { e.preventDefault(); linkForm.hidden = true; view.focus(); }
    });

    function showSource(showing) {
      box.classList.toggle("show-source", showing);
      sourceButton.setAttribute("aria-pressed", String(showing));
      for (const b of buttons) b.button.disabled = showing;
    }
    async function fetchSource() {
      await window.StudioSettled();
      const answer = await fetch(`${box.dataset.markdown}?path=${encodeURIComponent(path)}`, { credentials: "same-origin" });
      return answer.ok ? answer.json() : null;
    }
    async function toggleSource() {
      if (!box.classList.contains("show-source")) {
        showSource(true);
        const got = await fetchSource();
        if (got) source.value = got.value;
        source.focus();
        return;
      }
      const got = await fetchSource();
      if (got && got.note) {  // refused: converting would change the text
        if (note) { note.textContent = got.note; note.hidden = false; }
        source.focus();
        return;
      }
      if (note) note.hidden = true;
      showSource(false);
      if (got) {
        const fresh = PM.EditorState.create({ doc: docFromHTML(got.html), plugins: view.state.plugins });
        view.updateState(fresh);
      }
      view.focus();
    }
  }

  function init(root) {
    for (const box of (root || document).querySelectorAll(".richtext")) enhance(box);
  }
  window.StudioRichText = { init, schema };
  init(document);
})();
