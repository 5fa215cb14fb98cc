"""Retention that runs by itself: ``leadex-mail maintenance`` (GDPR Art. 5(1)(e), storage limitation).

``run_maintenance(store, policy, now=...)`` applies the retention settings
and returns what it did; running it again at once does nothing more. What
goes, and when (``now`` minus the period; times are UTC):

==========================  ====================================  =========================================
what                        when                                  what happens
==========================  ====================================  =========================================
unconfirmed sign-ups        pending, untouched ``pending_days``    deleted (never consented: nothing to keep)
people who left             unsubscribed, bounced or complained,   erased exactly as ``subscribers forget``:
                            untouched ``inactive_days``            the suppression hash stays
delivery records            their campaign is done and nothing     anonymised: no subscriber, server reply
                            in it moved for ``delivery_days``      or Message-ID; rows (and so the counts
                                                                   per campaign, state and language) stay
finished queue mails        sent/failed/skipped confirmation and   deleted
                            privacy mails older than               
                            ``delivery_days``
test sends                  older than ``delivery_days``           deleted (they hold staff addresses)
bounce/complaint reports    received over ``delivery_days`` ago    anonymised: no subscriber, kept message
                                                                   or evidence beyond the effect, feedback
                                                                   type and format (per-campaign counts stay)
==========================  ====================================  =========================================

Deleting and erasing people also strips the newer reports about them or
naming their address (a bounced confirmation mail is matched to nobody:
``store/scrub.py``); those are counted apart (``reports_stripped``).

Active subscribers are never touched: not their row, consent evidence or
lists (their deliveries in old finished campaigns are anonymised like
everyone's). "Untouched" is the row's ``updated_at``: someone who left and
then signed up again, changed preferences, or bounced again is not erased
under their feet, and each erasure re-checks that condition inside its own
transaction (a sign-up racing the run wins).

A campaign whose deliveries were anonymised is marked (``anonymised_at``)
and never resumed: its rows no longer say who got it, so sending it again
would mail everyone twice. A running or paused campaign is left alone
whatever its age, and reported.

Safe from cron or next to ``serve`` and ``send``: short transactions (one per
chunk of people, one per campaign), nothing held between them, and every
step idempotent. On SQLite the erased bytes are overwritten
(``secure_delete``) and the write-ahead log emptied afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, func, or_, select, update

from leadex_mail.config import Settings
from leadex_mail.store.db import Store
from leadex_mail.store.gdpr import erase, purge_unconfirmed
from leadex_mail.store.models import (
    BLOCKING_STATUSES,
    DELIVERY_STATES,
    BounceReport,
    Campaign,
    Delivery,
    MailingList,
    OutgoingMail,
    Subscriber,
    TestSend,
)
from leadex_mail.store.scrub import REPORT_KEEP, keep_classification, scrub_reports
from leadex_mail.store.suppression import suppression_key

_S = Subscriber.__table__  # type: ignore[attr-defined]
_C = Campaign.__table__  # type: ignore[attr-defined]
_D = Delivery.__table__  # type: ignore[attr-defined]
_O = OutgoingMail.__table__  # type: ignore[attr-defined]
_T = TestSend.__table__  # type: ignore[attr-defined]
_L = MailingList.__table__  # type: ignore[attr-defined]
_R = BounceReport.__table__  # type: ignore[attr-defined]
_CHUNK = 200  # people erased per transaction: short enough that `serve` never waits long
_FINISHED_MAIL = ("sent", "failed", "skipped")


@dataclass(frozen=True)
class RetentionPolicy:
    """How many days each kind of record is kept (``Settings``: see docs/privacy.md)."""

    pending_days: int
    inactive_days: int
    delivery_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        """The policy the configuration sets."""
        return cls(settings.pending_purge_days, settings.unsubscribed_retention_days, settings.delivery_retention_days)


@dataclass(frozen=True)
class CampaignCounts:
    """One campaign whose deliveries were (or would be) anonymised, with the counts that stay."""

    issue_slug: str
    list_name: str
    finished_at: datetime
    counts: dict[str, int]

    @property
    def deliveries(self) -> int:
        """How many delivery rows the campaign has."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class OpenCampaign:
    """A campaign older than the delivery retention but not done: its records are kept until it is."""

    issue_slug: str
    list_name: str
    status: str
    since: datetime


