"""The time an officer types for a scheduled send, read once for every face (``send --at``, the studio's form).

A time without an offset (``2026-05-04 09:00``, ``2026-05-04T09:00``) is a
wall-clock time in the ``timezone`` setting (an IANA name; unset: this
machine's zone). Around a clock change a wall-clock time may not exist or
may happen twice, and ``datetime`` would silently pick one:

- **skipped** (the clocks go forward: 2026-03-29 02:30 in Europe/Ljubljana)
  is refused, saying which times are skipped and which exist either side;
- **repeated** (the clocks go back: 2026-10-25 02:30) is the first of the
  two, and ``SendTime.note`` says so, with how to ask for the second: a
  zone abbreviation after the time (``2026-10-25 02:30 CET``) or an offset
  (``2026-10-25T02:30+01:00``) picks one explicitly.

Absurd times are refused: more than ``GRACE`` in the past (a time a few
minutes gone, e.g. the current minute, means "now": due at once) here, and
more than ``MAX_AHEAD`` ahead (year 9999 is a typo) by ``check_ahead``,
which ``scheduler.schedule_campaign`` calls for every face once the issue
is checked. Errors are ``SendTimeError`` with a ``reason`` a face can show
in its own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from leadex_mail.config import Settings
from leadex_mail.errors import SendTimeError

GRACE = timedelta(minutes=5)  # a time this recently passed is "now" (typed the current minute, a slow form)
MAX_AHEAD = timedelta(days=366)  # a send scheduled further ahead is a typo in the year
_UTC_NAMES = {"UTC", "GMT", "Z"}
_SHAPE = 'write it as YYYY-MM-DD HH:MM, e.g. "2026-05-04 09:00"'


@dataclass(frozen=True)
class SendTime:
    """A send time as read: ``at`` (aware, in the zone it was read in) and what to say back about it, if anything."""

    at: datetime
    note: str | None = None


def zone(settings: Settings) -> tzinfo | None:
    """The zone times are typed in: the ``timezone`` setting, or None for this machine's own (with its summer time)."""
    return ZoneInfo(settings.timezone) if settings.timezone else None


def read_send_time(text: str, settings: Settings, *, now: datetime) -> SendTime:
    """``text`` (``YYYY-MM-DD HH:MM``, ISO 8601 with an optional offset, or a zone abbreviation after it) as a send time.

    ``now`` is aware. Raises ``SendTimeError`` (reason ``unreadable``,
    ``skipped``, ``past`` or ``zone``; ``far`` only for a time at the end of
    the calendar, see ``check_ahead``) with the words and a hint.
    """
    where = zone(settings)
    value, abbreviation = _parse(text)
    if value.tzinfo is None and abbreviation in _UTC_NAMES:
        value = value.replace(tzinfo=UTC)
    if value.tzinfo is not None:
        return _in_range(SendTime(value), now, where)
    _roughly_in_range(value, now, where)
    try:
        found = candidates(value, where)
    except (OverflowError, ValueError):  # 9999-12-31 23:59 west of UTC is in year 10000
        raise _far(_wall(value), now.astimezone(where).replace(tzinfo=None)) from None
    if not found:
        raise _skipped(value, where, settings)
    if abbreviation:
        chosen = [c for c in found if (c.tzname() or "").upper() == abbreviation]
        if not chosen:
            names = " or ".join(sorted({c.tzname() or "" for c in found}))
            raise SendTimeError(
                f"{value:%Y-%m-%d %H:%M} {abbreviation} is not a time in {_zone_name(settings)}, where it is {names} on that day",
                hint=f'write "{value:%Y-%m-%d %H:%M} {found[0].tzname()}", or the time alone', reason="zone",
            )
        found_at = chosen[0]
    else:
        found_at = found[0]
    note = _repeated_note(found_at, found, settings) if len(found) == 2 else None
    return _in_range(SendTime(found_at, note), now, where)


def candidates(naive: datetime, where: tzinfo | None) -> list[datetime]:
    """Every instant the wall-clock time ``naive`` names in ``where`` (None: this machine's zone), earliest first.

    None when the clocks skip it, two when they repeat it (PEP 495 ``fold``).
    """
    found: list[datetime] = []
    for fold in (0, 1):
        utc = _aware(naive.replace(fold=fold), where).astimezone(UTC)
        local = utc.astimezone(where)
        if local.replace(tzinfo=None, fold=0) == naive and all(utc != f for f in found):
            found.append(local)
    return sorted(found, key=lambda d: d.astimezone(UTC))


def repeated_note(at: datetime, settings: Settings) -> str | None:
    """For a stored time whose wall-clock time happens twice, which of the two it is (None otherwise)."""
    where = zone(settings)
    local = at.astimezone(where)
    found = candidates(local.replace(tzinfo=None, fold=0), where)
    return _repeated_note(local, found, settings) if len(found) == 2 else None


