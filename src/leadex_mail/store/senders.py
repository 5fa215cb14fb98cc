"""Who is sending a campaign: the live ones (for ``status`` and ``send``'s report) and the dead ones (to take over their rows).

A sender holds leases only on the rows it claimed (``deliveries``); while it
waits (for a retry that is not due yet, or for the rows another sender
holds) it holds none. So each run of a campaign also keeps a heartbeat: one
``meta`` row per process and campaign, key ``sender:<campaign id>:<hash of
the owner prefix>``, value ``{"owner": "<host:pid:random…>", "until": "<ISO
time, UTC>", "waiting": <bool>}`` (``waiting``: its claims ran dry and it
waits for rows other senders hold), renewed by the run's main thread every ``beat_every`` and
deleted when the run ends. A sender counts as live while its heartbeat or
one of its leases runs, unless it is a process of this host that has ended
(``/proc``).

``expire_dead_leases`` takes back at once what such a dead process of this
host held; the leases of other hosts' senders simply run out.

Reading never writes: the row of a sender that was killed stays until a
later run of the campaign ends and clears the rows that ran out.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, select, update

from leadex_mail.store.upsert import upsert_insert
from leadex_mail.store.db import Store
from leadex_mail.store.deliveries import server_started
from leadex_mail.store.models import Delivery, Meta

_M = Meta.__table__
_D = Delivery.__table__
_UNFINISHED = ("queued", "sending", "retry_wait")
_FREE = {"lease_owner": None, "lease_expires_at": None}


@dataclass(frozen=True)
class Sender:
    """One process sending a campaign: ``host:pid:random[~server run]``, how long it counts as live, rows it holds."""

    owner: str
    until: datetime  # its heartbeat's or its last lease's end, whichever is later (UTC)
    leased: int = 0  # unfinished deliveries under its live leases
    waiting: bool = False  # its own claims ran dry: it waits for the deliveries other senders hold

    @property
    def where(self) -> str:
        """``host pid N`` for people."""
        host, _, rest = self.owner.partition(":")
        return f"{host} pid {rest.partition(':')[0]}"


def beat_every(lease: timedelta) -> timedelta:
    """How often a run renews its heartbeat: every 10 s, or a quarter of the lease if that is shorter."""
    return min(timedelta(seconds=10), lease / 4)


def _key(campaign_id: int, owner: str) -> str:
    return f"sender:{campaign_id}:{hashlib.sha256(owner.encode()).hexdigest()[:16]}"


def beat(store: Store, campaign_id: int, owner: str, until: datetime, *, waiting: bool = False) -> None:
    """Record that ``owner`` (an ``owner_prefix``) is sending ``campaign_id`` until at least ``until``. Raises ``StoreError``.

    ``waiting``: its claims ran dry and it waits for the deliveries other senders hold.
    """
    value = json.dumps({"owner": owner, "until": until.isoformat(), "waiting": waiting})
    with store.writing() as conn:
        stmt = upsert_insert(conn, _M).values(key=_key(campaign_id, owner), value=value)
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def leave(store: Store, campaign_id: int, owner: str, now: datetime) -> None:
    """``owner``'s run ended: delete its heartbeat, and those of the campaign's senders that ran out before ``now``."""
    with store.writing() as conn:
        rows = conn.execute(select(_M.c.key, _M.c.value).where(_M.c.key.like(f"sender:{campaign_id}:%"))).all()
        gone = [r.key for r in rows if r.key == _key(campaign_id, owner) or _until(r.value) < now]
        if gone:
            conn.execute(delete(_M).where(_M.c.key.in_(gone)))


def live(store: Store, campaign_id: int, now: datetime) -> list[Sender]:
    """The senders of ``campaign_id`` live at ``now`` (heartbeat or lease running, not a dead process of this host); read only."""
    with store.begin(write=False) as conn:
        beats = conn.execute(select(_M.c.value).where(_M.c.key.like(f"sender:{campaign_id}:%"))).scalars().all()
        leases = conn.execute(
            select(_D.c.lease_owner, func.count(), func.max(_D.c.lease_expires_at))
            .where(_D.c.campaign_id == campaign_id, _D.c.state.in_(_UNFINISHED), _D.c.lease_expires_at >= now)
            .group_by(_D.c.lease_owner)
        ).all()
    found: dict[str, Sender] = {}
    for value in beats:
        data, until = json.loads(value), _until(value)
        if until >= now:
            found[data["owner"]] = Sender(data["owner"], until, waiting=bool(data.get("waiting")))
    for owner, count, until in leases:
        prefix = owner.split("/", 1)[0]
        had = found.get(prefix, Sender(prefix, until))
        found[prefix] = Sender(prefix, max(had.until, until), had.leased + count, had.waiting)
    host = socket.gethostname()
    return sorted((s for s in found.values() if not _is_dead_local(s.owner, host)), key=lambda s: s.owner)


def _until(value: str) -> datetime:
    return datetime.fromisoformat(json.loads(value)["until"])


def expire_dead_leases(store: Store, campaign_id: int, now: datetime, *, in_flight_only: bool = False) -> int:
    """Take back at once the rows leased by dead processes of this host; return how many rows.

    Without this, a send restarted right after ``kill -9`` would wait for
    the dead process's leases to run out. Of a dead owner's rows, those
    ``sending`` are the messages it had in hand (one per worker, see
    ``deliveries.Deliveries.start``): their lease is ended, so the next claim takes them
    back as uncertain. The rest of its claim was never started: free at
    once, as it was (queued, or a retry). Owners on other hosts are left to
    their leases, since whether that process is alive cannot be known here;
    when the leases end, the claim treats their rows the same way.
    ``in_flight_only``: look for dead owners only among ``sending`` rows (a
    few per sender; cheap enough to do while sending), not every claimed one.

    On PostgreSQL, "start" and "sent" are committed asynchronously: a crash
    of the server can lose the last of them, so any row of an owner that
    claimed before the server's current start (``deliveries.owner_prefix``) may have
    been sent. All of them are made ``sending`` under an ended lease, each to
    come back uncertain (the claim does the same for such owners on other
    hosts, once their leases end).
    """
    host = socket.gethostname()
    started = server_started(store)
    states = ("sending",) if in_flight_only else _UNFINISHED
    with store.begin(write=False) as conn:
        # Leases that ran out count too: a dead owner's rows are told apart the
        # same way however long ago it died.
        owners = conn.execute(
            select(_D.c.lease_owner).where(_D.c.campaign_id == campaign_id, _D.c.state.in_(states), _D.c.lease_owner.is_not(None)).distinct()
        ).scalars().all()
    taken = 0
    ended = now - timedelta(seconds=1)
    for owner in owners:
        if not _is_dead_local(owner, host):
            continue
        with store.writing() as conn:
            theirs = and_(_D.c.campaign_id == campaign_id, _D.c.lease_owner == owner, _D.c.state.in_(_UNFINISHED))
            if _before_restart(owner, started):
                taken += conn.execute(update(_D).where(theirs).values(state="sending", lease_expires_at=ended, updated_at=now)).rowcount
                continue
            live = _D.c.lease_expires_at >= now  # one whose lease ran out already is claimable as it is
            taken += conn.execute(update(_D).where(theirs, _D.c.state == "sending", live).values(lease_expires_at=ended)).rowcount
            taken += conn.execute(update(_D).where(theirs, _D.c.state != "sending").values(updated_at=now, **_FREE)).rowcount
    return taken


def _before_restart(owner: str, started: int | None) -> bool:
    """True when ``owner`` claimed on a server run that has since ended (its asynchronous commits may be lost)."""
    name = owner.split("/", 1)[0]
    return started is not None and "~" in name and name.rpartition("~")[2] != str(started)


def _is_dead_local(owner: str, host: str) -> bool:
    parts = owner.split("/", 1)[0].split(":")
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            # A killed process that nobody reaped yet is a zombie ("Z"): dead too.
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except FileNotFoundError:
        return True
    except OSError:
        return False
