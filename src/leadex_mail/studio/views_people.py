"""Subscribers, lists and reports: the CLI's ``subscribers``, ``lists`` and ``status`` for officers.

    GET  /subscribers                    lists, search, add, import, export
    POST /subscribers/add                add one person (the officer vouches for consent)
    POST /lists                          create a list (public or private)
    GET  /subscribers/{id}               one person: lists, consent and event log
    POST /subscribers/{id}/unsubscribe   unsubscribe (recorded as done from the studio)
    GET  /subscribers/{id}/erase         what erasure does; type the address to confirm
    POST /subscribers/{id}/erase         erase (GDPR Art. 17), suppress the address for good
    POST /subscribers/import             the CSV's dry-run report, nothing written
    POST /subscribers/import/confirm     the same file imported for real
    GET  /subscribers/export             everyone (or one person) as CSV or JSON (Art. 15/20)
    GET  /reports                        delivery figures per issue, list and language
    GET  /reports.csv                    the same as CSV

Subscriber pages need the sender role; reports are open to editors too.
Every change and erasure is in the audit log, naming the subscriber by id
only (an erasure leaves no address behind there either).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
from starlette.responses import Response
from starlette.routing import Route

from leadex_mail.errors import InvalidValue, LeadexError, NotFound, StoreError
from leadex_mail.store.accounts import record
from leadex_mail.studio.importview import ImportView, import_view
from leadex_mail.studio.storefail import is_failure, store_failed
from leadex_mail.studio.web import Ctx, action, form_data, page
from leadex_mail.studio.saying import error_words, one_address

PAGE_SIZE = 100
IMPORT_MAX_BYTES = 30 * 1024 * 1024


def routes() -> list[Route]:
    """This module's routes."""
    return [
        Route("/subscribers", page(people, "subscribers"), methods=["GET"]),
        Route("/subscribers/add", action(add, "subscribers"), methods=["POST"]),
        Route("/lists", action(create_list, "subscribers"), methods=["POST"]),
        Route("/subscribers/export", page(export, "subscribers"), methods=["GET"]),
        Route("/subscribers/import", action(import_preview, "subscribers"), methods=["POST"]),
        Route("/subscribers/import/confirm", action(import_confirm, "subscribers"), methods=["POST"]),
        Route("/subscribers/{id:int}", page(person, "subscribers"), methods=["GET"]),
        Route("/subscribers/{id:int}/unsubscribe", action(unsubscribe, "subscribers"), methods=["POST"]),
        Route("/subscribers/{id:int}/erase", page(erase_page, "subscribers"), methods=["GET"]),
        Route("/subscribers/{id:int}/erase", action(erase, "subscribers"), methods=["POST"]),
        Route("/reports", page(reports, "reports"), methods=["GET"]),
        Route("/reports.csv", page(reports_csv, "reports"), methods=["GET"]),
    ]


