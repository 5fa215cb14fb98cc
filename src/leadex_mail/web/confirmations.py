"""The web app's background sender of sign-up confirmation mails (and of the privacy mails).

The subscribe form only *queues* a confirmation, in the transaction that
records the sign-up (``store/outgoing.py``); the preferences page queues
"send me my data" and "delete my data" mails the same way
(``selfservice.py``). This sender, one thread started
and stopped with the app's lifespan, sends what is queued, so a slow or
unreachable relay never holds a request thread: the sign-up answer, the
archive and every other page stay as fast as without mail.

    sender = ConfirmationSender(store, settings, clock=clock)
    sender.start()        # lifespan startup: sends whatever is already queued
    sender.wake()         # after a sign-up queued something
    sender.wait_idle(10)  # tests: until nothing is due any more (no sleeping)
    sender.stop()         # lifespan shutdown

Each mail is claimed under a lease before it is sent (several ``serve``
processes never send one twice) and built at send time from the subscriber
row, so its link is current. Outcomes:

    accepted                         sent
    nothing to confirm (confirmed),  skipped
    or the subscriber erased
    PermanentFailure (5xx) for the   failed, with the server's reply
    address (``replies.classify``:
    hard or soft bounce)
    a refusal about the sender or    retried like a ServerFailure: the relay
    the message (5.7.x relay,        or the configuration is the operator's
    blocklist, content, size)        to fix, not the person's
    TemporaryFailure (4xx, ...)      retried after confirm_backoff_seconds,
                                     doubling, at most an hour; failed after
                                     confirm_max_attempts
    ServerFailure, a broken brand    the same, and the sender pauses until
    file, any other error            that retry time: one probe at a time
                                     while the relay is down

Every retry and failure is logged, and shown by ``leadex-mail confirmations``
and ``leadex-mail status``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from leadex_mail.config import Settings
from leadex_mail.store.deliveries import new_owner
from leadex_mail.delivery.replies import Kind, classify
from leadex_mail.delivery.transport import Transport
from leadex_mail.errors import LeadexError, NotFound, PermanentFailure, ServerFailure, TemporaryFailure
from leadex_mail.store import outgoing
from leadex_mail.store import subscribers as store_subscribers
from leadex_mail.store.db import Store
from leadex_mail.store.models import Subscriber
from leadex_mail.web.selfservice import Mail, erasure_mail, export_mail
from leadex_mail.web.service import confirmation_mail, sender_brand, writing

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
TransportFactory = Callable[[Settings], Transport]
MAX_BACKOFF = timedelta(hours=1)
STOP_WAIT_SECONDS = 10.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def retry_delay(backoff: timedelta, attempt: int) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1-based): doubling, at most an hour."""
    return min(backoff * (2 ** min(attempt - 1, 30)), MAX_BACKOFF)


