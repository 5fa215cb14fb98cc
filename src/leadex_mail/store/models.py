"""The subscriber store's tables, as SQLModel classes.

Every time is UTC and timezone-aware in Python (``UTCDateTime`` makes SQLite,
which has no time zones, give them back that way). Status columns are plain
strings with CHECK constraints rather than database enums, so PostgreSQL and
SQLite share one schema and a new value is a small migration.

The schema itself is created and changed only by the Alembic migrations in
``migrations/``; these classes must stay in step with them (a test compares).

Ids of the tables whose ids leave the store (subscriber and campaign in
signed links, delivery in Message-IDs) are never reused: SQLite
``AUTOINCREMENT`` (``sqlite_autoincrement``), a sequence on PostgreSQL.
Without it SQLite hands the id of a deleted last row to the next one, and an
erased person's links would point at whoever came next (migration 0005).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

SUBSCRIBER_STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
SUBSCRIPTION_STATUSES = ("active", "unsubscribed")
EVENT_KINDS = ("subscribed", "confirmed", "unsubscribed", "bounced", "complained", "erased", "imported", "preferences", "reactivated")
CAMPAIGN_STATUSES = ("running", "paused", "done")
DELIVERY_STATES = ("queued", "sending", "sent", "retry_wait", "failed", "skipped")
# Why a scheduled send is held at its time: the check finds errors in the issue; its files cannot be read.
HELD_REASONS = ("check_errors", "unreadable")
# permanent: the address does not exist (hard bounce); rejected: refused for the
# sender's or the message's sake; soft: mailbox full/unavailable; uncertain:
# held unsent after a lost reply (send_uncertain = "hold"). See delivery/replies.py.
ERROR_KINDS = ("temporary", "permanent", "suppressed", "rejected", "soft", "uncertain")
OUTGOING_KINDS = ("confirmation", "data_export", "erasure")
OUTGOING_STATES = ("queued", "sending", "sent", "failed", "skipped")
# Bounce mailbox (issue 10): what a processed message was, and what was done about it.
REPORT_KINDS = ("bounce", "delay", "complaint", "autoreply", "unrecognised")
REPORT_ACTIONS = ("suppressed", "soft", "unsubscribed", "rejected", "ignored", "unmatched", "kept")
# Statuses an import or a list add may never turn back into "active":
# only the person's own new confirmation does that.
BLOCKING_STATUSES = ("unsubscribed", "bounced", "complained")


# Ids never reused on SQLite (see the module docstring).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}
LINK_NONCE_LENGTH = 16  # column size; new values are 11 characters


def utcnow() -> datetime:
    """The current time, UTC, timezone-aware."""
    return datetime.now(UTC)


def new_link_nonce() -> str:
    """A random value naming one subscriber row for good (64 bits, URL-safe text).

    Made when the row is inserted and carried, signed, in every personal
    link as ``"n"``: a link whose value differs from the row's was made for
    another row (an erased person, a re-created store) and acts on nobody.
    """
    return secrets.token_urlsafe(8)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC and always read back timezone-aware.

    SQLite keeps no offset, so values are normalised to naive UTC on the way
    in and get ``tzinfo=UTC`` on the way out; PostgreSQL's ``timestamptz``
    keeps them aware anyway.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # Naive values inside the program are a bug; treat them as UTC rather than guess.
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


class _Domain(TypeDecorator):
    """``String(16)``; on PostgreSQL the domain ``name`` over it (migration 0011 makes it), allowing only ``values``.

    A table's CHECK constraint costs PostgreSQL a parse and a plan of its text
    at every UPDATE of the table, whatever the columns changed (20 % of the
    server's CPU in the per-message "sent" + "start" statement: decisions);
    a domain's check is parsed once per connection and runs only when the
    column is given a value. The PostgreSQL dialect is imported only on
    PostgreSQL (a send on SQLite never loads it).
    """

    impl = String(16)
    cache_ok = True

    def __init__(self, name: str, values: tuple[str, ...]) -> None:
        super().__init__()
        self.name, self.values = name, values

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name != "postgresql":
            return dialect.type_descriptor(String(16))
        from sqlalchemy.dialects.postgresql import DOMAIN  # here: a send on SQLite never imports PostgreSQL's dialect

        quoted = ", ".join(f"'{v}'" for v in self.values)
        # create_type=False: the migrations make the domains, as all of PostgreSQL's schema.
        domain = DOMAIN(self.name, String(16), check=f"VALUE IN ({quoted})", constraint_name=f"ck_{self.name}", create_type=False)
        return dialect.type_descriptor(domain)


def _domain(name: str, values: tuple[str, ...]) -> Any:
    """A ``_Domain`` column type (see there)."""
    return _Domain(name, values)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    """A UTC timestamp field (``created_at`` and friends default to now)."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


class Subscriber(SQLModel, table=True):
    """One person who may be mailed, identified by a normalised address."""

    __tablename__ = "subscriber"
    __table_args__ = (
        UniqueConstraint("email", name="uq_subscriber_email"),
        _in("status", SUBSCRIBER_STATUSES, "ck_subscriber_status"),
        Index("ix_subscriber_status_created", "status", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), nullable=False))
    name: str | None = Field(default=None, sa_column=Column(String(1000), nullable=True))
    language: str = Field(default="sl", sa_column=Column(String(16), nullable=False, index=True))
    status: str = Field(default="active", sa_column=Column(String(16), nullable=False))
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Set for every insert, ORM or Core (the Column default); bulk inserts pass it themselves.
    link_nonce: str = Field(default_factory=new_link_nonce, sa_column=Column(String(LINK_NONCE_LENGTH), nullable=False, default=new_link_nonce))
    created_at: datetime = _ts()
    confirmed_at: datetime | None = _ts(nullable=True)
    unsubscribed_at: datetime | None = _ts(nullable=True)
    updated_at: datetime = _ts()


