"""Editing an edition: the form, field changes, sections and items, saving, the live preview.

    GET  /issues/{slug}/{lang}            the form beside the preview
    GET  /issues/{slug}/side-by-side      a translation beside the default edition (``?lang=``)
    POST /issues/{slug}/{lang}/field      one field changed (JSON: path, value | doc)
    POST /issues/{slug}/{lang}/items      add, remove, move an item or section
    POST /issues/{slug}/{lang}/group      add or remove an optional group (picture, link)
    POST /issues/{slug}/{lang}/image      a picture dropped or picked for an image field
    POST /issues/{slug}/{lang}/save       write the file (refused if it changed on disk)
    POST /issues/{slug}/{lang}/reload     forget unsaved changes, read the file again ("Discard my changes", "Reload from disk")
    GET  /issues/{slug}/events            Server-Sent Events: hello, preview, disk, saved, changed, bye (``?lang=``: with that edition's email)
    GET  /issues/{slug}/{lang}/preview    the email as previewed (``?view=dark`` in dark mode)
    GET  /issues/{slug}/{lang}/text       the text part
    GET  /issues/{slug}/{lang}/markdown   a rich-text field's Markdown and HTML (``?path=``), and why it must stay Markdown
    GET  /issues/{slug}/files/images/{name}  the issue's pictures (thumbnails in the form)
    GET  /img/{cid}                       pictures the preview's HTML refers to

Two pages (tabs, windows) of one officer on one edition share its draft. The
editor's script names its page (``X-Studio-Page``) and the draft revision it
has seen (``X-Studio-Seen``) on every change and save; a page that missed
another page's change gets 409 (``conflict: "tab"``), like a file changed on
disk, and each answer names the revision now (``X-Studio-Revision``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from leadex_mail.content.loader import LANGUAGE_RE
from leadex_mail.content.scaffold import SLUG_RE
from leadex_mail.errors import ContentError, EditConflict, LeadexError
from leadex_mail.studio import pictures, richtext
from leadex_mail.studio.formschema import Spec, coerce, edition_form, empty_value, section_types, spec_at
from leadex_mail.studio.web import MAX_PART_BYTES, NO_STORE, PREVIEW_CSP, Ctx, action, follow_stream, form_data, page, redirect
from leadex_mail.studio.workspace import IssueSession, dotted, parse_path
from leadex_mail.studio.views_recovery import kept_offer

_DARK_MEDIA = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)


def routes() -> list[Route]:
    """This module's routes."""
    return [
        Route("/issues/{slug}/events", page(events), methods=["GET"]),
        Route("/issues/{slug}/files/images/{name}", page(issue_picture), methods=["GET"]),
        Route("/img/{cid:path}", page(inline_picture), methods=["GET"]),
        Route("/issues/{slug}/side-by-side", page(side_by_side), methods=["GET"]),
        Route("/issues/{slug}/{lang}", page(editor), methods=["GET"]),
        Route("/issues/{slug}/{lang}/preview", page(preview_html), methods=["GET"]),
        Route("/issues/{slug}/{lang}/text", page(preview_text), methods=["GET"]),
        Route("/issues/{slug}/{lang}/markdown", page(markdown_source), methods=["GET"]),
        Route("/issues/{slug}/{lang}/field", action(change_field), methods=["POST"]),
        Route("/issues/{slug}/{lang}/items", action(change_items), methods=["POST"]),
        Route("/issues/{slug}/{lang}/group", action(change_group), methods=["POST"]),
        Route("/issues/{slug}/{lang}/image", action(upload_picture), methods=["POST"]),
        Route("/issues/{slug}/{lang}/save", action(save), methods=["POST"]),
        Route("/issues/{slug}/{lang}/reload", action(reload), methods=["POST"]),
    ]