class ConfirmationSender:
    """Sends queued confirmation mails from one background thread.

    ``transport_factory(settings)`` makes the transport for a pass over the
    queue (closed when the queue is idle again: an idle SMTP connection
    would only be dropped by the server); ``clock`` is the app's clock
    (due times, link expiry, retry times). ``poll_seconds`` bounds how long
    the thread sleeps with nothing due, so rows of a ``serve`` process that
    died (lease run out) or re-queued by ``confirmations --retry`` are seen.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        transport_factory: TransportFactory | None = None,
        clock: Clock | None = None,
        poll_seconds: float = 30.0,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or _utcnow
        self.poll_seconds = poll_seconds
        self.owner = owner or new_owner()
        self.max_attempts = settings.confirm_max_attempts
        self.backoff = timedelta(seconds=settings.confirm_backoff_seconds)
        self.lease = timedelta(seconds=settings.send_lease_seconds)
        self._factory = transport_factory or _default_factory
        self._cv = threading.Condition()
        self._wakes = 0  # wake() calls so far
        self._idle_after = -1  # the wake count seen when the last pass began and ended with nothing due
        self._stopping = False
        self._paused_until: datetime | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Start the sending thread; it first sends whatever is due already (e.g. after a restart)."""
        with self._cv:
            self._stopping = False
        self._thread = threading.Thread(target=self._run, name="confirmation-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_WAIT_SECONDS) -> None:
        """Let the mail in hand finish (up to ``timeout`` seconds), then stop the thread.

        A mail still with the relay after that keeps its lease; if it did not
        go out, the next start (of any process) sends it once the lease ends.
        """
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.join(timeout)
        if thread.is_alive():
            log.warning(
                "confirmation sender stopped with a mail still at the relay; if it did not go out, it is sent again"
                " %d minutes after it was claimed (its lease)",
                round(self.lease.total_seconds() / 60),
            )

    def wake(self) -> None:
        """Something was queued: look at the queue now."""
        with self._cv:
            self._wakes += 1
            self._cv.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until a pass that began after the latest ``wake`` found nothing more to send now.

        The hook tests wait on instead of sleeping. False when ``timeout``
        passed first or the sender is not running.
        """
        with self._cv:
            target = self._wakes
            return self._cv.wait_for(lambda: self._idle_after >= target or self._thread is None, timeout) and self._thread is not None

    # -- the thread --------------------------------------------------------------

    def _run(self) -> None:
        errors = 0
        while True:
            with self._cv:
                if self._stopping:
                    return
                seen = self._wakes
            try:
                wait = self._drain()
                errors = 0
            except Exception:  # noqa: BLE001 - the store went away, a bug: log it, keep the thread alive
                errors += 1
                wait = min(self.poll_seconds, 2.0**errors)
                log.exception("confirmation sender: the queue could not be read; trying again in %.0f s", wait)
            with self._cv:
                self._idle_after = seen
                self._cv.notify_all()
                if self._stopping:
                    return
                if self._wakes == seen:
                    self._cv.wait(wait)

    def _drain(self) -> float:
        """Send every due mail, one at a time; return how many seconds until something may be due."""
        transport: Transport | None = None
        try:
            while not self._stopping and not self._paused(self.clock()):
                with writing(self.store):
                    claimed = outgoing.claim(self.store, self.owner, self.clock(), self.lease)
                if claimed is None:
                    break
                transport = self._send(claimed, transport)
        finally:
            if transport is not None:
                transport.close()
        return self._seconds_to_next()

    def _paused(self, now: datetime) -> bool:
        if self._paused_until is not None and now >= self._paused_until:
            self._paused_until = None
        return self._paused_until is not None

    def _seconds_to_next(self) -> float:
        now = self.clock()
        due = self._paused_until or outgoing.next_due(self.store)
        if due is None:
            return self.poll_seconds
        return min(self.poll_seconds, max((due - now).total_seconds(), 0.5))

    # -- one mail ------------------------------------------------------------------

    def _send(self, claimed: outgoing.Claimed, transport: Transport | None) -> Transport | None:
        """Send one claimed mail and record the outcome; return the transport to reuse (None: closed)."""
        now = self.clock()
        if claimed.reclaimed:
            log.warning(
                "%s mail %d was being sent by a process that stopped; sending it again (it may arrive twice)", _label(claimed.kind), claimed.id
            )
        subscriber = self._subscriber(claimed.subscriber_id)
        skip = _nothing_to_send(claimed.kind, subscriber)
        if skip is not None:
            with writing(self.store):
                outgoing.mark_skipped(self.store, claimed.id, self.owner, reason=skip, now=now)
            return transport
        assert subscriber is not None
        try:
            transport = transport or self._factory(self.settings)
            reply = self._deliver(transport, subscriber, claimed, now)
        except PermanentFailure as err:
            if classify(err.reply or "").kind is Kind.REJECTED:
                self._retry(claimed, _reply(err), now, pause=True)
                return transport
            self._failed(claimed, _reply(err), now)
            return transport
        except ServerFailure as err:
            self._retry(claimed, _reply(err), now, pause=True)
        except TemporaryFailure as err:
            self._retry(claimed, _reply(err), now, pause=False)
            return transport
        except LeadexError as err:  # the brand file, the configuration: the operator's to fix
            self._retry(claimed, f"{err.message}" + (f" ({err.hint})" if err.hint else ""), now, pause=True)
        except Exception as err:  # noqa: BLE001 - a bug must not stop the sender nor lose the mail
            log.exception("%s mail %d: unexpected error", _label(claimed.kind), claimed.id)
            self._retry(claimed, f"{type(err).__name__}: {err}", now, pause=True)
        else:
            with writing(self.store):
                outgoing.mark_sent(self.store, claimed.id, reply=reply, now=self.clock())
            log.info("%s mail %d to subscriber %d sent: %s", _label(claimed.kind), claimed.id, claimed.subscriber_id, reply)
            return transport
        if transport is not None:
            transport.close()  # a failed session is not reused
        return None

    def _subscriber(self, subscriber_id: int) -> Subscriber | None:
        try:
            return store_subscribers.get_subscriber_by_id(self.store, subscriber_id)
        except NotFound:
            return None  # erased meanwhile (its rows went with it)

    def _deliver(self, transport: Transport, subscriber: Subscriber, claimed: outgoing.Claimed, now: datetime) -> str:
        from leadex_mail.delivery.message import build_transactional, sender_address

        brand: Any = sender_brand(self.settings)
        mail = self._compose(subscriber, claimed, now)
        files = [(a.filename, a.mime_type, a.data) for a in mail.attachments]
        data = build_transactional(self.settings, brand, to=mail.to, subject=mail.subject, text=mail.text, now=now, attachments=files)
        return transport.send(sender_address(self.settings, brand), [mail.to], data).reply

    def _compose(self, subscriber: Subscriber, claimed: outgoing.Claimed, now: datetime) -> Mail:
        """The mail of ``claimed``'s kind, made now from the rows as they are (fresh links, current data)."""
        if claimed.kind == "data_export":
            return export_mail(self.store, self.settings, subscriber, now, claimed.language)
        if claimed.kind == "erasure":
            return erasure_mail(self.settings, subscriber, now, claimed.language)
        to, subject, text = confirmation_mail(self.settings, subscriber, now, claimed.language)
        return Mail(to, subject, text)

    def _retry(self, claimed: outgoing.Claimed, reply: str, now: datetime, *, pause: bool) -> None:
        attempt = claimed.attempts + 1
        if attempt >= self.max_attempts:
            self._failed(claimed, f"{reply} (gave up after {attempt} attempts)", now)
            return
        next_at = now + retry_delay(self.backoff, attempt)
        with writing(self.store):
            outgoing.mark_retry(self.store, claimed.id, self.owner, next_at=next_at, reply=reply, now=now)
        if pause:
            self._paused_until = next_at
        log.warning(
            "%s mail %d to subscriber %d not sent (attempt %d of %d): %s; next try at %s UTC",
            _label(claimed.kind), claimed.id, claimed.subscriber_id, attempt, self.max_attempts, reply, f"{next_at:%Y-%m-%d %H:%M:%S}",
        )

    def _failed(self, claimed: outgoing.Claimed, reply: str, now: datetime) -> None:
        with writing(self.store):
            outgoing.mark_failed(self.store, claimed.id, self.owner, reply=reply, now=now)
        log.error(
            "%s mail %d to subscriber %d failed: %s; `leadex-mail confirmations --retry` queues it again",
            _label(claimed.kind), claimed.id, claimed.subscriber_id, reply,
        )


def _label(kind: str) -> str:
    """How the log names a mail of ``kind`` (ids only in the log, never an address or the mail's content)."""
    return {"data_export": "data export", "erasure": "erasure link"}.get(kind, kind)


def _nothing_to_send(kind: str, subscriber: Subscriber | None) -> str | None:
    """Why a claimed mail is not sent any more (None: send it)."""
    if kind == "confirmation" and (subscriber is None or subscriber.status == "active"):
        return "not sent: nothing left to confirm"
    if subscriber is None:
        return "not sent: the subscriber was erased meanwhile"
    return None


def _default_factory(settings: Settings) -> Transport:
    from leadex_mail.delivery.transport import make_transport

    return make_transport(settings)


def _reply(err: LeadexError) -> str:
    """The server's reply when there is one, with what went wrong."""
    reply = getattr(err, "reply", None)
    return err.message if not reply or reply in err.message else f"{err.message} [{reply}]"
