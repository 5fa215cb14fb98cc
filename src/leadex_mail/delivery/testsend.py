"""``send-test``: real ``[TEST]`` messages of an edition to a few addresses.

Test sends go through the configured transport exactly like a campaign's
messages (same template, same headers, DKIM when configured) but are logged
as ``TestSend`` rows, never as deliveries, and their links carry subscriber
id 0 (no subscriber), so clicking "unsubscribe" in a test changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from leadex_mail.config import Settings
from leadex_mail.counts import counted
from leadex_mail.delivery.message import MessageTemplate, Recipient, build_template
from leadex_mail.delivery.replies import classify
from leadex_mail.delivery.transport import Transport
from leadex_mail.errors import DeliveryError, IssueNotFound, StoreError, TestSendNotRecorded, TransportError
from leadex_mail.preflight import check_sending

if TYPE_CHECKING:
    from leadex_mail.store.db import Store

TEST_SUBSCRIBER_ID = 0
TEST_CAMPAIGN_ID = 0


@dataclass(frozen=True)
class TestSendResult:
    """What happened to one test message."""

    __test__ = False  # not a pytest test class

    recipient: str
    language: str
    message_id: str
    reply: str
    ok: bool
    hint: str | None = None  # what the refusal means and what to do (``delivery.replies``)
    error: TransportError | None = field(default=None, compare=False)  # the transport's failure, its class says which kind


def test_recipients(settings: Settings, given: Sequence[str]) -> list[str]:
    """The addresses to send to: ``given`` (``--to``), else ``settings.test_recipients``, normalised."""
    from leadex_mail.store.validation import normalise_email

    addresses = list(given) or list(settings.test_recipients)
    if not addresses:
        raise DeliveryError(
            "no test recipients: say where to send the test",
            hint='pass --to ADDRESS (repeatable), or set test_recipients = ["you@example.org"] in leadex-mail.toml (or LEADEX_TEST_RECIPIENTS=a@x,b@y)',
        )
    seen: dict[str, None] = {}
    for raw in addresses:
        seen[normalise_email(raw, allow_smtputf8=settings.smtputf8)] = None
    return list(seen)


test_recipients.__test__ = False  # type: ignore[attr-defined]


def send_test(
    settings: Settings,
    issue_ref: str,
    to: Sequence[str] = (),
    language: str | None = None,
    *,
    transport: Transport | None = None,
    store: Store | None = None,
) -> list[TestSendResult]:
    """Render ``issue_ref`` in ``language`` and send a ``[TEST]`` message to each address.

    A failure for one address is reported in its result and does not stop
    the others. Every attempt is logged as a ``TestSend`` row in ``store``
    (None: the settings' store, opened for this call and closed after).
    Before anything is sent the store must still be the one opened: a
    SQLite file deleted or moved away raises ``StoreError`` (nothing sent,
    no new empty store made in its place). When the store fails to log one
    later (disk full, database gone), the test is still sent to every
    address and ``TestSendNotRecorded`` (a ``StoreError`` carrying the
    results) is raised at the end. Raises ``ConfigError`` first when the
    settings may not send over SMTP (``preflight``).
    """
    check_sending(settings, "send-test")
    from leadex_mail.content.loader import load_issue
    from leadex_mail.delivery.transport import make_transport
    from leadex_mail.render import render_edition
    from leadex_mail.store.db import open_store

    addresses = test_recipients(settings, to)
    issue = load_issue(issue_ref, settings)
    lang = language or issue.default_language
    if lang not in issue.editions:
        raise IssueNotFound(
            f"issue {issue.slug} has no {lang!r} edition",
            hint=f"use --lang with one of: {', '.join(sorted(issue.editions))}",
        )
    rendered = render_edition(issue, lang, settings)
    template = build_template(rendered, settings, issue.brand, campaign_id=TEST_CAMPAIGN_ID, test=True)
    own = transport is None
    results = []
    failed: StoreError | None = None
    with nullcontext(store) if store is not None else open_store(settings) as store:  # one it opened is closed when done
        store.check_file()
        transport = transport or make_transport(settings, outbox_subdir=f"test-{issue.slug}")
        try:
            for address in addresses:
                results.append(_send_one(transport, template, address, lang))
                if failed is None:
                    try:
                        _log(store, issue.slug, results[-1])
                    except StoreError as err:  # the message went out: keep sending the test, say so at the end
                        failed = err
        finally:
            if own:
                transport.close()
    if failed is not None:
        sent = sum(r.ok for r in results)
        raise TestSendNotRecorded(
            f"{sent} of {counted(len(results), 'test message')} went out, but recording them in the store failed: {failed.message}",
            results=results, cause=failed, hint=failed.hint,
        )
    return results


send_test.__test__ = False  # type: ignore[attr-defined]


def _send_one(transport: Transport, template: MessageTemplate, address: str, language: str) -> TestSendResult:
    # No subscriber row behind a test: its links name id 0 with an empty nonce, which no row has.
    message = template.for_recipient(Recipient(TEST_SUBSCRIBER_ID, address, None, link_nonce=""))
    try:
        result = transport.send(message.envelope_from, [message.recipient], message.data, stuffed=message.wire or None)
    except TransportError as exc:
        reply = exc.reply or exc.message
        return TestSendResult(address, language, message.message_id, reply, ok=False, hint=exc.hint or classify(reply).hint, error=exc)
    reply = result.refused.get(address, result.reply)
    return TestSendResult(address, language, message.message_id, reply, ok=result.ok, hint=None if result.ok else classify(reply).hint)


def _log(store: Store, slug: str, result: TestSendResult) -> None:
    from leadex_mail.store.models import TestSend

    with store.session() as session:
        session.add(
            TestSend(
                issue_slug=slug,
                language=result.language,
                recipient=result.recipient,
                message_id=result.message_id,
                reply=result.reply,
                at=datetime.now(UTC),
            )
        )