@dataclass(frozen=True)
class MaintenanceReport:
    """What ``run_maintenance`` did (or, with ``dry_run``, would do)."""

    now: datetime
    policy: RetentionPolicy
    dry_run: bool
    pending_deleted: int = 0
    erased: dict[str, int] = field(default_factory=dict)  # status -> people erased
    campaigns: list[CampaignCounts] = field(default_factory=list)
    open_campaigns: list[OpenCampaign] = field(default_factory=list)
    queue_mails_deleted: int = 0
    test_sends_deleted: int = 0
    reports_anonymised: int = 0
    reports_stripped: int = 0  # newer reports naming the people deleted or erased (``store/scrub.py``)

    @property
    def people_erased(self) -> int:
        """People who left and were erased."""
        return sum(self.erased.values())

    @property
    def deliveries_anonymised(self) -> int:
        """Delivery rows anonymised, over every campaign."""
        return sum(c.deliveries for c in self.campaigns)

    @property
    def changed_anything(self) -> bool:
        """True when a row was (or would be) deleted, erased or anonymised."""
        return bool(
            self.pending_deleted or self.people_erased or self.campaigns or self.queue_mails_deleted or self.test_sends_deleted
            or self.reports_anonymised or self.reports_stripped
        )


def run_maintenance(store: Store, policy: RetentionPolicy, *, now: datetime, dry_run: bool = False) -> MaintenanceReport:
    """Apply ``policy`` as of ``now`` (UTC, timezone-aware); with ``dry_run`` only count.

    Raises ``StoreError`` when the store fails; what was done before that
    stays done, and running again continues.
    """
    pending_cutoff = now - timedelta(days=policy.pending_days)
    inactive_cutoff = now - timedelta(days=policy.inactive_days)
    delivery_cutoff = now - timedelta(days=policy.delivery_days)
    # Old reports first: each is counted once, as retention's, in a dry run and a real one alike;
    # the erasures below then strip the newer reports that name the people they erase.
    reports = _anonymise_reports(store, delivery_cutoff, dry_run)
    if dry_run:
        pending = _count(store, select(func.count()).select_from(_S).where(_pending_before(pending_cutoff)))
        erased = _inactive_by_status(store, inactive_cutoff)
        stripped = _naming_count(store, or_(_pending_before(pending_cutoff), _left_before(inactive_cutoff)), since=delivery_cutoff)
    else:
        pending, stripped = purge_unconfirmed(store, timedelta(days=policy.pending_days), now=now)
        erased, stripped_left = _erase_inactive(store, inactive_cutoff)
        stripped += stripped_left
    campaigns, still_open = _old_campaigns(store, delivery_cutoff)
    if not dry_run:
        for campaign_id, _ in campaigns:
            _anonymise_campaign(store, campaign_id, delivery_cutoff, now)
    mails = _old_rows(store, _O, and_(_O.c.state.in_(_FINISHED_MAIL), _O.c.updated_at < delivery_cutoff), dry_run)
    sends = _old_rows(store, _T, _T.c.at < delivery_cutoff, dry_run)
    if not dry_run and (erased or sends or reports):
        store.checkpoint()
    return MaintenanceReport(
        now, policy, dry_run, pending, erased, [c for _, c in campaigns], still_open, mails, sends, reports, reports_stripped=stripped
    )


def _count(store: Store, query: object) -> int:
    with store.begin(write=False) as conn:
        return int(conn.execute(query).scalar_one())  # type: ignore[call-overload]


def _pending_before(cutoff: datetime):  # noqa: ANN202 (a SQL expression)
    """Sign-ups never confirmed and untouched since ``cutoff`` (``gdpr.purge_pending``'s condition)."""
    return and_(_S.c.status == "pending", _S.c.updated_at < cutoff)


def _naming_count(store: Store, people: object, *, since: datetime) -> int:
    """How many reports received since ``since`` the erasure of ``people`` (a condition on subscribers) would strip."""
    with store.session(write=False) as session:
        rows = session.execute(select(_S.c.id, _S.c.email).where(people)).all()  # type: ignore[arg-type]
        return scrub_reports(session, [email for _, email in rows], [int(sid) for sid, _ in rows], apply=False, received_since=since)


def _left_before(cutoff: datetime):  # noqa: ANN202 (a SQL expression)
    """People who unsubscribed, bounced or complained and whose row has not changed since ``cutoff``."""
    return and_(_S.c.status.in_(BLOCKING_STATUSES), _S.c.updated_at < cutoff)


def _inactive_by_status(store: Store, cutoff: datetime) -> dict[str, int]:
    with store.begin(write=False) as conn:
        rows = conn.execute(select(_S.c.status, func.count()).where(_left_before(cutoff)).group_by(_S.c.status))
        return {status: n for status, n in rows}