def _run(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    return anyio.to_thread.run_sync(lambda: function(*args, **kwargs))


async def people(ctx: Ctx, *, message: str | None = None, error: str | None = None, report: ImportView | None = None, token: str | None = None, status: int = 200) -> Response:
    """Lists with their counts, a search, the forms to add, import and export."""
    from leadex_mail.store.lists import list_infos
    from leadex_mail.store.models import SUBSCRIBER_STATUSES
    from leadex_mail.store.queries import list_subscribers

    params = ctx.request.query_params
    text, list_name, state = params.get("q", "").strip(), params.get("list") or None, params.get("status") or None
    store = ctx.studio.store
    infos = await _run(list_infos, store)
    try:
        found = await _run(list_subscribers, store, list_name=list_name, status=state if state in SUBSCRIBER_STATUSES else None, text=text or None, limit=PAGE_SIZE + 1)
    except NotFound:
        found, error = [], error or ctx.t("no_such_list")
    return ctx.render(
        "people.html.j2",
        status=status,
        title=ctx.t("people_title"),
        lists=infos,
        found=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        q=text,
        list_name=list_name or "",
        state=state or "",
        statuses=SUBSCRIBER_STATUSES,
        message=message,
        error=error,
        report=report,
        token=token,
        default_language=ctx.studio.settings.default_language,
        nav="subscribers",
    )


async def add(ctx: Ctx) -> Response:
    """Add one subscriber, active, on the chosen lists."""
    from leadex_mail.store.subscribers import add_subscriber

    form = await ctx.request.form()
    email, name = str(form.get("email", "")).strip(), str(form.get("name", "")).strip() or None
    language = str(form.get("language", "")).strip() or ctx.studio.settings.default_language
    lists = [str(v) for v in form.getlist("lists")]
    mailbox, wrong = one_address(ctx, email)
    if wrong is not None:
        return await people(ctx, error=wrong, status=400)
    if mailbox is not None:  # "Ana Novak <ana@example.org>": the address, and the name when none was typed
        email, name = mailbox.address, name or mailbox.name or None
    try:
        sub = await _run(add_subscriber, ctx.studio.store, email, name=name, language=language, lists=lists, source="studio", allow_smtputf8=ctx.studio.settings.smtputf8)
    except LeadexError as err:
        if is_failure(err):  # the database failed, not the officer's value: the page says what to do
            return store_failed(ctx, err, back="/subscribers")  # type: ignore[arg-type]
        return await people(ctx, error=error_words(err), status=400)
    try:
        await _run(record, ctx.studio.store, ctx.actor, "subscriber_add", f"subscriber {sub.id}", subscriber_id=sub.id, detail={"lists": lists, "language": sub.language})
    except StoreError as err:  # added, not logged: said beside what was done (studio.storefail)
        return store_failed(ctx, err, done=ctx.t("store_added", email=sub.email), not_done=ctx.t("store_not_recorded"), back="/subscribers")
    return await people(ctx, message=ctx.t("added", email=sub.email))


async def create_list(ctx: Ctx) -> Response:
    """Create a list; private unless ticked public."""
    from leadex_mail.store.lists import create_list as make

    from leadex_mail.store.lists import list_infos
    from leadex_mail.store.validation import clean_list_name

    form = await form_data(ctx)
    name = form.get("name", "").strip()
    # The name is judged here, in the studio's words (the core's say "--title" and "`leadex-mail lists list`", a13d #9's kind).
    try:
        clean_list_name(name)
    except InvalidValue:
        return await people(ctx, error=ctx.t("list_bad_name", name=name), status=400)
    if name in {info.list.name for info in await _run(list_infos, ctx.studio.store)}:
        return await people(ctx, error=ctx.t("list_exists", name=name), status=409)
    try:
        item = await _run(make, ctx.studio.store, name, title=form.get("title") or None, public=form.get("public") == "1")
    except LeadexError as err:
        if is_failure(err):  # the database failed, not the officer's value: the page says what to do
            return store_failed(ctx, err, back="/subscribers")  # type: ignore[arg-type]
        if isinstance(err, InvalidValue):  # the title (control characters): the core's words name the field
            return await people(ctx, error=error_words(err), status=400)
        return await people(ctx, error=ctx.t("list_exists", name=name), status=409)  # made by someone else meanwhile
    try:
        await _run(record, ctx.studio.store, ctx.actor, "list_create", item.name, detail={"public": item.public})
    except StoreError as err:
        return store_failed(ctx, err, done=ctx.t("store_list_created", name=item.name), not_done=ctx.t("store_not_recorded"), back="/subscribers")
    return await people(ctx, message=ctx.t("list_created", name=item.name))


async def person(ctx: Ctx, *, message: str | None = None) -> Response:
    """One subscriber: details, lists, the consent and event log."""
    from leadex_mail.store.subscribers import get_subscriber_by_id, subscriber_events, subscriber_lists

    sid = ctx.request.path_params["id"]
    try:
        sub = await _run(get_subscriber_by_id, ctx.studio.store, sid)
    except NotFound:
        return ctx.render("message.html.j2", status=404, title=ctx.t("not_found_title"), message=ctx.t("no_such_person"))
    memberships = await _run(subscriber_lists, ctx.studio.store, sid)
    events = await _run(subscriber_events, ctx.studio.store, sid)
    from leadex_mail.studio.views_schedule import local_time

    when = lambda at: local_time(at, ctx.studio.settings)  # noqa: E731 (every time with its zone is said by local_time)
    return ctx.render("person.html.j2", title=sub.email, sub=sub, memberships=memberships, events=events, message=message, when=when, nav="subscribers")


async def unsubscribe(ctx: Ctx) -> Response:
    """Unsubscribe from everything, recorded as done from the studio."""
    from leadex_mail.store.subscribers import unsubscribe as stop

    sid = ctx.request.path_params["id"]
    changed = await _run(stop, ctx.studio.store, sid, source="studio")
    try:
        await _run(record, ctx.studio.store, ctx.actor, "subscriber_unsubscribe", f"subscriber {sid}", subscriber_id=sid, detail={"changed": changed})
    except StoreError as err:
        return store_failed(ctx, err, done=ctx.t("store_unsubscribed"), not_done=ctx.t("store_not_recorded"), back=f"/subscribers/{sid}")
    return await person(ctx, message=ctx.t("unsubscribed_done"))


async def erase_page(ctx: Ctx, *, error: str | None = None, status: int = 200) -> Response:
    """What erasing does, and the confirmation: type the address."""
    from leadex_mail.store.subscribers import get_subscriber_by_id

    try:
        sub = await _run(get_subscriber_by_id, ctx.studio.store, ctx.request.path_params["id"])
    except NotFound:
        return ctx.render("message.html.j2", status=404, title=ctx.t("not_found_title"), message=ctx.t("no_such_person"))
    return ctx.render("erase.html.j2", status=status, title=ctx.t("erase_title", email=sub.email), sub=sub, error=error, nav="subscribers")


async def erase(ctx: Ctx) -> Response:
    """Erase everything about the person and suppress the address, once the address was typed to confirm."""
    from leadex_mail.store.gdpr import forget
    from leadex_mail.store.subscribers import get_subscriber_by_id

    sid = ctx.request.path_params["id"]
    try:
        sub = await _run(get_subscriber_by_id, ctx.studio.store, sid)
    except NotFound:
        return ctx.render("message.html.j2", status=404, title=ctx.t("not_found_title"), message=ctx.t("no_such_person"))
    typed = (await form_data(ctx)).get("confirm", "").strip().lower()
    if typed != sub.email.lower():
        return await erase_page(ctx, error=ctx.t("erase_mismatch"), status=400)
    try:  # the audit record first: an erasure the log cannot show is not made
        await _run(record, ctx.studio.store, ctx.actor, "subscriber_erase", f"subscriber {sid}", subscriber_id=sid)
    except StoreError as err:
        return store_failed(ctx, err, not_done=ctx.t("store_erase_refused"), back=f"/subscribers/{sid}")
    try:
        done = await _run(forget, ctx.studio.store, sub.email, source="studio")
    except StoreError as err:  # one transaction, then the files are tidied: say which of the two failed
        try:
            await _run(get_subscriber_by_id, ctx.studio.store, sid)
        except NotFound:
            return store_failed(ctx, err, done=ctx.t("store_erased"), not_done=ctx.t("store_erase_tidy"), back="/subscribers")
        except StoreError:
            pass
        return store_failed(ctx, err, not_done=ctx.t("store_erase_failed"), back=f"/subscribers/{sid}")
    return await people(ctx, message=ctx.t("erased_done", events=done.events_anonymised, deliveries=done.deliveries_anonymised))


async def export(ctx: Ctx) -> Response:
    """Everyone (or ``?email=``) as the CLI's export, downloaded."""
    from leadex_mail.store.gdpr import EXPORT_FORMATS, export_text

    fmt = ctx.request.query_params.get("format", "csv")
    email = ctx.request.query_params.get("email") or None
    if fmt not in EXPORT_FORMATS:
        fmt = "csv"
    try:
        text = await _run(export_text, ctx.studio.store, fmt, email)
    except LeadexError as err:
        return await people(ctx, error=err.message, status=404)
    await _run(record, ctx.studio.store, ctx.actor, "subscriber_export", "one subscriber" if email else "everyone", detail={"format": fmt})
    media = "application/json" if fmt == "json" else "text/csv; charset=utf-8"
    name = {"json": "subscribers.json", "csv": "subscribers.csv", "excel": "subscribers-excel.csv"}[fmt]
    return Response(text, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})