def _page(ctx: Ctx) -> tuple[str | None, int | None]:
    """The page a change comes from and the draft revision it has seen (``None, None``: a client that does not say)."""
    page = ctx.request.headers.get("x-studio-page")
    try:
        seen = int(ctx.request.headers.get("x-studio-seen", ""))
    except ValueError:
        return None, None
    return (page[:64], seen) if page else (None, None)


def _behind(ctx: Ctx, session: IssueSession, lang: str) -> Response | None:
    """409 when the asking page has not seen a change another page made to this draft; else None."""
    page, seen = _page(ctx)
    if not session.stale(lang, page, seen):
        return None
    body = {"error": ctx.t("conflict_tab"), "conflict": "tab", "revision": session.revision(lang)}
    return JSONResponse(body, status_code=409, headers={**NO_STORE, **_revision(session, lang)})


def _revision(session: IssueSession, lang: str) -> dict[str, str]:
    return {"x-studio-revision": str(session.revision(lang))}


def _names(ctx: Ctx, *, lang: bool = True) -> tuple[str, str]:
    slug = ctx.request.path_params["slug"]
    language = ctx.request.path_params.get("lang", "") if lang else ""
    if not SLUG_RE.match(slug) or (lang and not LANGUAGE_RE.match(language)):
        raise _NotFound()
    return slug, language


class _NotFound(Exception):
    pass


def _session(ctx: Ctx, slug: str) -> IssueSession:
    if not (ctx.studio.settings.newsletters_dir / slug).is_dir():
        raise _NotFound()
    return ctx.studio.workspace.issue(ctx.owner, slug)


def _issue_session(ctx: Ctx) -> IssueSession | None:
    """The session of the issue the path names (no language in it); None when there is no such issue."""
    try:
        return _session(ctx, _names(ctx, lang=False)[0])
    except _NotFound:
        return None


def _missing(ctx: Ctx) -> Response:
    return ctx.render("message.html.j2", status=404, title=ctx.t("not_found_title"), message=ctx.t("not_found_text"))


def _editions(session: IssueSession) -> list[str]:
    from leadex_mail.content.loader import EDITION_SUFFIXES

    return sorted(p.stem for p in session.folder.iterdir() if p.suffix in EDITION_SUFFIXES and LANGUAGE_RE.match(p.stem))


async def editor(ctx: Ctx) -> Response:
    """The edition's form beside its live preview."""
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
    except _NotFound:
        return _missing(ctx)
    if not session.path(lang).exists():
        return _missing(ctx)
    try:
        doc = await session.open(lang)
    except ContentError as err:
        return _unusable(ctx, session, lang, err)
    return ctx.render("edit.html.j2", **_form_context(ctx, session, lang, doc.data()))


async def side_by_side(ctx: Ctx) -> Response:
    """The default edition (read) beside a translation (edited), section by section, changes marked."""
    from leadex_mail.content.translations import stale_sections

    session = _issue_session(ctx)
    if session is None:
        return _missing(ctx)
    default = session.default_language()
    others = [code for code in session.languages() if code != default]
    wanted = ctx.request.query_params.get("lang")
    lang = wanted if wanted in others else (others[0] if others else None)
    if lang is None:
        return redirect(f"/issues/{session.slug}/{default}")
    try:
        source = await session.open(default)
        doc = await session.open(lang)
    except ContentError as err:
        return _unusable(ctx, session, lang, err)
    stale = stale_sections(session.folder, lang, default)
    context = _form_context(ctx, session, lang, doc.data())
    context.update(source=source.data(), source_language=default, others=others, stale=stale, structure=False)
    return ctx.render("side.html.j2", **context)


def _unusable(ctx: Ctx, session: IssueSession, lang: str, err: ContentError) -> Response:
    """409: the file cannot be shown as a form; every reason, in the officer's words and with its line for whoever mends it."""
    from leadex_mail.studio.findings import place

    said = lambda p: place(p, session.folder, ctx.words)  # noqa: E731
    return ctx.render("unusable.html.j2", status=409, slug=session.slug, lang=lang, error=err, said=said, editions=_editions(session))


