"""What the delivery records must do differently per database: the hot path of sending, "start" and "sent".

``deliveries.open_deliveries`` picks the class; ``deliveries.Deliveries``
says what each method guarantees. Both write a deferred "sent" together with
the next "start" (``Deliveries.sent(defer=True)``): one transaction on
SQLite, one statement on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from leadex_mail.store import driver
from leadex_mail.store.db import Store
from leadex_mail.store.deliveries import _D, _SENT, _SENT_SQLITE, _START, _START_SQLITE, Deliveries, server_started


class SqliteDeliveries(Deliveries):
    """``Deliveries`` on SQLite: "sent", once per message, recorded on the driver's connection.

    It skips SQLAlchemy's statement-cache lookup, parameter machinery and
    transaction bookkeeping (0.45 -> 0.18 ms per message here), with the
    column type's own processor for the timestamp.
    """

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._stamp = driver.bind_processor(store, _D, "sent_at")
        # This connection is this worker's alone and never inside a SQLAlchemy
        # transaction between calls (isolation_level None: we say BEGIN/COMMIT).
        self._raw = self.conn.connection.dbapi_connection

    def _record_sent(self, delivery_id: int, reply: str, message_id: str, now: datetime) -> None:
        """Record an accepted message (see ``Deliveries.sent``)."""
        stamp = self._stamp(now)
        with self.lock, driver.sqlite_transaction(self.store, self._raw) as cursor:
            cursor.execute(_SENT_SQLITE, (reply, message_id, stamp, stamp, delivery_id))

    def _start(self, delivery_id: int, owner: str, now: datetime, lease: timedelta, deferred: tuple[int, str, str, datetime] | None) -> bool:
        """Mark a claimed delivery ``sending`` (see ``Deliveries.start``), in one transaction with a deferred "sent"."""
        with self.lock, driver.sqlite_transaction(self.store, self._raw) as cursor:
            if deferred is not None:
                done, reply, message_id, at = deferred
                stamp = self._stamp(at)
                cursor.execute(_SENT_SQLITE, (reply, message_id, stamp, stamp, done))
            cursor.execute(_START_SQLITE, (self._stamp(now + lease), self._stamp(now), delivery_id, owner))
            return cursor.rowcount == 1


class PostgresDeliveries(Deliveries):
    """``Deliveries`` on PostgreSQL: claims skip rows other claims hold; "sent" is committed asynchronously.

    A claim locks the rows it picks with ``FOR UPDATE SKIP LOCKED`` in a
    short transaction, so any number of workers in any number of processes
    claim side by side, none waiting for another nor coming back empty while
    rows are queued.

    "Start" and "sent", once per message each, are committed with
    ``synchronous_commit = off``: the server answers before its WAL reaches
    the disk. The record is visible at once and survives the sender's crash;
    only the server's crash recovery can lose the last of them (at most ~3 x
    wal_writer_delay; also after one backend's death: ``deliveries.server_started``).
    Such a row is then back where its durable claim left
    it: under the lease of an owner of the server's previous run, so it is
    taken over as *uncertain* (by ``senders.expire_dead_leases`` for a dead owner of
    this host, by the claim once the lease ends for any other).
    Everything else, the claim above all (a lost claim would make a sent
    message look never tried), is committed synchronously, and a synchronous
    commit also flushes the asynchronous ones before it.
    The argument is in docs/decisions.md.

    "Start" and "sent" go over a driver connection of its own, in autocommit with
    ``synchronous_commit = off`` for its whole life, as one prepared
    statement: one round trip per message (through SQLAlchemy's transaction
    it was three, BEGIN, UPDATE and COMMIT, and a third of a sender's time).
    Claims and the rare outcomes keep the worker's SQLAlchemy connection,
    set to ``synchronous_commit = on`` for as long as the worker holds it,
    whatever the server's default (an operator's ``off`` there must not
    make claims lose what the argument needs).
    """

    skip_locked = True

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        with store.errors(), self.conn.begin():
            self.conn.exec_driver_sql("SET synchronous_commit = on")  # this connection's, until close
        self._sent_sql, self._sent_params = driver.postgres_statement(store, _SENT)
        self._start_sql, self._start_params = driver.postgres_statement(store, _START)
        # The previous message's "sent" and this one's "start" as one statement (a data-modifying
        # WITH): the "sent" parameters renamed "d_..." so the two never share a name.
        renamed = re.sub(r"%\((\w+)\)s", r"%(d_\1)s", self._sent_sql)
        self._both_sql = f"WITH done AS ({renamed}) {self._start_sql}"
        self._both_params = {**self._start_params, **{f"d_{k}": v for k, v in self._sent_params.items()}}
        self._stamp = driver.bind_processor(store, _D, "sent_at")
        self._fast = driver.postgres_autocommit(store, synchronous_commit="off")
        self.server_run = f"%~{server_started(store)}/%"

    def _record_sent(self, delivery_id: int, reply: str, message_id: str, now: datetime) -> None:
        """Record an accepted message: one statement, committed asynchronously (see the class)."""
        stamp = self._stamp(now)
        params = {**self._sent_params, "p_id": delivery_id, "p_reply": reply, "p_mid": message_id, "p_now": stamp}
        with self.store.errors():
            self._fast.execute(self._sent_sql, params, prepare=True)

    def _start(self, delivery_id: int, owner: str, now: datetime, lease: timedelta, deferred: tuple[int, str, str, datetime] | None) -> bool:
        """Mark a claimed delivery ``sending``, with a deferred "sent": one statement, committed asynchronously (see the class)."""
        params = {"p_id": delivery_id, "p_owner": owner, "p_until": self._stamp(now + lease), "p_now": self._stamp(now)}
        if deferred is None:
            sql, params = self._start_sql, {**self._start_params, **params}
        else:
            done, reply, message_id, at = deferred
            sql = self._both_sql
            params = {**self._both_params, **params, "d_p_id": done, "d_p_reply": reply, "d_p_mid": message_id, "d_p_now": self._stamp(at)}
        with self.store.errors():
            return self._fast.execute(sql, params, prepare=True).rowcount == 1

    def close(self) -> None:
        """Write a deferred "sent"; close the "sent" connection (nobody else's); put the worker's commit mode back; return it to the pool."""
        try:
            self.flush()
        finally:
            self._close_connections()

    def _close_connections(self) -> None:
        try:
            self._fast.close()
        finally:
            try:
                if not self.conn.closed and not self.conn.invalidated:
                    with self.conn.begin():
                        self.conn.exec_driver_sql("RESET synchronous_commit")
            except Exception:  # noqa: BLE001 (the server may be gone: the pool discards a broken connection anyway)
                self.conn.invalidate()
            self.conn.close()  # Deliveries.close without its flush: done above