@contextmanager
def _uploaded(name: str, data: bytes) -> Iterator[Path]:
    """The uploaded CSV as a file named as the officer knows it, only while the import reads it; then gone.

    Personal data: the file is owner-only, in a folder of its own, and is
    removed whatever happens, so an abandoned dry run leaves nothing in the
    temporary folder (between the dry run and the import the bytes stay in
    the session, never on disk).
    """
    with tempfile.TemporaryDirectory(prefix="leadex-studio-import-") as folder:
        path = Path(folder) / (Path(name).name or "import.csv")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path


async def import_preview(ctx: Ctx) -> Response:
    """Read the uploaded CSV as a dry run: the report of what would be imported; nothing is written."""
    form = await ctx.request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return await people(ctx, error=ctx.t("import_no_file"), status=400)
    data = await upload.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        return await people(ctx, error=ctx.t("import_too_big"), status=400)
    token = secrets.token_urlsafe(16)
    options = {"list_name": str(form.get("list") or "") or None, "language": str(form.get("language") or "") or None, "encoding": str(form.get("encoding") or "") or None}
    upload_name = Path(upload.filename).name  # the report names the file as the officer knows it
    ctx.session.pending_import = (token, (upload_name, data), options)  # type: ignore[attr-defined]
    return await _import(ctx, (upload_name, data), options, dry_run=True, token=token)