def _form_context(ctx: Ctx, session: IssueSession, lang: str, data: Any, focus: str | None = None, announce: str | None = None) -> dict[str, Any]:
    return {
        "slug": session.slug,
        "edition": lang,
        "editions": _editions(session),
        "form": edition_form(),
        "data": data,
        "types": section_types(),
        "dirty": lang in session.dirty(),
        "conflict": session.conflicts.get(lang),
        "kept": kept_offer(ctx, session.slug, lang),
        "revision": session.revision(lang),
        "stamp": session.drafts[lang].stamp if lang in session.drafts else "",
        "instance": ctx.studio.workspace.instance,
        "focus": focus,
        "announce": announce,
        "markdown_html": _markdown_html,
        "markdown_note": lambda text: _markdown_note(ctx, text),
        "structure": True,
        "nav": "issues",
    }


def _markdown_html(text: Any) -> str:
    """The HTML a rich-text editor starts from: the Markdown as the email renders it."""
    from leadex_mail.render.markdown import to_html

    return to_html(str(text or ""))


def _markdown_note(ctx: Ctx, text: Any) -> str:
    """Why a rich-text field must be edited as Markdown ("" when the rich view keeps it unchanged)."""
    trouble = richtext.round_trip_trouble(str(text or ""))
    return ctx.t("rt_source_only", what=ctx.t(f"rt_what_{trouble}")) if trouble else ""


async def change_field(ctx: Ctx) -> Response:
    """One field changed: write it into the draft, then the preview rebuilds."""
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
        body = json.loads(await ctx.request.body())
        path = parse_path(str(body["path"]))
    except (_NotFound, ValueError, KeyError, TypeError):
        return JSONResponse({"error": ctx.t("bad_request")}, status_code=400)
    doc = session.drafts.get(lang) or await session.open(lang)
    if (behind := _behind(ctx, session, lang)) is not None:
        return behind
    spec = spec_at(path, doc.root)
    parent = spec_at(path[:-1], doc.root)
    if spec is None or spec.kind in ("object", "list", "sections") or spec.tag is not None:
        return JSONResponse({"error": ctx.t("bad_request")}, status_code=400)
    try:
        value = richtext.to_markdown(body["doc"]) if "doc" in body and spec.kind == "markdown" else coerce(spec, body.get("value"))
    except richtext.RichTextError as err:
        return JSONResponse({"error": err.message}, status_code=400)
    await session.change(lang, lambda d: d.set(path, value, spec, parent), by=_page(ctx)[0])
    return JSONResponse({"ok": True, "dirty": session.dirty(), "revision": session.revision(lang)}, headers={**NO_STORE, **_revision(session, lang)})


async def markdown_source(ctx: Ctx) -> Response:
    """A rich-text field's Markdown as the draft holds it, and its HTML (for the source toggle)."""
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
    except _NotFound:
        return JSONResponse({"error": ctx.t("bad_request")}, status_code=404)
    doc = session.drafts.get(lang) or await session.open(lang)
    value = doc.get(parse_path(ctx.request.query_params.get("path", "")))
    text = str(value) if isinstance(value, str) else ""
    return JSONResponse({"value": text, "html": _markdown_html(text), "note": _markdown_note(ctx, text)}, headers=NO_STORE)