def _parse(text: str) -> tuple[datetime, str | None]:
    """The date and time in ``text``, and a zone abbreviation written after it (upper case) or None."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text), None
    except ValueError:
        pass
    match = re.fullmatch(r"(.+?)\s+([A-Za-z]{1,6})", text)
    if match:
        try:
            value = datetime.fromisoformat(match.group(1))
        except ValueError:
            value = None
        if value is not None and value.tzinfo is None:
            return value, match.group(2).upper()
    raise SendTimeError(f"cannot read the time {text!r}", hint=_SHAPE, reason="unreadable")


def _aware(naive: datetime, where: tzinfo | None) -> datetime:
    """``naive`` as an aware time in ``where``; this machine's rules when None (``timestamp`` honours ``fold``)."""
    if where is not None:
        return naive.replace(tzinfo=where)
    return datetime.fromtimestamp(naive.timestamp(), UTC)


def check_ahead(send_at: datetime, now: datetime) -> datetime:
    """The time to store for ``send_at`` at ``now`` (both aware), as ``scheduler.schedule_campaign`` does.

    Refuses (``SendTimeError``, ``far``) a time more than ``MAX_AHEAD``
    ahead, a typo in the year (e.g. 9999); a time passed within ``GRACE``
    (read a moment ago, then the issue was checked) is due at once.
    """
    if send_at > now + MAX_AHEAD:
        raise _far(f"{_wall(send_at)} {send_at:%Z}".strip(), now.astimezone(send_at.tzinfo).replace(tzinfo=None))
    if now - GRACE <= send_at <= now:
        return (now + timedelta(seconds=1)).astimezone(send_at.tzinfo)
    return send_at


def _roughly_in_range(naive: datetime, now: datetime, where: tzinfo | None) -> None:
    """Refuse wall-clock times long past before converting them (year 1 would overflow)."""
    wall_now = now.astimezone(where).replace(tzinfo=None)
    if naive < wall_now - GRACE - timedelta(days=1):
        raise _past(_wall(naive), wall_now)


def _in_range(found: SendTime, now: datetime, where: tzinfo | None) -> SendTime:
    """``found`` when it is within ``GRACE`` of the past and ``MAX_AHEAD`` of the future; due now when just passed."""
    wall_now = now.astimezone(where).replace(tzinfo=None)
    try:
        at_utc = found.at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _far(f"{found.at:%Y-%m-%d %H:%M %Z}", wall_now) from None
    if at_utc < now - GRACE:
        raise _past(f"{found.at:%Y-%m-%d %H:%M %Z}", wall_now, now.astimezone(where))
    if at_utc <= now:
        due = (now + timedelta(seconds=1)).astimezone(found.at.tzinfo)
        return SendTime(due, f"{found.at:%H:%M} has just passed: the send is due at once (the next worker round sends it)")
    return found


def _far(shown: str, wall_now: datetime) -> SendTimeError:
    return SendTimeError(
        f"{shown} is more than a year ahead (today is {wall_now:%Y-%m-%d})",
        hint="check the year; a send can be scheduled at most a year ahead", reason="far",
    )


def _past(shown: str, wall_now: datetime, now: datetime | None = None) -> SendTimeError:
    said = f"{now:%Y-%m-%d %H:%M %Z}" if now is not None else f"{wall_now:%Y-%m-%d %H:%M}"
    return SendTimeError(f"{shown} is not in the future (now {said})", hint="give a later time, or send now", reason="past")


def _change(naive: datetime, where: tzinfo | None) -> tuple[datetime, datetime]:
    """The clock change around ``naive``: the wall-clock time it leaves (naive) and the one it goes to (aware).

    Found by bisection between the two readings of ``naive`` (``fold`` 0
    and 1), which lie on either side of it.
    """
    lo, hi = sorted(_aware(naive.replace(fold=f), where).astimezone(UTC) for f in (0, 1))
    before = lo.astimezone(where).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        lo, hi = (mid, hi) if mid.astimezone(where).utcoffset() == before else (lo, mid)
    change = hi.replace(microsecond=0)
    return change.replace(tzinfo=None) + before, change.astimezone(where)  # type: ignore[operator]


def _skipped(naive: datetime, where: tzinfo | None, settings: Settings) -> SendTimeError:
    old, new = _change(naive, where)
    last = new - timedelta(minutes=1)
    return SendTimeError(
        f"{naive:%Y-%m-%d %H:%M} does not exist in {_zone_name(settings)}: that night the clocks go forward from {old:%H:%M} to"
        f" {new:%H:%M %Z}, so the times from {old:%H:%M} to {last:%H:%M} are skipped",
        hint=f'choose a time before {old:%H:%M} or from {new:%H:%M}, e.g. "{new:%Y-%m-%d %H:%M}"', reason="skipped",
    )


def _repeated_note(at: datetime, found: list[datetime], settings: Settings) -> str:
    first, second = found
    which, other = ("first", second) if at.astimezone(UTC) == first.astimezone(UTC) else ("second", first)
    return (
        f"{at:%Y-%m-%d %H:%M} happens twice in {_zone_name(settings)} (the clocks go back that night): this is {at:%H:%M %Z}"
        f" ({at.astimezone(UTC):%H:%M} UTC), the {which} of the two; for the other write \"{at:%Y-%m-%d %H:%M} {other:%Z}\""
    )


def _wall(value: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` for any year (``%Y`` drops the zeros of year 1)."""
    return f"{value.year:04d}-{value:%m-%d %H:%M}"


def _zone_name(settings: Settings) -> str:
    return settings.timezone or "this machine's time zone"
