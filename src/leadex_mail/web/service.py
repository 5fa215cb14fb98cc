"""What the subscriber pages do, without HTTP: sign up, confirm, unsubscribe, preferences.

The Starlette handlers in ``app.py`` parse a request, call one function here
and render the answer. Everything here takes the store, settings and the
visitor (IP, user agent) explicitly, so it is tested without a server.

Personal links carry signed tokens (``tokens.py``); ``read_token`` tells a
forged or tampered link (``InvalidLink``) from an expired one
(``ExpiredLink``) so the page can say which. A genuine link made for a row
that is gone, or for another row with the same id (``store/identity.py``),
gets the answers an erased person's link gets: nothing happens.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from leadex_mail import links
from leadex_mail.config import Settings
from leadex_mail.errors import NotFound, StoreError, Suppressed, TokenError
from leadex_mail.store import identity
from leadex_mail.store import lists as store_lists
from leadex_mail.store import subscribers as store_subscribers
from leadex_mail.store.db import Store
from leadex_mail.store.models import Subscriber
from leadex_mail.store.outgoing import ConfirmationRequest
from leadex_mail.store.queries import link_target
from leadex_mail.store.subscribers import UnsubscribeRequest
from leadex_mail.tokens import verify
from leadex_mail.web.i18n import catalog, languages

log = logging.getLogger(__name__)

# Before any real expiry: a signature check that ignores the expiry.
_EPOCH = datetime(1970, 1, 2, tzinfo=UTC)
MAX_NAME = 200


class InvalidLink(TokenError):
    """A personal link that is forged, tampered with, or for another purpose."""


class ExpiredLink(TokenError):
    """A genuine personal link past its expiry."""


@dataclass(frozen=True)
class Visitor:
    """Who sent a request, as recorded with consent and unsubscribe events."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class SignupForm:
    """The subscribe form as submitted (raw strings, not yet trusted)."""

    email: str = ""
    name: str = ""
    language: str = ""
    lists: tuple[str, ...] = ()
    consent: bool = False
    honeypot: str = ""


@dataclass(frozen=True)
class ListChoice:
    """One list shown on a form: its slug, its title and whether it is ticked."""

    name: str
    title: str
    checked: bool = False


@dataclass(frozen=True)
class PreferencesView:
    """What the preferences page shows for one subscriber."""

    subscriber_id: int
    language: str
    active: bool
    lists: list[ListChoice] = field(default_factory=list)


def writing(store: Store) -> AbstractContextManager[object]:
    """Hold this while the web writes: the store's own queue of SQLite writers (``Store.serialised``; no-op elsewhere).

    Threads that meet SQLite's write lock sleep in its busy handler (1, 2,
    5 ... 100 ms steps); waiting on a Python lock wakes at once, which keeps
    the one-click p99 low under load.
    """
    return store.serialised()


def read_token(purpose: str, token: str, settings: Settings, now: datetime) -> dict[str, Any]:
    """The payload of a personal link; ``InvalidLink`` or ``ExpiredLink`` otherwise.

    Signed with the current key or one of ``previous_secret_keys``. Says
    nothing about whether the row it names is still the one it was made for,
    except that a legacy link (no row nonce ``n``, made before migration
    0005) signed only by a previous key is taken only where the store can
    prove it was sent (unsubscribe and view: ``store/identity.py``), never
    as a preferences link, which would name any id up to the upgrade's.
    """
    key = settings.verification_keys()
    try:
        verify(purpose, token, key, now=_EPOCH)
    except TokenError:
        raise InvalidLink("this link is not valid", hint="copy the whole link from the email") from None
    try:
        payload = verify(purpose, token, key, now=now)
    except TokenError:
        raise ExpiredLink("this link has expired", hint="subscribe again for a new link") from None
    if not isinstance(payload.get("s"), int):
        raise InvalidLink("this link is not valid")
    if "n" not in payload and purpose not in _LEGACY_WITH_EVIDENCE and not _signed_with(purpose, token, key[0]):
        raise InvalidLink("this link is too old to be used", hint="use the link in a newer email, or its unsubscribe link")
    return payload


# Legacy links a previous key may still vouch for: the store checks that the campaign went to that person.
_LEGACY_WITH_EVIDENCE = ("unsubscribe", "view")


def _signed_with(purpose: str, token: str, key: bytes) -> bool:
    try:
        verify(purpose, token, key, now=_EPOCH)
    except TokenError:
        return False
    return True