async def change_items(ctx: Ctx) -> Response:
    """Add, remove or move an item of a list (a section, an event, a partner ...)."""
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
    except _NotFound:
        return _missing(ctx)
    form = await form_data(ctx)
    op, path = form.get("op", ""), parse_path(form.get("list", ""))
    doc = session.drafts.get(lang) or await session.open(lang)
    if (behind := _behind(ctx, session, lang)) is not None:
        return behind
    by = _page(ctx)[0]
    spec = spec_at(path, doc.root)
    items = doc.get(path)
    if spec is None or spec.kind not in ("list", "sections"):
        return _bad(ctx)
    size = len(items) if items is not None else 0
    try:
        index = int(form.get("index", "-1"))
    except ValueError:
        return _bad(ctx)
    focus, announce = None, None
    if op == "add":
        kind = form.get("type", "")
        item_spec = spec.variants.get(kind) if spec.kind == "sections" else spec.item
        if item_spec is None:
            return _bad(ctx)
        at = size if not 0 <= index <= size else index
        if items is None:
            parent = spec_at(path[:-1], doc.root)
            await session.change(lang, lambda d: d.set(path, [], spec, parent), by=by)
        await session.change(lang, lambda d: d.add_item(path, at, empty_value(item_spec)), by=by)
        # The new item's heading (focusable by script, tabindex -1): the officer is at what was made.
        focus, announce = f"item-{dotted((*path, at))}-title", ctx.t("announce_added", position=at + 1, count=size + 1)
    elif op in ("up", "down") and 0 <= index < size:
        to = index - 1 if op == "up" else index + 1
        if 0 <= to < size:
            await session.change(lang, lambda d: d.move_item(path, index, to), by=by)
            index = to
        edge = (op == "up" and index == 0) or (op == "down" and index == size - 1)
        focus = f"{'down' if op == 'up' and edge else 'up' if edge else op}-{dotted((*path, index))}"
        announce = ctx.t("announce_moved", position=index + 1, count=size)
    elif op == "remove" and 0 <= index < size:
        if spec.min_items and size <= spec.min_items:
            return _bad(ctx, "need_one_item")
        await session.change(lang, lambda d: d.remove_item(path, index), by=by)
        focus = f"add-{dotted(path)}"
        announce = ctx.t("announce_removed", count=size - 1)
    else:
        return _bad(ctx)
    return await _fields_or_back(ctx, session, lang, focus, announce)


async def change_group(ctx: Ctx) -> Response:
    """Add or remove an optional group of fields (a picture, a 'more' link)."""
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
    except _NotFound:
        return _missing(ctx)
    form = await form_data(ctx)
    path = parse_path(form.get("path", ""))
    doc = session.drafts.get(lang) or await session.open(lang)
    if (behind := _behind(ctx, session, lang)) is not None:
        return behind
    by = _page(ctx)[0]
    spec, parent = spec_at(path, doc.root), spec_at(path[:-1], doc.root)
    if spec is None or spec.kind != "object" or not path:
        return _bad(ctx)
    what = ctx.words.label(spec)
    if form.get("op") == "add":
        await session.change(lang, lambda d: d.set(path, empty_value(spec), spec, parent), by=by)
        focus, announce = _first_control(spec, path), ctx.t("announce_group_added", what=what)
    elif form.get("op") == "remove" and not spec.required:
        await session.change(lang, lambda d: d.set(path, None, spec, parent), by=by)
        focus, announce = f"{_control_id(path)}-first", ctx.t("announce_group_removed", what=what)  # its "Add" button
    else:
        return _bad(ctx)
    return await _fields_or_back(ctx, session, lang, focus, announce)


def _control_id(path: tuple[str | int, ...]) -> str:
    """The id _form.html.j2's ``fid`` gives the control of the field at ``path``: ``f-sections-1-image``."""
    return "f-" + "-".join(str(part) for part in path)


def _first_control(spec: Spec, path: tuple[str | int, ...]) -> str:
    """The id of a just added group's first control: a picture's "Choose a picture", else its first field."""
    if spec.type_name == "Image":
        return f"{_control_id(path)}-file"
    first = spec.editable_fields[0] if spec.editable_fields else None
    return _control_id((*path, first.name)) if first is not None else f"group-{dotted(path)}"


def _bad(ctx: Ctx, key: str = "bad_request") -> Response:
    return ctx.render("message.html.j2", status=400, title=ctx.t("refused_title"), message=ctx.t(key))


