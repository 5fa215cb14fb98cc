"""Mailing lists: create, look up, list with counts, delete."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from leadex_mail.errors import NotFound, StoreError
from leadex_mail.store.db import Store
from leadex_mail.store.models import Campaign, MailingList, Subscription, utcnow
from leadex_mail.store.validation import clean_list_name, clean_text


@dataclass(frozen=True)
class ListInfo:
    """A list with how many subscriptions it has."""

    list: MailingList
    active: int
    unsubscribed: int


def create_list(store: Store, name: str, *, title: str | None = None, description: str | None = None) -> MailingList:
    """Create the list ``name`` (a slug); StoreError if it exists."""
    slug = clean_list_name(name)
    item = MailingList(
        name=slug,
        title=clean_text(title, "the title") or "",
        description=(description or "").strip(),
        created_at=utcnow(),
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


def list_lists(store: Store) -> list[MailingList]:
    """Every list, by name."""
    with store.session(write=False) as session:
        return list(session.exec(select(MailingList).order_by(MailingList.name)))


def list_infos(store: Store) -> list[ListInfo]:
    """Every list with its active and unsubscribed subscription counts."""
    with store.session(write=False) as session:
        counts: dict[tuple[int, str], int] = {
            (list_id, status): n
            for list_id, status, n in session.exec(
                select(Subscription.list_id, Subscription.status, func.count()).group_by(Subscription.list_id, Subscription.status)
            )
        }
        lists = list(session.exec(select(MailingList).order_by(MailingList.name)))
    return [ListInfo(item, counts.get((item.id, "active"), 0), counts.get((item.id, "unsubscribed"), 0)) for item in lists]  # type: ignore[arg-type]


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
                f"list {name!r} has {campaigns} campaign(s) and cannot be deleted",
                hint="its delivery records are the proof of what was sent; keep the list",
            )
        session.delete(item)