# -- subscribe ----------------------------------------------------------------


def offered_lists(store: Store) -> list[ListChoice]:
    """The public lists, which people may choose on the subscribe form; ticked when it is the only one.

    Private lists (internal, tests, partners) are never offered, and a
    sign-up naming one is not put on it (``request_signup`` keeps only these).
    """
    found = store_lists.list_lists(store, public=True)
    only = len(found) == 1
    return [ListChoice(item.name, item.title or item.name, checked=only) for item in found]


def validate_signup(form: SignupForm, offered: list[ListChoice]) -> dict[str, str]:
    """Form errors as ``field -> catalog key``; empty when the form may be submitted.

    The email check is syntax only (offline), the same for every address, so
    it reveals nothing about who is subscribed.
    """
    errors: dict[str, str] = {}
    try:
        store_subscribers.normalise_email(form.email)
    except StoreError:
        errors["email"] = "error_email"
    if len(form.name) > MAX_NAME or any(ord(ch) < 32 or ord(ch) == 127 for ch in form.name):
        errors["name"] = "error_name"
    names = {item.name for item in offered}
    if offered and not (set(form.lists) & names):
        errors["lists"] = "error_lists"
    if not form.consent:
        errors["consent"] = "error_consent"
    return errors


def request_signup(
    store: Store,
    settings: Settings,
    form: SignupForm,
    offered: list[ListChoice],
    visitor: Visitor,
    *,
    now: datetime,
    page_language: str,
    notice_version: str | None = None,
) -> Subscriber | None:
    """Record a sign-up as pending and queue its confirmation mail, in one transaction.

    The mail goes out later, from the app's ``ConfirmationSender``; it is
    written in the form's language (else ``page_language``): an address that
    unsubscribed earlier keeps its old language until it confirms. Returns
    the pending subscriber, or None when the honeypot was filled (a bot) or
    the store declines without saying why (already active, suppressed):
    the caller answers the same way in every case, so the page reveals
    nothing about the address.
    """
    if form.honeypot.strip():
        log.info("sign-up ignored: honeypot field filled (ip %s)", visitor.ip)
        return None
    names = {item.name for item in offered}
    language = form.language if form.language in languages() else settings.default_language
    try:
        with writing(store):
            return store_subscribers.request_subscription(
                store,
                form.email,
                name=form.name.strip() or None,
                language=language,
                lists=tuple(name for name in form.lists if name in names),
                consent_version=settings.consent_version,
                source="web",
                ip=visitor.ip,
                user_agent=visitor.user_agent,
                confirmation=ConfirmationRequest(form.language if form.language in languages() else page_language, now),
                notice_version=notice_version,
            )
    except StoreError as err:
        # Refusals must look like success from outside; the operator sees the log.
        log.warning("sign-up not recorded: %s", err)
        return None


def confirmation_mail(settings: Settings, subscriber: Subscriber, now: datetime, language: str | None = None) -> tuple[str, str, str]:
    """``(to, subject, text)`` of the double opt-in mail in ``language``; no newsletter content in it."""
    cat = catalog(language or subscriber.language)
    expires = now + timedelta(days=settings.confirm_expiry_days)
    url = links.confirm_url(settings, int(subscriber.id or 0), expires, nonce=subscriber.link_nonce)
    days = settings.confirm_expiry_days
    privacy = cat.t("mail_privacy", url=links.privacy_url(settings, cat.language))
    text = "\n\n".join(
        [cat.t("mail_confirm_greeting"), cat.t("mail_confirm_body", days=days), url, cat.t("mail_confirm_ignore"), privacy]
    )
    return subscriber.email, cat.t("mail_confirm_subject"), text + "\n"


def sender_brand(settings: Settings) -> Any:
    """The brand (sender identity); the model's defaults when no brand file exists."""
    from leadex_mail.content.loader import brand_file, load_brand
    from leadex_mail.content.model import Brand

    if not brand_file(settings).is_file():
        return Brand()
    return load_brand(settings)