async def _fields_or_back(ctx: Ctx, session: IssueSession, lang: str, focus: str | None, announce: str | None) -> Response:
    if not ctx.request.headers.get("hx-request"):
        return redirect(f"/issues/{session.slug}/{lang}")
    doc = session.drafts[lang]
    context = _form_context(ctx, session, lang, doc.data(), focus, announce)
    return ctx.render("_fields.html.j2", headers=_revision(session, lang), **context)


async def upload_picture(ctx: Ctx) -> Response:
    """Store a dropped or picked picture in the issue's images/ (resized like render does) and point the field at it."""
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
    except _NotFound:
        return JSONResponse({"error": ctx.t("bad_request")}, status_code=404)
    form = await ctx.request.form(max_part_size=MAX_PART_BYTES)
    upload, path = form.get("file"), parse_path(str(form.get("path", "")))
    doc = session.drafts.get(lang) or await session.open(lang)
    if (behind := _behind(ctx, session, lang)) is not None:
        return behind
    spec = spec_at(path, doc.root)
    if spec is None or spec.type_name != "Image" or upload is None or isinstance(upload, str):
        return JSONResponse({"error": ctx.t("bad_request")}, status_code=400)
    data = await upload.read(pictures.MAX_UPLOAD_BYTES + 1)
    try:
        src = await _store_picture(session, upload.filename or "picture", data)
    except LeadexError as err:
        from leadex_mail.studio.findings import say

        coded = [p for p in getattr(err, "problems", ()) if p.code]
        if coded:  # said in the officer's words, with the name of their picture (never a temporary file's)
            message, hint = say(coded[0], ctx.words)
            return JSONResponse({"error": f"{upload.filename or ''}: {message}".lstrip(": "), "hint": hint}, status_code=422)
        return JSONResponse({"error": err.message, "hint": err.hint}, status_code=422)
    parent = spec_at(path[:-1], doc.root)
    by = _page(ctx)[0]
    if doc.get(path) is None:
        await session.change(lang, lambda d: d.set(path, empty_value(spec), spec, parent), by=by)
    await session.change(lang, lambda d: d.set((*path, "src"), src, spec.child("src"), spec), by=by)  # type: ignore[arg-type]
    answer = {"src": src, "thumb": f"/issues/{slug}/files/{src}", "revision": session.revision(lang)}
    return JSONResponse(answer, headers={**NO_STORE, **_revision(session, lang)})


async def _store_picture(session: IssueSession, name: str, data: bytes) -> str:
    import anyio

    return await anyio.to_thread.run_sync(pictures.store_picture, session.folder, name, data)


async def save(ctx: Ctx) -> Response:
    """Write the edition's file; 409 with what happened when it changed on disk since it was opened."""
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
    except _NotFound:
        return _missing(ctx)
    form = await form_data(ctx) if "form" in ctx.request.headers.get("content-type", "") else {}
    languages = [lang] + [code for code in form.get("also", "").split(",") if LANGUAGE_RE.match(code) and code != lang]
    if (behind := _behind(ctx, session, lang)) is not None:
        return behind  # saving would write another page's changes this one never showed
    try:
        for code in languages:
            if code in session.drafts and session.drafts[code].changed:
                await session.save(code)
    except EditConflict as err:
        if ctx.request.headers.get("hx-request") or "json" in ctx.request.headers.get("accept", ""):
            return JSONResponse({"error": err.message, "hint": err.hint, "conflict": True}, status_code=409, headers=NO_STORE)
        return ctx.render("message.html.j2", status=409, title=ctx.t("conflict_title"), message=f"{err.message}. {err.hint}")
    if "json" in ctx.request.headers.get("accept", ""):
        answer = {"saved": True, "dirty": session.dirty(), "revision": session.revision(lang), "stamp": session.drafts[lang].stamp if lang in session.drafts else ""}
        return JSONResponse(answer, headers={**NO_STORE, **_revision(session, lang)})
    return redirect(f"/issues/{slug}/{lang}")


