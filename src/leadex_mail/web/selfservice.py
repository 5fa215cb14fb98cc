"""Self-service access and erasure (GDPR Art. 15, 17, 20), without HTTP.

Both start on the preferences page, reached by the personal link at the
bottom of every newsletter. Such a link is often forwarded with the
newsletter, so it is never enough on its own to read or erase anything:

- "Send me my data" queues a ``data_export`` mail: everything
  ``subscribers export EMAIL`` gives, as an attached JSON file, plus a
  readable summary, sent to the subscriber's own address by the app's
  background sender. The page shows nothing of it.
- "Delete my data" queues an ``erasure`` mail with a link (``/erase/<token>``,
  bound to the row like every personal link, expiring after
  ``ERASE_LINK_HOURS``). Only that link, opened and confirmed, erases, and
  exactly as ``subscribers forget`` does: the suppression hash is kept.

Both requests are throttled per subscriber in the queue
(``outgoing.RESEND_PRIVACY``); the web app also limits them per IP.
Mails are composed when they are sent, from the rows as they are then, and
nothing of their content is logged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadex_mail import links
from leadex_mail.config import Settings
from leadex_mail.store import gdpr, identity, outgoing
from leadex_mail.store.db import Store
from leadex_mail.store.models import Subscriber
from leadex_mail.web.i18n import Catalog, catalog
from leadex_mail.web.service import InvalidLink, read_token, writing

ERASE_LINK_HOURS = 48  # long enough to read the mail the next day, short enough that an old mail erases nobody


@dataclass(frozen=True)
class Attachment:
    """A file attached to a mail: name, MIME type, bytes."""

    filename: str
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    """A composed transactional mail: recipient, subject, plain text and attachments."""

    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()


# -- requests from the preferences page -------------------------------------------


def request_data_export(store: Store, subscriber: Subscriber, now: datetime) -> bool:
    """Queue "send me my data" for ``subscriber``; False when one was asked for within the hour (then nothing is sent)."""
    with writing(store):
        return outgoing.request_mail(store, "data_export", int(subscriber.id or 0), language=subscriber.language, at=now)


def request_erasure(store: Store, subscriber: Subscriber, now: datetime) -> bool:
    """Queue the mail with the erasure link for ``subscriber``; False when throttled."""
    with writing(store):
        return outgoing.request_mail(store, "erasure", int(subscriber.id or 0), language=subscriber.language, at=now)


# -- the mailed erasure link ------------------------------------------------------------


def _erase_payload(settings: Settings, token: str, now: datetime) -> dict[str, Any]:
    payload = read_token("erase", token, settings, now)
    if not isinstance(payload.get("n"), str):  # every erasure link is bound to its row; none was ever made without
        raise InvalidLink("this link is not valid")
    return payload


def erasure_subscriber(store: Store, settings: Settings, token: str, now: datetime) -> tuple[Subscriber | None, str | None]:
    """The subscriber an erasure link was made for (None when that row is gone, erased already, or is another one), and the link's language.

    ``InvalidLink`` / ``ExpiredLink`` for forged, tampered or expired links.
    """
    payload = _erase_payload(settings, token, now)
    language = payload.get("l")
    return identity.linked_subscriber(store, "erase", payload), language if isinstance(language, str) else None


def erase_by_link(store: Store, settings: Settings, token: str, now: datetime) -> gdpr.Erasure | None:
    """Erase the subscriber of an erasure link, as ``subscribers forget`` does; None when nobody is left to erase."""
    payload = _erase_payload(settings, token, now)
    with writing(store):
        return gdpr.forget_subscriber(store, payload["s"], payload["n"], source="web")


# -- composing the mails (by the background sender) -----------------------------------


def erasure_mail(settings: Settings, subscriber: Subscriber, now: datetime, language: str | None = None) -> Mail:
    """The mail with the link that confirms "delete my data"."""
    cat = catalog(language or subscriber.language)
    expires = now + timedelta(hours=ERASE_LINK_HOURS)
    url = links.erase_url(settings, int(subscriber.id or 0), expires, nonce=subscriber.link_nonce, language=cat.language)
    parts = [
        cat.t("mail_confirm_greeting"),
        cat.t("mail_erase_body", hours=ERASE_LINK_HOURS),
        url,
        cat.t("mail_erase_ignore"),
        cat.t("mail_privacy", url=links.privacy_url(settings, cat.language)),
    ]
    return Mail(subscriber.email, cat.t("mail_erase_subject"), "\n\n".join(parts) + "\n")


def export_mail(store: Store, settings: Settings, subscriber: Subscriber, now: datetime, language: str | None = None) -> Mail:
    """The "send me my data" mail: a readable summary, and the JSON of ``subscribers export EMAIL`` attached."""
    cat = catalog(language or subscriber.language)
    records = gdpr.export_subscribers(store, subscriber.email)
    buffer = io.StringIO()
    gdpr.write_export(records, "json", buffer)  # byte for byte what `subscribers export EMAIL` prints
    data = buffer.getvalue().encode("utf-8")
    filename = f"leadex-data-{now:%Y-%m-%d}.json"
    parts = [
        cat.t("mail_confirm_greeting"),
        cat.t("mail_export_intro", when=f"{now:%Y-%m-%d %H:%M} UTC"),
        summary(records[0], cat),
        cat.t("mail_export_attached", file=filename),
        cat.t("mail_privacy", url=links.privacy_url(settings, cat.language)),
        cat.t("mail_export_not_you"),
    ]
    return Mail(subscriber.email, cat.t("mail_export_subject"), "\n\n".join(parts) + "\n", (Attachment(filename, "application/json", data),))


def summary(record: dict[str, Any], cat: Catalog) -> str:
    """One export record (``gdpr.export_subscribers``) as lines a person reads."""
    none = cat.t("mail_export_none")
    rows = [
        (cat.t("mail_export_address"), record["email"]),
        (cat.t("mail_export_name"), record["name"] or none),
        (cat.t("mail_export_language"), record["language"]),
        (cat.t("mail_export_status"), record["status"]),
        (cat.t("mail_export_created"), _when(record["created_at"]) or none),
        (cat.t("mail_export_confirmed"), _when(record["confirmed_at"]) or none),
        (cat.t("mail_export_unsubscribed"), _when(record["unsubscribed_at"]) or none),
    ]
    lines = [f"{label}: {value}" for label, value in rows]
    lists = [f"  - {item['name']} ({item['status']}, {_when(item['since'])})" for item in record["lists"]]
    lines += [f"{cat.t('mail_export_lists')}: {'' if lists else none}".rstrip(), *lists]
    events = [f"  - {_when(e['at'])}: {_event(e)}" for e in record["events"]]
    lines += [f"{cat.t('mail_export_events')} ({len(events)}):", *events]
    sent = [f"  - {d['issue']} ({d['language']}): {d['state']}{', ' + _when(d['sent_at']) if d['sent_at'] else ''}" for d in record["deliveries"]]
    lines += [f"{cat.t('mail_export_deliveries')} ({len(sent)}):", *sent]
    mails = [f"  - {_when(m['queued_at'])}: {m['kind'].replace('_', ' ')}, {m['state']}" for m in record["mails"]]
    lines += [f"{cat.t('mail_export_mails')} ({len(mails)}):", *mails]
    return "\n".join(lines)


def _event(event: dict[str, Any]) -> str:
    """``subscribed (web, ip 192.0.2.1, consent 2026-04, notice p-…)``: the kind and its evidence, as in the JSON."""
    extra = [event["source"]]
    for key, label in (("ip", "ip"), ("user_agent", "user agent"), ("consent_version", "consent"), ("notice_version", "notice")):
        if event.get(key):
            extra.append(f"{label} {event[key]}")
    return f"{event['kind']} ({', '.join(extra)})"


def _when(iso: str | None) -> str:
    """``2026-04-01T10:00:00+00:00`` -> ``2026-04-01 10:00 UTC`` ("" for None)."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
