"""Mailing lists: create, change, look up, list with counts, delete.

A list is *public* (offered on the sign-up form, its issues shown in the
public archive) or *private* (internal, tests, partners: never offered,
never shown). New lists are private unless created public: showing
something publicly should be a decision, not an accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from leadex_mail.counts import counted
from leadex_mail.errors import NotFound, StoreError
from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign, Delivery, MailingList, Subscriber, Subscription, utcnow
from leadex_mail.store.validation import clean_list_name, clean_text


@dataclass(frozen=True)
class ListInfo:
    """A list and whom a send to it reaches.

    ``reachable``: the people a send to the list mails now -- an active
    subscription and the subscriber active, the rule of
    ``queries.eligible_subscribers`` and ``campaigns.eligible_select`` (a
    test holds the three together). ``not_reachable``: people whose
    subscription is still active whom a send leaves out, by their status
    (``bounced``, ``complained``, ``unsubscribed`` everywhere, ``pending``
    not confirmed yet); only statuses with someone in them. ``unsubscribed``:
    subscriptions ended on this list. Every face that says how many a list
    reaches says ``reachable`` (a14 finding 1: a bounced address was counted
    as subscribed).
    """

    list: MailingList
    reachable: int
    unsubscribed: int
    not_reachable: dict[str, int] = field(default_factory=dict)

    @property
    def on_list(self) -> int:
        """Active subscriptions, reachable or not."""
        return self.reachable + sum(self.not_reachable.values())


@dataclass(frozen=True)
class ListChange:
    """A list after ``update_list``, and what its change of visibility did to the public archive.

    ``now_public``: issues the archive shows from now on (sent to this list,
    and to no other public one); ``now_hidden``: issues it no longer shows.
    Slugs, sorted.
    """

    list: MailingList
    now_public: tuple[str, ...] = ()
    now_hidden: tuple[str, ...] = ()


def create_list(store: Store, name: str, *, title: str | None = None, description: str | None = None, public: bool = False) -> MailingList:
    """Create the list ``name`` (a slug), private unless ``public``; StoreError if it exists."""
    slug = clean_list_name(name)
    item = MailingList(
        name=slug,
        title=clean_text(title, "the title") or "",
        description=(description or "").strip(),
        created_at=utcnow(),
        public=public,
    )
    try:
        with store.session() as session:
            session.add(item)
    except IntegrityError:
        raise StoreError(f"list {slug!r} already exists", hint="`leadex-mail lists list` shows the lists") from None
    return item


def find_list(session: Session, name: str) -> MailingList:
    """The list ``name`` inside an open session; NotFound with a hint otherwise."""
    item = session.exec(select(MailingList).where(MailingList.name == name.strip())).first()
    if item is None:
        raise NotFound(f"there is no list {name!r}", hint=f"create it with `leadex-mail lists create {name.strip()}` or see `leadex-mail lists list`")
    return item


def get_list(store: Store, name: str) -> MailingList:
    """The list ``name``; NotFound otherwise."""
    with store.session(write=False) as session:
        return find_list(session, name)


def update_list(store: Store, name: str, *, public: bool | None = None, title: str | None = None, description: str | None = None) -> ListChange:
    """Change what is given (None leaves it) of the list ``name``; NotFound otherwise."""
    with store.session() as session:
        item = find_list(session, name)
        before = _public_issues(session)
        if public is not None:
            item.public = public
        if title is not None:
            item.title = clean_text(title, "the title") or ""
        if description is not None:
            item.description = description.strip()
        session.add(item)
        session.flush()
        after = _public_issues(session)
    return ListChange(item, tuple(sorted(after - before)), tuple(sorted(before - after)))


def public_issues(store: Store) -> list[str]:
    """Slugs of the issues the public may see: sent (at least one delivery) to a public list; oldest campaign first.

    A campaign to a private list never makes an issue public, whatever else it sent.
    """
    with store.session(write=False) as session:
        rows = session.exec(_public_campaigns().order_by(Campaign.created_at)).all()
    return list(dict.fromkeys(rows))


def _public_issues(session: Session) -> set[str]:
    return set(session.exec(_public_campaigns()).all())


def _public_campaigns() -> SelectOfScalar[str]:
    sent = select(Delivery.campaign_id).where(Delivery.state == "sent")
    return (
        select(Campaign.issue_slug)
        .join(MailingList, col(MailingList.id) == col(Campaign.list_id))
        .where(col(MailingList.public), col(Campaign.id).in_(sent))
    )


def list_lists(store: Store, *, public: bool | None = None) -> list[MailingList]:
    """Every list (only the public or the private ones when ``public`` says so), by name."""
    query = select(MailingList).order_by(MailingList.name)
    if public is not None:
        query = query.where(col(MailingList.public) == public)
    with store.session(write=False) as session:
        return list(session.exec(query))


def list_infos(store: Store) -> list[ListInfo]:
    """Every list, by name, with whom a send reaches, who is on it and is not reached (by status), who left it.

    One grouped count over subscriptions and their subscribers; a
    subscription without its subscriber row (none should exist) reaches nobody.
    """
    query = (
        select(Subscription.list_id, Subscription.status, Subscriber.status, func.count())
        .join(Subscriber, col(Subscriber.id) == col(Subscription.subscriber_id))
        .group_by(Subscription.list_id, Subscription.status, Subscriber.status)
    )
    with store.session(write=False) as session:
        rows = session.exec(query).all()
        lists = list(session.exec(select(MailingList).order_by(MailingList.name)))
    reached: dict[int, int] = {}
    left: dict[int, int] = {}
    held: dict[int, dict[str, int]] = {}
    for list_id, subscription, person, n in rows:
        if subscription != "active":
            left[list_id] = left.get(list_id, 0) + n
        elif person == "active":  # the send's rule: both active
            reached[list_id] = reached.get(list_id, 0) + n
        else:
            held.setdefault(list_id, {})[person] = n
    return [
        ListInfo(item, reached.get(item.id, 0), left.get(item.id, 0), dict(sorted(held.get(item.id, {}).items())))  # type: ignore[arg-type]
        for item in lists
    ]


def list_info(store: Store, name: str) -> ListInfo:
    """One list with its counts; NotFound otherwise."""
    wanted = get_list(store, name).name
    return next(info for info in list_infos(store) if info.list.name == wanted)


def delete_list(store: Store, name: str) -> None:
    """Delete the list and its subscriptions; refused while campaigns refer to it."""
    with store.session() as session:
        item = find_list(session, name)
        campaigns = session.exec(select(func.count()).select_from(Campaign).where(Campaign.list_id == item.id)).one()
        if campaigns:
            raise StoreError(
                f"list {name!r} has {counted(campaigns, 'campaign')} and cannot be deleted",
                hint="its delivery records are the proof of what was sent; keep the list",
            )
        session.delete(item)