async def reload(ctx: Ctx) -> Response:
    """Forget the unsaved changes of this edition ("Discard my changes", "Reload from disk") and read its file again.

    The draft goes even when the file does not read: a draft nobody can
    save never blocks a test send or a send.
    """
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
        await session.discard(lang)
    except _NotFound:
        return _missing(ctx)
    except ContentError:
        pass  # the editor page explains what is wrong with the file
    form = await form_data(ctx)
    back = form.get("next", "")
    return redirect(back if back.startswith(f"/issues/{slug}/") and "//" not in back else f"/issues/{slug}/{lang}")


async def events(ctx: Ctx) -> Response:
    """Server-Sent Events of the issue: ``preview`` after each rebuild (``?lang=``: with that edition's email), ``disk`` and ``saved``."""
    session = _issue_session(ctx)
    if session is None:
        return _missing(ctx)
    if session.preview is None:
        await session.refresh()
    language = ctx.request.query_params.get("lang")
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    workspace = ctx.studio.workspace
    stream = session.events(workspace.closed, language if language and LANGUAGE_RE.match(language) else None, ctx.words, workspace.instance)
    return StreamingResponse(follow_stream(ctx, stream), media_type="text/event-stream", headers=headers)


async def preview_html(ctx: Ctx) -> Response:
    """The edition's email as the preview shows it (sample name, links that go nowhere)."""
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
    except _NotFound:
        return _missing(ctx)
    preview = await session.rendered()
    edition = preview.editions.get(lang)
    headers = {**NO_STORE, "content-security-policy": PREVIEW_CSP, "x-frame-options": "SAMEORIGIN"}
    if edition is None:
        body = f'<!doctype html><html lang="{ctx.words.language}"><title>{ctx.t("preview_none")}</title><p>{ctx.t("preview_none")}</p></html>'
        return Response(body, media_type="text/html", headers=headers)
    html = edition.html
    if ctx.request.query_params.get("view") == "dark":
        # Show the email's dark-mode styles unconditionally, as a mail app in dark mode applies them.
        html = _DARK_MEDIA.sub("@media all", html).replace('content="light dark"', 'content="dark"')
    return Response(html, media_type="text/html", headers=headers)


async def preview_text(ctx: Ctx) -> Response:
    """The edition's text part as the preview shows it."""
    try:
        slug, lang = _names(ctx)
        session = _session(ctx, slug)
    except _NotFound:
        return _missing(ctx)
    preview = await session.rendered()
    edition = preview.editions.get(lang)
    return PlainTextResponse(edition.text if edition else ctx.t("preview_none"), headers=NO_STORE)


async def issue_picture(ctx: Ctx) -> Response:
    """A picture of the issue's images/ folder (for the form's thumbnails)."""
    session = _issue_session(ctx)
    if session is None:
        return _missing(ctx)
    name = ctx.request.path_params["name"]
    folder = (session.folder / "images").resolve()
    file = (folder / name).resolve()
    if not file.is_relative_to(folder) or not file.is_file() or file.suffix.lower() not in (".png", ".jpg", ".jpeg", ".gif"):
        return _missing(ctx)
    return FileResponse(file, headers=NO_STORE)


async def inline_picture(ctx: Ctx) -> Response:
    """A picture the preview's HTML names by ``cid`` (mail attaches them; a browser needs a URL)."""
    found = ctx.studio.workspace.image(ctx.owner, ctx.request.path_params["cid"])
    if found is None:
        return PlainTextResponse("no such picture", status_code=404)
    # A cid names the picture's content (its hash): it never changes, the browser may keep it.
    return Response(found.data, media_type=found.mime_type, headers={"cache-control": "private, max-age=86400, immutable"})