def confirm_signup(store: Store, settings: Settings, token: str, visitor: Visitor, now: datetime, *, notice_version: str | None = None) -> Subscriber:
    """Activate the subscriber of a confirmation link and record their consent.

    Only the row the link was made for: the nonce is checked in the
    confirming transaction, and a link without one (sent before migration
    0005) confirms nobody (``store/identity.py``).
    """
    payload = read_token("confirm", token, settings, now)
    nonce = payload.get("n")
    try:
        if not isinstance(nonce, str):
            raise NotFound("a confirmation link bound to no row")
        with writing(store):
            return store_subscribers.confirm_subscription(
                store, payload["s"], ip=visitor.ip, user_agent=visitor.user_agent, consent_version=settings.consent_version, link_nonce=nonce,
                notice_version=notice_version,
            )
    except (NotFound, Suppressed):
        # Purged as an old pending sign-up, erased, bounced since, or made for another row: the link is dead.
        raise ExpiredLink("this link has expired", hint="subscribe again for a new link") from None


# -- unsubscribe and preferences ---------------------------------------------------


# The token ``build_preview`` (render's .eml) puts where a recipient's own would be.
PREVIEW_TOKEN = "preview"


def link_for_nobody(purpose: str, token: str, settings: Settings, now: datetime) -> str | None:
    """``"test"`` for a link of a ``send-test`` message, ``"preview"`` for one of render's .eml; else None.

    Neither names a subscriber (test sends carry subscriber id 0), so the
    pages say what the link was instead of acting on it. Forged links are None
    here and refused by the usual checks.
    """
    from leadex_mail.delivery.testsend import TEST_SUBSCRIBER_ID

    if token == PREVIEW_TOKEN:
        return "preview"
    try:
        payload = read_token(purpose, token, settings, now)
    except (InvalidLink, ExpiredLink):
        return None
    return "test" if payload.get("s") == TEST_SUBSCRIBER_ID else None


def subscriber_for(store: Store, settings: Settings, purpose: str, token: str, now: datetime) -> Subscriber | None:
    """The subscriber a personal link was made for; None when that row is gone (erased) or is another one."""
    return identity.linked_subscriber(store, purpose, read_token(purpose, token, settings, now))


def view_target(store: Store, settings: Settings, token: str, now: datetime) -> tuple[int, str]:
    """``(campaign id, language)`` of a "view in browser" link; NotFound when its row is gone or another one."""
    payload = read_token("view", token, settings, now)
    if identity.linked_subscriber(store, "view", payload) is None:
        raise NotFound("no subscriber for this link")
    campaign, language = payload.get("c"), payload.get("l")
    if not isinstance(campaign, int) or not isinstance(language, str):
        raise InvalidLink("this link is not valid")
    return campaign, language


def unsubscribe_request(store: Store, settings: Settings, token: str, *, source: str, visitor: Visitor, now: datetime) -> UnsubscribeRequest | None:
    """What an unsubscribe link asks for, to hand to ``UnsubscribeWriter``; None when nothing is left to do.

    Forged or tampered links raise ``InvalidLink`` here, before anything is
    queued. A genuine link for a row that is gone or is another one gets
    None, as an erased person's does: the caller answers 2xx and nothing happens.
    """
    payload = read_token("unsubscribe", token, settings, now)
    if _nothing_left(store, payload):
        return None
    return UnsubscribeRequest(payload["s"], source, visitor.ip, visitor.user_agent)