async def import_confirm(ctx: Ctx) -> Response:
    """Import the file whose dry run was shown (only that one, only by this session)."""
    pending = getattr(ctx.session, "pending_import", None)
    token = (await form_data(ctx)).get("token", "")
    if not pending or not secrets.compare_digest(pending[0], token):
        return await people(ctx, error=ctx.t("import_expired"), status=409)
    ctx.session.pending_import = None  # type: ignore[attr-defined]
    _, upload, options = pending
    return await _import(ctx, upload, options, dry_run=False, token=None)


async def _import(ctx: Ctx, upload: tuple[str, bytes], options: dict, *, dry_run: bool, token: str | None) -> Response:
    from leadex_mail.content.loader import edition_languages
    from leadex_mail.store.importer import import_csv
    from leadex_mail.store.importreport import Editions

    settings = ctx.studio.settings
    editions = Editions(frozenset(edition_languages(settings)), settings.default_language)
    try:
        with _uploaded(*upload) as path:
            report = await _run(
                import_csv, ctx.studio.store, path, dry_run=dry_run, allow_smtputf8=settings.smtputf8,
                default_language=settings.default_language, editions=editions, **options,
            )
    except LeadexError as err:
        if is_failure(err):  # the database failed, not the officer's value: the page says what to do
            return store_failed(ctx, err, back="/subscribers")  # type: ignore[arg-type]
        from leadex_mail.errors import ImportFailed
        from leadex_mail.studio.importview import failure_words

        said = failure_words(err, ctx.t) if isinstance(err, ImportFailed) and err.code else error_words(err)
        return await people(ctx, error=said, status=400)
    if not dry_run:
        try:
            await _run(record, ctx.studio.store, ctx.actor, "subscriber_import", upload[0], detail={"imported": report.imported, "updated": report.updated, "rejected": len(report.rejected), "list": options.get("list_name")})
        except StoreError as err:
            done = ctx.t("store_imported", imported=report.imported, updated=report.updated)
            return store_failed(ctx, err, done=done, not_done=ctx.t("store_not_recorded"), back="/subscribers")
    shown = import_view(report, ctx.words, ctx.words.language)  # the report object in the officer's words, never the CLI's text
    return await people(ctx, report=shown, token=token, message=None if dry_run else ctx.t("import_done", imported=report.imported, updated=report.updated))


async def reports(ctx: Ctx) -> Response:
    """Delivery figures per issue, list and edition language."""
    from leadex_mail.reporting import campaign_figures

    from leadex_mail.studio.views_schedule import local_time

    rows = await _run(campaign_figures, ctx.studio.store)
    when = lambda at: local_time(at, ctx.studio.settings)  # noqa: E731 (every time with its zone is said by local_time)
    return ctx.render("reports.html.j2", title=ctx.t("reports_title"), rows=rows, when=when, nav="reports")


async def reports_csv(ctx: Ctx) -> Response:
    """The figures as a CSV file for project reporting (``?format=excel``: with ``;`` between cells, ``store.csvwrite``)."""
    from leadex_mail.campaign.sendtime import zone
    from leadex_mail.reporting import campaign_figures, figures_csv

    kind = "excel" if ctx.request.query_params.get("format") == "excel" else "csv"
    name = "delivery-figures-excel.csv" if kind == "excel" else "delivery-figures.csv"
    rows = await _run(campaign_figures, ctx.studio.store)
    text = figures_csv(rows, zone(ctx.studio.settings), kind)
    return Response(text, media_type="text/csv; charset=utf-8", headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})