class MailingList(SQLModel, table=True):
    """A named list people subscribe to (``name`` is a slug).

    ``public`` lists are offered on the sign-up form and their issues shown
    in the public archive; private ones (internal, tests, partners) never
    are. Private unless said otherwise (migration 0004).
    """

    __tablename__ = "mailing_list"
    __table_args__ = (UniqueConstraint("name", name="uq_mailing_list_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False))
    title: str = Field(default="", sa_column=Column(String(1000), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts()
    public: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class Subscription(SQLModel, table=True):
    """A subscriber on a list, with its own status (unsubscribe per list)."""

    __tablename__ = "subscription"
    __table_args__ = (
        _in("status", SUBSCRIPTION_STATUSES, "ck_subscription_status"),
        Index("ix_subscription_list_status", "list_id", "status"),
    )

    subscriber_id: int = Field(foreign_key="subscriber.id", ondelete="CASCADE", primary_key=True)
    list_id: int = Field(foreign_key="mailing_list.id", ondelete="CASCADE", primary_key=True)
    status: str = Field(default="active", sa_column=Column(String(16), nullable=False))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Event(SQLModel, table=True):
    """One entry of the append-only consent and event log.

    ``subscriber_id`` becomes NULL when the subscriber is erased; the entry
    then keeps only what is not personal (kind, time, source).
    """

    __tablename__ = "event"
    __table_args__ = (_in("kind", EVENT_KINDS, "ck_event_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", ondelete="SET NULL", nullable=True, index=True)
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    at: datetime = _ts()
    source: str = Field(default="cli", sa_column=Column(String(32), nullable=False))
    ip: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    user_agent: str | None = Field(default=None, sa_column=Column(String(1000), nullable=True))
    consent_version: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # The privacy notice's version shown with the consent (migration 0009); None for older events and imports.
    notice_version: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    list_id: int | None = Field(default=None, foreign_key="mailing_list.id", ondelete="SET NULL", nullable=True)


class Suppression(SQLModel, table=True):
    """An address that must never be mailed again, kept only as a keyed hash."""

    __tablename__ = "suppression"

    address_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    reason: str = Field(sa_column=Column(String(32), nullable=False))
    created_at: datetime = _ts()


class Meta(SQLModel, table=True):
    """Small store-wide values, e.g. ``suppression_key``."""

    __tablename__ = "meta"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class Campaign(SQLModel, table=True):
    """Sending one issue to one list; sending it again resumes this row."""

    __tablename__ = "campaign"
    __table_args__ = (
        UniqueConstraint("issue_slug", "list_id", name="uq_campaign_issue_list"),
        _in("status", CAMPAIGN_STATUSES, "ck_campaign_status"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    issue_slug: str = Field(sa_column=Column(String(200), nullable=False))
    list_id: int = Field(foreign_key="mailing_list.id", nullable=False)
    content_hash: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    subject: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: str = Field(default="running", sa_column=Column(String(16), nullable=False))
    paused_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # When retention anonymised its deliveries (``store/maintenance.py``): it can never be resumed after.
    anonymised_at: datetime | None = _ts(nullable=True)


class ScheduledSend(SQLModel, table=True):
    """A campaign to start at ``send_at`` (UTC): ``send ISSUE --list L --at …``; a ``worker`` starts it when due.

    It is started once the campaign of (issue, list) exists; until then
    ``unschedule`` deletes it.
    """

    __tablename__ = "scheduled_send"
    __table_args__ = (UniqueConstraint("issue_slug", "list_id", name="uq_scheduled_send_issue_list"),)

    id: int | None = Field(default=None, primary_key=True)
    issue_slug: str = Field(sa_column=Column(String(200), nullable=False))
    list_id: int = Field(foreign_key="mailing_list.id", ondelete="CASCADE", nullable=False)
    language: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    send_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    created_at: datetime = _ts()
    # What ``send --at`` was told (migration 0012): the worker checks the issue at its time as ``send`` would with them.
    forced: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))  # --force
    deep: bool | None = Field(default=None, sa_column=Column(Boolean, nullable=True))  # --deep/--no-deep (None: the setting)
    # Held: at its time the check refused the issue; the worker tries again each round (``campaign.scheduler``).
    held_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)  # when first refused
    held_reason: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))  # HELD_REASONS
    held_detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # {"errors": n, "codes": [...]}


class Delivery(SQLModel, table=True):
    """One recipient of one campaign, with its state; the unit of resuming."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("campaign_id", "subscriber_id", name="uq_delivery_campaign_subscriber"),
        Index("ix_delivery_campaign_state_next", "campaign_id", "state", "next_attempt_at"),
        Index("ix_delivery_sent_at", "sent_at"),  # rate seeding counts recent sends (migration 0002)
        # On PostgreSQL the same rules are the columns' domains (below, migration 0011).
        _in("state", DELIVERY_STATES, "ck_delivery_state").ddl_if(dialect="sqlite"),
        _in("error_kind", ERROR_KINDS, "ck_delivery_error_kind").ddl_if(dialect="sqlite"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE", nullable=False)
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", ondelete="SET NULL", nullable=True, index=True)
    language: str = Field(default="sl", sa_column=Column(String(16), nullable=False))
    state: str = Field(default="queued", sa_column=Column(_domain("delivery_state", DELIVERY_STATES), nullable=False))
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime | None = _ts(nullable=True)
    lease_owner: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    lease_expires_at: datetime | None = _ts(nullable=True)
    last_reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error_kind: str | None = Field(default=None, sa_column=Column(_domain("delivery_error_kind", ERROR_KINDS), nullable=True))
    message_id: str | None = Field(default=None, sa_column=Column(String(400), nullable=True))
    uncertain: bool = Field(default=False, nullable=False)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class TestSend(SQLModel, table=True):
    """A logged test message (``send-test``); not a delivery."""

    __tablename__ = "test_send"
    __test__ = False  # keep pytest from collecting this class

    id: int | None = Field(default=None, primary_key=True)
    issue_slug: str = Field(sa_column=Column(String(200), nullable=False))
    language: str = Field(sa_column=Column(String(16), nullable=False))
    recipient: str = Field(sa_column=Column(String(320), nullable=False, index=True))
    message_id: str | None = Field(default=None, sa_column=Column(String(400), nullable=True))
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    at: datetime = _ts()


class OutgoingMail(SQLModel, table=True):
    """One transactional mail (a sign-up confirmation) waiting for, or done by, the web app's sender.

    Queued in the transaction that records the sign-up; sent by a background
    sender that claims it (``sending`` under a lease, like deliveries), so
    several ``serve`` processes never send one row twice. It holds no
    address or link: both are made from the subscriber row when it is sent,
    and the row goes with the subscriber (erasure, purge).
    ``next_attempt_at`` is when a ``queued`` row is due (its creation, or
    the retry time after a temporary failure).
    """

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_state_due", "state", "next_attempt_at"),
        Index("ix_outgoing_mail_subscriber", "subscriber_id", "kind", "created_at"),
        _in("kind", OUTGOING_KINDS, "ck_outgoing_mail_kind"),
        _in("state", OUTGOING_STATES, "ck_outgoing_mail_state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="confirmation", sa_column=Column(String(16), nullable=False))
    subscriber_id: int = Field(foreign_key="subscriber.id", ondelete="CASCADE", nullable=False)
    language: str = Field(sa_column=Column(String(16), nullable=False))
    state: str = Field(default="queued", sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime = _ts()
    lease_owner: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    lease_expires_at: datetime | None = _ts(nullable=True)
    last_reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class BounceReport(SQLModel, table=True):
    """One message read from the bounce mailbox (a DSN, a complaint, an auto-reply, ...) and its outcome.

    ``content_hash`` (SHA-256 of the bytes) and ``message_id`` make reading
    idempotent. ``evidence`` holds what the report said (status, server's
    words, reporting MTA, match); ``raw`` the message itself when it was not
    understood or not matched, kept for a person to read (never dropped).
    """

    __tablename__ = "bounce_report"
    __table_args__ = (
        UniqueConstraint("content_hash", name="uq_bounce_report_content_hash"),
        _in("kind", REPORT_KINDS, "ck_bounce_report_kind"),
        _in("action", REPORT_ACTIONS, "ck_bounce_report_action"),
    )

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    message_id: str | None = Field(default=None, sa_column=Column(String(998), nullable=True, index=True))
    received_at: datetime = _ts()
    source: str = Field(sa_column=Column(String(1000), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    format: str = Field(sa_column=Column(String(32), nullable=False))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    status: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    category: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    match: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", ondelete="SET NULL", nullable=True, index=True)
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", ondelete="SET NULL", nullable=True, index=True)
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", ondelete="SET NULL", nullable=True, index=True)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    raw: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


STUDIO_ROLES = ("editor", "sender")


class StudioUser(SQLModel, table=True):
    """An account of the studio, needed when it is served beyond 127.0.0.1 (``leadex-mail users add``).

    ``password_hash`` is an Argon2id hash in PHC form (``$argon2id$v=19$...``);
    the password itself is never stored. Editors draft, preview and test-send;
    senders also send to lists and manage subscribers.
    """

    __tablename__ = "studio_user"
    __table_args__ = (
        UniqueConstraint("name", name="uq_studio_user_name"),
        _in("role", STUDIO_ROLES, "ck_studio_user_role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    password_hash: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class AuditEvent(SQLModel, table=True):
    """One entry of the audit log: who sent what to which list, who changed or erased subscribers, lists, accounts.

    Shape: ``at`` (UTC), ``actor``, ``action``, ``target`` (what it was done
    to, in words), ``subscriber_id`` and ``detail`` (a JSON object of counts,
    flags and names; never an address or a password).

    ``actor``, where it came from then who:

    - an account name (``maja``): the studio with accounts;
    - ``local:<os user>``: the single-user studio on 127.0.0.1;
    - ``cli:<os user>``: a ``leadex-mail`` command;
    - ``worker:<os user>``: ``leadex-mail worker`` sending what was scheduled;
    - ``local``/``cli``/``worker`` alone when the uid has no name, the name as
      typed for ``sign_in_refused`` (``?`` when none was) — ``store.accounts.os_actor``.

    ``action`` (target; details):

    - sends (target ``<issue> -> <list>``, ``campaign.audit``): ``send``
      (recipients, per_language), ``send_finished`` (status, counts, error),
      ``send_retry`` (to_retry), ``send_schedule`` (send_at, moved),
      ``send_unschedule`` (send_at); ``send_test`` (target the issue; to,
      language, failed: how many addresses, never which);
    - subscribers (target ``subscriber <id>`` or what was done in words):
      ``subscriber_add``, ``subscriber_import``, ``subscriber_unsubscribe``,
      ``subscriber_reactivate``, ``subscriber_suppress`` (bounce and complaint
      reports: counts per outcome), ``subscriber_erase``, ``subscriber_purge``,
      ``subscriber_export``;
    - lists (target the list's name): ``list_create``, ``list_update``, ``list_delete``;
    - accounts (target the account's name; in the change's transaction):
      ``user_add``, ``user_password``, ``user_role`` (from_role, to_role), ``user_remove``;
    - sign-ins: ``sign_in``, ``sign_in_refused`` (target the client).

    The subscriber's own acts (signing up, confirming, unsubscribing by link,
    preferences, erasing themselves) are not here: the consent log (``Event``)
    holds them with their evidence. No address is written here: a subscriber
    is named by ``subscriber_id`` (set to NULL when the person is erased), so
    the log never keeps what an erasure removed.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    action: str = Field(sa_column=Column(String(32), nullable=False))
    target: str = Field(default="", sa_column=Column(String(400), nullable=False))
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", ondelete="SET NULL", nullable=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PrivacyNotice(SQLModel, table=True):
    """One version of the privacy notice at ``/privacy``, kept as consent evidence (migration 0009).

    ``version`` is what consent events record as ``notice_version``;
    ``content`` holds everything the notice said in that version (its facts
    and its text in every language), so what a person was shown can be
    reproduced years later. Rows are never changed or deleted.
    """

    __tablename__ = "privacy_notice"

    version: str = Field(sa_column=Column(String(64), primary_key=True))
    first_shown_at: datetime = _ts()
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
