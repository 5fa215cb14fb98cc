"""Editing an edition: the form, field changes, sections and items, saving (the preview beside it: ``views_preview``).

    GET  /issues/{slug}/{lang}            the form beside the preview
    GET  /issues/{slug}/side-by-side      a translation beside the default edition (``?lang=``)
    POST /issues/{slug}/side-by-side/still-current   a section marked "needs update" confirmed still right (lang, section)
    POST /issues/{slug}/{lang}/field      one field changed (JSON: path, value | doc)
    POST /issues/{slug}/{lang}/items      add, remove, move an item or section
    POST /issues/{slug}/{lang}/group      add or remove an optional group (picture, link)
    POST /issues/{slug}/{lang}/image      a picture dropped or picked for an image field
    POST /issues/{slug}/{lang}/save       write the file (refused if it changed on disk)
    POST /issues/{slug}/{lang}/reload     forget unsaved changes, read the file again ("Discard my changes", "Reload from disk")
    GET  /issues/{slug}/{lang}/markdown   a rich-text field's Markdown and HTML (``?path=``), and why it must stay Markdown

An edition is what the CLI loads (``addresses``): ``xx.yaml`` is no edition.

Two pages (tabs, windows) of one officer on one edition share its draft. The
editor's script names its page (``X-Studio-Page``) and the draft revision it
has seen (``X-Studio-Seen``) on every change and save; a page that missed
another page's change gets 409 (``conflict: "tab"``), like a file changed on
disk, and each answer names the revision now (``X-Studio-Revision``).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadex_mail.errors import ContentError, EditConflict, LeadexError
from leadex_mail.studio import alignment, alignvalues, pictures, richtext
from leadex_mail.studio.addresses import NoSuchPage, address_session, is_edition, missing, session_or_none
from leadex_mail.studio.formschema import NotOfItsKind, Spec, coerce, edition_form, empty_value, section_types, spec_at
from leadex_mail.studio.saying import error_words
from leadex_mail.studio.scheduleview import scheduled_notes
from leadex_mail.studio.web import MAX_PART_BYTES, NO_STORE, Ctx, action, form_data, page, redirect
from leadex_mail.studio.workspace import IssueSession, dotted, parse_path
from leadex_mail.studio.views_recovery import kept_offer


def routes() -> list[Route]:
    """This module's routes."""
    return [
        Route("/issues/{slug}/side-by-side", page(side_by_side), methods=["GET"]),
        Route("/issues/{slug}/side-by-side/still-current", action(still_current), methods=["POST"]),
        Route("/issues/{slug}/{lang}", page(editor), methods=["GET"]),
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


async def editor(ctx: Ctx) -> Response:
    """The edition's form beside its live preview."""
    try:
        session, lang = address_session(ctx)
    except NoSuchPage:
        return missing(ctx)
    if not session.path(lang).exists():
        return missing(ctx)
    try:
        doc = await session.open(lang)
    except ContentError as err:
        return _unusable(ctx, session, lang, err)
    return ctx.render("edit.html.j2", **_form_context(ctx, session, lang, doc.data()), sent=await sent_to(ctx, session.slug, lang),
                      scheduled=await scheduled_notes(ctx, session.slug))


async def side_by_side(ctx: Ctx) -> Response:
    """The default edition (read) beside a translation (edited), section by section, changes marked."""
    from leadex_mail.content.translations import moved_sections

    session = session_or_none(ctx)
    if session is None:
        return missing(ctx)
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
    stale = alignment.stale(session, lang)  # following the default's unsaved moves, the marks move with them
    context = _form_context(ctx, session, lang, doc.data())
    moved = moved_sections(session.folder, lang, default)  # never paired by place with the wrong translation (a13c F7)
    confirmable = lang not in alignment.followers(session)  # "Still up to date" records against the default as saved
    context.update(
        source=source.data(), source_language=default, others=others, stale=stale, moved=moved, structure=False, confirmable=confirmable, sent=await sent_to(ctx, session.slug, lang),
        scheduled=await scheduled_notes(ctx, session.slug),
    )
    return ctx.render("side.html.j2", **context)


async def still_current(ctx: Ctx) -> Response:
    """The translator says a section marked "needs update" is still right: its mark goes (a13d MAJOR 3); back to side by side.

    Only against the default edition as saved: while the translation follows
    the default's unsaved section changes, nothing is recorded (the page
    offers no button then).
    """
    import anyio

    from leadex_mail.content.translations import confirm_section

    session = session_or_none(ctx)
    if session is None:
        return missing(ctx)
    form = await form_data(ctx)
    lang, default = form.get("lang", ""), session.default_language()
    try:
        place = int(form.get("section", ""))
    except ValueError:
        place = -1
    if lang in session.languages() and lang != default and place >= 0 and lang not in alignment.followers(session):
        await anyio.to_thread.run_sync(confirm_section, session.folder, lang, default, place)
    back = f"/issues/{session.slug}/side-by-side?lang={lang}" if is_edition(lang) else f"/issues/{session.slug}/side-by-side"
    return redirect(f"{back}#pair-{place}" if place >= 0 else back)


async def sent_to(ctx: Ctx, slug: str, lang: str) -> list[dict[str, Any]]:
    """Each list this edition was sent to: ``{"list", "when" (the campaign's start, local time), "n" (people who got it), "stopped", "waiting", "failed", "total"}``.

    ``stopped``: the send was interrupted or paused, ``waiting`` people still wait for it (a14: the banner said "sent");
    ``failed`` of ``total`` deliveries of this edition could not be delivered (s8: the banner said "sent" of those too).

    From ``reporting.campaign_figures``, newest first; only deliveries of
    this edition that were sent count (a change to an edition nobody got
    yet reaches everyone; the send refuses one that changed after, with
    ``ChangedAfterSend``). ``[]`` when there are none, or when the store
    cannot be read: editing never waits on it.
    """
    import anyio

    from leadex_mail.errors import StoreError
    from leadex_mail.reporting import campaign_figures
    from leadex_mail.studio.views_schedule import local_time

    try:
        figures = await anyio.to_thread.run_sync(lambda: campaign_figures(ctx.studio.store, slug))
    except StoreError:
        return []
    settings = ctx.studio.settings
    return [
        {"list": f.list, "when": local_time(f.started, settings), "n": f.sent, "stopped": f.status in ("interrupted", "paused"), "waiting": f.waiting,
         "failed": f.failed, "total": f.recipients}
        for f in figures
        if f.language == lang and f.sent
    ]


def _unusable(ctx: Ctx, session: IssueSession, lang: str, err: ContentError) -> Response:
    """409: the file cannot be shown as a form; every reason, in the officer's words and with its line for whoever mends it."""
    from leadex_mail.studio.findings import place

    said = lambda p: place(p, session.folder, ctx.words)  # noqa: E731
    return ctx.render("unusable.html.j2", status=409, slug=session.slug, lang=lang, error=err, said=said, editions=session.languages())


def _form_context(ctx: Ctx, session: IssueSession, lang: str, data: Any, focus: str | None = None, announce: str | None = None) -> dict[str, Any]:
    return {
        "slug": session.slug,
        "edition": lang,
        "editions": session.languages(),
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
    """The HTML a rich-text editor starts from: the Markdown as the email renders it, each address as written."""
    return richtext.editor_html(str(text or ""))


def _markdown_note(ctx: Ctx, text: Any) -> str:
    """Why a rich-text field must be edited as Markdown ("" when the rich view keeps it unchanged)."""
    trouble = richtext.round_trip_trouble(str(text or ""))
    return ctx.t("rt_source_only", what=ctx.t(f"rt_what_{trouble}")) if trouble else ""


async def change_field(ctx: Ctx) -> Response:
    """One field changed: write it into the draft, then the preview rebuilds."""
    try:
        session, lang = address_session(ctx)
        body = json.loads(await ctx.request.body())
        path = parse_path(str(body["path"]))
    except (NoSuchPage, ValueError, KeyError, TypeError):
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
    except NotOfItsKind as err:
        return JSONResponse({"error": _not_of_its_kind(ctx, spec, err)}, status_code=400)
    except richtext.RichTextError as err:
        return JSONResponse({"error": ctx.t(f"rt_refused_{err.reason}", field=ctx.words.label(spec))}, status_code=400)
    await alignvalues.change_value(session, lang, path, lambda d: d.set(path, value, spec, parent), by=_page(ctx)[0])  # translations follow
    return JSONResponse({"ok": True, "dirty": session.dirty(), "revision": session.revision(lang)}, headers={**NO_STORE, **_revision(session, lang)})


def _not_of_its_kind(ctx: Ctx, spec: Spec, err: NotOfItsKind) -> str:
    """What the field at ``spec`` takes and what came instead, in the officer's words (said at the field)."""
    got = ctx.t(f"kind_got_{err.got}") if err.got else ""
    return ctx.t(f"kind_{err.reason}", field=ctx.words.label(spec), got=got)


async def markdown_source(ctx: Ctx) -> Response:
    """A rich-text field's Markdown as the draft holds it, and its HTML (for the source toggle)."""
    try:
        session, lang = address_session(ctx)
    except NoSuchPage:
        return JSONResponse({"error": ctx.t("bad_request")}, status_code=404)
    doc = session.drafts.get(lang) or await session.open(lang)
    value = doc.get(parse_path(ctx.request.query_params.get("path", "")))
    text = str(value) if isinstance(value, str) else ""
    return JSONResponse({"value": text, "html": _markdown_html(text), "note": _markdown_note(ctx, text)}, headers=NO_STORE)


async def change_items(ctx: Ctx) -> Response:
    """Add, remove or move an item of a list (a section, an event, a partner ...)."""
    try:
        session, lang = address_session(ctx)
    except NoSuchPage:
        return missing(ctx)
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
    before = alignment.shapes(doc.data(), path)  # translations in line along the path follow (a13c F7)
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
        await alignment.follow(session, lang, path, before, "add", at, at, empty_value(item_spec), by=by)
        # The new item's heading (focusable by script, tabindex -1): the officer is at what was made.
        focus, announce = f"item-{dotted((*path, at))}-title", ctx.t("announce_added_section" if spec.kind == "sections" else "announce_added", position=at + 1, count=size + 1)
    elif op in ("up", "down") and 0 <= index < size:
        to = index - 1 if op == "up" else index + 1
        if 0 <= to < size:
            await session.change(lang, lambda d: d.move_item(path, index, to), by=by)
            await alignment.follow(session, lang, path, before, "move", index, to, by=by)
            index = to
        edge = (op == "up" and index == 0) or (op == "down" and index == size - 1)
        focus = f"{'down' if op == 'up' and edge else 'up' if edge else op}-{dotted((*path, index))}"
        announce = ctx.t("announce_moved", position=index + 1, count=size)
    elif op == "remove" and 0 <= index < size:
        if spec.min_items and size <= spec.min_items:
            return _bad(ctx, "need_one_item")
        await session.change(lang, lambda d: d.remove_item(path, index), by=by)
        await alignment.follow(session, lang, path, before, "remove", index, index, by=by)
        focus = f"add-{dotted(path)}"
        announce = ctx.t("announce_removed", count=size - 1)
    else:
        return _bad(ctx)
    return await _fields_or_back(ctx, session, lang, focus, announce)


async def change_group(ctx: Ctx) -> Response:
    """Add or remove an optional group of fields (a picture, a 'more' link)."""
    try:
        session, lang = address_session(ctx)
    except NoSuchPage:
        return missing(ctx)
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
        await alignvalues.change_value(session, lang, path, lambda d: d.set(path, empty_value(spec), spec, parent), by=by)
        focus, announce = _first_control(spec, path), ctx.t("announce_group_added", what=what)
    elif form.get("op") == "remove" and not spec.required:
        await alignvalues.change_value(session, lang, path, lambda d: d.set(path, None, spec, parent), by=by)
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
        session, lang = address_session(ctx)
    except NoSuchPage:
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
        src = await _store_picture(session, pictures.upload_name(upload.filename or "picture"), data)
        session.pictures_added.add(src)  # deleted again at Save or Discard when nothing names it (a13d minor 12)
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
        await alignvalues.change_value(session, lang, path, lambda d: d.set(path, empty_value(spec), spec, parent), by=by)
    await alignvalues.change_value(session, lang, (*path, "src"), lambda d: d.set((*path, "src"), src, spec.child("src"), spec), by=by)  # type: ignore[arg-type]
    answer = {"src": src, "thumb": f"/issues/{session.slug}/files/{src}", "revision": session.revision(lang)}
    return JSONResponse(answer, headers={**NO_STORE, **_revision(session, lang)})


async def _store_picture(session: IssueSession, name: str, data: bytes) -> str:
    import anyio

    return await anyio.to_thread.run_sync(pictures.store_picture, session.folder, name, data)


async def save(ctx: Ctx) -> Response:
    """Write the edition's file; 409 with what happened when it changed on disk since it was opened."""
    try:
        session, lang = address_session(ctx)
    except NoSuchPage:
        return missing(ctx)
    form = await form_data(ctx) if "form" in ctx.request.headers.get("content-type", "") else {}
    languages = [lang] + [code for code in form.get("also", "").split(",") if is_edition(code) and code != lang]
    if (behind := _behind(ctx, session, lang)) is not None:
        return behind  # saving would write another page's changes this one never showed
    try:
        for code in languages:
            if code in session.drafts and session.drafts[code].changed:
                await session.save(code)  # the default edition's saves the translations that followed its list changes
    except EditConflict as err:
        other = _translation_changed(err, lang)
        if other is not None:  # this edition is saved; a translation's file changed on disk: name it (a13d minor 4)
            said = ctx.t("conflict_translation", saved=session.path(lang).name, file=session.path(other).name, language=other)
            if ctx.request.headers.get("hx-request") or "json" in ctx.request.headers.get("accept", ""):
                body = {"error": said, "hint": "", "conflict": "translation", "language": other, "saved": True}
                return JSONResponse(body, status_code=409, headers={**NO_STORE, **_revision(session, lang)})
            return ctx.render("message.html.j2", status=409, title=ctx.t("conflict_translation_title"), message=said)
        if ctx.request.headers.get("hx-request") or "json" in ctx.request.headers.get("accept", ""):
            return JSONResponse({"error": err.message, "hint": err.hint, "conflict": True}, status_code=409, headers=NO_STORE)
        return ctx.render("message.html.j2", status=409, title=ctx.t("conflict_title"), message=error_words(err))
    except ContentError as err:  # too big to write (document.too_big_to_save): the draft stays, unsaved
        if not err.problems or err.problems[0].code != "file.too_big":
            raise
        args = dict(err.problems[0].args)
        said = ctx.t("save_too_big", kb=args.get("kb", "?"), most=args.get("most_kb", "?"))
        if ctx.request.headers.get("hx-request") or "json" in ctx.request.headers.get("accept", ""):
            return JSONResponse({"error": said}, status_code=413, headers=NO_STORE)
        return ctx.render("message.html.j2", status=413, title=ctx.t("write_failed_title"), message=said)
    if "json" in ctx.request.headers.get("accept", ""):
        answer = {"saved": True, "dirty": session.dirty(), "revision": session.revision(lang), "stamp": session.drafts[lang].stamp if lang in session.drafts else ""}
        return JSONResponse(answer, headers={**NO_STORE, **_revision(session, lang)})
    return redirect(f"/issues/{session.slug}/{lang}")


def _translation_changed(err: EditConflict, lang: str) -> str | None:
    """The language of the translation whose file changed on disk while ``lang`` was saved (``alignment``); None: ``lang``'s own."""
    problem = err.problems[0] if err.problems else None
    other = dict(problem.args).get("language") if problem is not None and problem.code == "file.changed" else None
    return other if other and other != lang else None


async def reload(ctx: Ctx) -> Response:
    """Forget the unsaved changes of this edition ("Discard my changes", "Reload from disk") and read its file again.

    The draft goes even when the file does not read: a draft nobody can
    save never blocks a test send or a send.
    """
    try:
        session, lang = address_session(ctx)
        await session.discard(lang)
    except NoSuchPage:
        return missing(ctx)
    except ContentError:
        pass  # the editor page explains what is wrong with the file
    form = await form_data(ctx)
    back = form.get("next", "")
    return redirect(back if back.startswith(f"/issues/{session.slug}/") and "//" not in back else f"/issues/{session.slug}/{lang}")