class UnsubscribeWriter:
    """Group commit of first-time unsubscribes: one writer, one transaction per batch.

    Each request awaits ``submit``; the writer task takes every request
    queued meanwhile (up to ``max_batch``; optionally lingering ``linger``
    seconds for more) and commits them with ``unsubscribe_many``. The queue
    fills while the previous batch commits, so under load batches grow by
    themselves; a fixed linger only added latency in ``bench/web_bench.py``
    (0 / 1 / 2 ms: 491 / 459 / 382 req/s), hence 0. ``submit`` returns only
    once its batch has committed: no 2xx for an unsubscribe that could still
    be lost. A store error fails the batch's requests (500; providers
    retry). ``start``/``stop`` belong to the app's lifespan; without a
    running writer ``submit`` commits its one request directly.
    """

    def __init__(self, store: Store, *, linger: float = 0.0, max_batch: int = 128) -> None:
        self.store = store
        self.linger = linger
        self.max_batch = max_batch
        self._queue: list[tuple[UnsubscribeRequest, asyncio.Future[bool]]] = []
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._thread: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Start the writer task in the running event loop."""
        self._stopping = False
        self._ready = asyncio.Event()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="unsubscribe-writer")
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Commit whatever is already queued, then stop the writer."""
        self._stopping = True
        if self._ready is not None:
            self._ready.set()
        if self._task is not None:
            await self._task
        self._task = None
        if self._thread is not None:
            self._thread.shutdown(wait=True)

    async def submit(self, request: UnsubscribeRequest) -> bool:
        """Queue one unsubscribe and wait until its batch has committed; True when it changed something."""
        if self._stopping or self._task is None or self._task.done() or self._ready is None:
            return (await asyncio.to_thread(self._write, [request]))[0]
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        self._ready.set()
        return await future

    def _take(self) -> list[tuple[UnsubscribeRequest, asyncio.Future[bool]]]:
        batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
        return batch

    async def _run(self) -> None:
        assert self._ready is not None
        while True:
            await self._ready.wait()
            if self._stopping and not self._queue:
                return
            if self.linger and not self._stopping and len(self._queue) < self.max_batch:
                await asyncio.sleep(self.linger)  # let more arrive: one commit for all of them
            batch = self._take()
            if not self._queue and not self._stopping:
                self._ready.clear()
            await self._commit(batch)

    async def _commit(self, batch: list[tuple[UnsubscribeRequest, asyncio.Future[bool]]]) -> None:
        items = [item for item, _ in batch]
        try:
            results = self._write_now(items)
            if results is None:  # another writer is at it: wait for it on the writer thread, not in the loop
                results = await asyncio.get_running_loop().run_in_executor(self._thread, self._write, items)
        except Exception as err:  # noqa: BLE001 - whatever failed, every request of the batch must learn of it
            log.error("unsubscribe batch of %d not committed: %s", len(batch), err)
            for _, future in batch:
                if not future.done():
                    future.set_exception(err)
            return
        for (_, future), changed in zip(batch, results):
            if not future.done():  # the client may have gone away meanwhile
                future.set_result(changed)

    def _write_now(self, requests: list[UnsubscribeRequest]) -> list[bool] | None:
        """Commit in the event loop's own thread when SQLite is free this instant; None when not.

        A batch costs ~1-3 ms of Python; on the writer thread that work
        waits for the GIL behind the loop at every step (measured: 2-3x
        the latency), so the loop does it itself, but never waits for a lock.
        """
        lock = self.store.write_lock
        if lock is None or not lock.acquire(blocking=False):
            return None
        try:
            return store_subscribers.unsubscribe_many(self.store, requests, wait=False)
        except store_subscribers.StoreBusy:
            return None
        finally:
            lock.release()

    def _write(self, requests: list[UnsubscribeRequest]) -> list[bool]:
        with writing(self.store):
            return store_subscribers.unsubscribe_many(self.store, requests)


def unsubscribe_everything(store: Store, subscriber_id: int, *, source: str, visitor: Visitor) -> bool:
    """Unsubscribe from every list (idempotent); True when something changed."""
    with writing(store):
        return store_subscribers.unsubscribe(store, subscriber_id, source=source, ip=visitor.ip, user_agent=visitor.user_agent)


def _nothing_left(store: Store, payload: dict[str, Any]) -> bool:
    """True when the link's row is gone or not the one it was made for, or nothing of it is active.

    A read in its own snapshot, never waiting for the write lock (WAL); the
    store answers it on its fast path (``queries.link_target``).
    """
    row = link_target(store, payload["s"])
    if row is None or not identity.link_is_for(store, "unsubscribe", payload, row.link_nonce):
        return True
    return row.status not in ("active", "pending") and not row.subscribed


def preferences_view(store: Store, subscriber: Subscriber) -> PreferencesView:
    """The subscriber's language and the lists they may choose, ticked where their subscription is active.

    They may choose every public list, and leave a private one they are on;
    they never see (nor join) another private list.
    """
    sid = int(subscriber.id or 0)
    active = {name for name, status in store_subscribers.subscriber_lists(store, sid) if status == "active"}
    shown = [item for item in store_lists.list_lists(store) if item.public or item.name in active]
    choices = [ListChoice(item.name, item.title or item.name, checked=item.name in active) for item in shown]
    return PreferencesView(sid, subscriber.language, subscriber.status == "active", choices)


def save_preferences(store: Store, subscriber: Subscriber, *, language: str, list_names: tuple[str, ...]) -> Subscriber:
    """Change the subscriber's language and lists (unknown values are ignored)."""
    known = {choice.name for choice in preferences_view(store, subscriber).lists}
    lang = language if language in languages() else None
    with writing(store):
        return store_subscribers.set_preferences(
            store, int(subscriber.id or 0), language=lang, list_names=[name for name in list_names if name in known]
        )