def _erase_inactive(store: Store, cutoff: datetime) -> tuple[dict[str, int], int]:
    """Erase, as ``forget`` does, everyone who left before ``cutoff``; count them by status, and the reports stripped."""
    with store.begin(write=False) as conn:
        ids = list(conn.execute(select(_S.c.id).where(_left_before(cutoff)).order_by(_S.c.id)).scalars())
    if not ids:
        return {}, 0
    key = suppression_key(store)
    erased: dict[str, int] = {}
    stripped = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        with store.session() as session:
            # Re-read under the write lock (row locks on PostgreSQL): whoever signed up again meanwhile stays.
            query = select(Subscriber).where(_S.c.id.in_(chunk), _left_before(cutoff)).with_for_update()
            people = list(session.execute(query).scalars())
            # The reports about or naming them, read once for the chunk, before their rows go (that unlinks them).
            stripped += scrub_reports(session, [sub.email for sub in people], [int(sub.id or 0) for sub in people])
            for sub in people:
                status = sub.status
                erase(session, key, sub.email, sub, source="maintenance", reports=False)
                erased[status] = erased.get(status, 0) + 1
    return erased, stripped


def _old_campaigns(store: Store, cutoff: datetime) -> tuple[list[tuple[int, CampaignCounts]], list[OpenCampaign]]:
    """Done campaigns not anonymised yet in which nothing moved since ``cutoff``, with their counts; and old open ones."""
    recent = exists().where(_D.c.campaign_id == _C.c.id, or_(_D.c.updated_at >= cutoff, _D.c.sent_at >= cutoff))
    query = (
        select(_C.c.id, _C.c.issue_slug, _L.c.name, _C.c.status, _C.c.updated_at)
        .join(_L, _L.c.id == _C.c.list_id)
        .where(_C.c.anonymised_at.is_(None), _C.c.updated_at < cutoff, ~recent)
        .order_by(_C.c.id)
    )
    done: list[tuple[int, CampaignCounts]] = []
    still_open: list[OpenCampaign] = []
    with store.begin(write=False) as conn:
        for row in conn.execute(query).all():
            if row.status != "done":
                still_open.append(OpenCampaign(row.issue_slug, row.name, row.status, row.updated_at))
                continue
            counts = dict.fromkeys(DELIVERY_STATES, 0)
            counts.update(dict(conn.execute(select(_D.c.state, func.count()).where(_D.c.campaign_id == row.id).group_by(_D.c.state)).all()))
            done.append((row.id, CampaignCounts(row.issue_slug, row.name, row.updated_at, {k: v for k, v in counts.items() if v})))
    return done, still_open


def _anonymise_campaign(store: Store, campaign_id: int, cutoff: datetime, now: datetime) -> None:
    """Strip a finished campaign's deliveries of everything personal and mark the campaign, in one transaction."""
    with store.begin() as conn:
        # Still done and still quiet: a `send` that resumed it meanwhile wins.
        marked = conn.execute(
            update(_C)
            .where(_C.c.id == campaign_id, _C.c.status == "done", _C.c.anonymised_at.is_(None), _C.c.updated_at < cutoff)
            .values(anonymised_at=now)
        ).rowcount
        if marked:
            conn.execute(
                update(_D)
                .where(_D.c.campaign_id == campaign_id)
                .values(subscriber_id=None, last_reply=None, message_id=None, lease_owner=None, lease_expires_at=None)
            )


def _anonymise_reports(store: Store, cutoff: datetime, dry_run: bool) -> int:
    """Strip bounce and complaint reports received before ``cutoff`` of the person and the message; count them.

    Kept: kind, action, status, category, campaign and delivery (the per-campaign
    bounce report), and of the evidence only what classifies it. A report is
    anonymised once (``raw`` or ``subscriber_id`` still set, or more evidence).
    """
    old = _R.c.received_at < cutoff
    with store.begin(write=not dry_run) as conn:
        rows = conn.execute(select(_R.c.id, _R.c.evidence, _R.c.raw.is_not(None), _R.c.subscriber_id).where(old)).all()
        todo = [(rid, ev or {}) for rid, ev, has_raw, sid in rows if has_raw or sid is not None or set(ev or {}) - REPORT_KEEP]
        if not dry_run:
            for rid, evidence in todo:
                kept = keep_classification(evidence, "retention")
                conn.execute(update(_R).where(_R.c.id == rid).values(subscriber_id=None, raw=None, evidence=kept))
    return len(todo)


def _old_rows(store: Store, table: object, condition: object, dry_run: bool) -> int:
    """Delete (or count) the rows of ``table`` matching ``condition``."""
    if dry_run:
        return _count(store, select(func.count()).select_from(table).where(condition))  # type: ignore[arg-type]
    with store.begin() as conn:
        return int(conn.execute(delete(table).where(condition)).rowcount)  # type: ignore[arg-type]
