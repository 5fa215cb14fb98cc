"""The newsletter's issues as a series: each one's number and date, and where a new issue stands among them.

``leadex-mail new`` and the studio's "Start a new issue" number and date a
new issue from its name (``2026-09-leadex-02`` -> No. 2, September 2026) and,
where the name says nothing, from the issue before it; they warn when the
number is another issue's too, or the numbers do not follow the dates.

    derive_number_and_date(slug, settings, today)   # (2, "slug", date(2026, 9, 1), "slug", PreviousIssue(...))
    all_issues(settings)                            # [PreviousIssue(slug, number, date), ...]; broken drafts passed over
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from leadex_mail.config import Settings
from leadex_mail.errors import ContentError, LeadexError

# A slug may start with its date (2026-09 or 2026-09-15) and end with its number (-02).
_SLUG_DATE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2}))?(?=-|$)")
_SLUG_NUMBER = re.compile(r"-(?P<number>\d{1,4})$")


@dataclass(frozen=True)
class PreviousIssue:
    """The latest issue found under ``newsletters/``: where a new one continues from."""

    slug: str
    number: int
    date: dt.date


def derive_number_and_date(slug: str, settings: Settings, today: dt.date) -> tuple[int, str, dt.date, str, PreviousIssue | None]:
    """``(number, number_from, date, date_from, previous)`` for a new issue ``slug``.

    The slug's own date prefix (``YYYY-MM`` -> the 1st of that month, or
    ``YYYY-MM-DD``) and trailing number (``-02``) win, since the officer
    wrote them. Otherwise the number follows the issue before it: the one
    dated latest before the slug's date when the slug has one (an issue
    started late for October comes after September's, not after
    December's), else the highest-numbered one; the date is ``today``.
    ``ContentError`` when the slug starts with an impossible date.
    """
    issues = all_issues(settings, exclude=slug)
    slug_date = _slug_date(slug)
    earlier = [p for p in issues if p.date < slug_date] if slug_date else issues
    previous = max(earlier, key=lambda p: (p.date, p.number) if slug_date else (p.number, p.date), default=None)
    number_match = _SLUG_NUMBER.search(slug[_slug_date_end(slug) :])
    if number_match and int(number_match["number"]) > 0:
        number, number_from = int(number_match["number"]), "slug"
    elif previous is not None:
        number, number_from = previous.number + 1, "previous"
    else:
        number, number_from = 1, "first"
    return number, number_from, slug_date or today, ("slug" if slug_date else "today"), previous


def numbering_warnings(slug: str, number: int, date: dt.date, settings: Settings) -> tuple[str, ...]:
    """What is odd about numbering ``slug`` No. ``number`` of ``date`` among the other issues: a shared number, out of order."""
    out = []
    for other in all_issues(settings, exclude=slug):
        if other.number == number:
            out.append(f"No. {number} is also {other.slug} (dated {other.date}): correct `number:` in one of them")
        elif (other.date > date and other.number < number) or (other.date < date and other.number > number):
            out.append(f"{other.slug} is No. {other.number}, dated {other.date}: the numbers do not follow the dates")
    return tuple(out)


def latest_issue(settings: Settings, *, exclude: str | None = None) -> PreviousIssue | None:
    """The issue with the highest number (then latest date) under ``newsletters_dir``; None when there is none."""
    return max(all_issues(settings, exclude=exclude), key=lambda p: (p.number, p.date), default=None)


def all_issues(settings: Settings, *, exclude: str | None = None) -> list[PreviousIssue]:
    """Every issue under ``newsletters_dir`` with its default edition's number and date.

    Issues whose files do not load are passed over: a broken draft should
    not stop the next issue from being started.
    """
    from leadex_mail.content.loader import issue_slugs, load_issue

    found: list[PreviousIssue] = []
    for slug in issue_slugs(settings):
        if slug == exclude:
            continue
        try:
            edition = load_issue(slug, settings).edition()
        except LeadexError:
            continue
        found.append(PreviousIssue(slug, edition.number, edition.date))
    return found


def _slug_date_end(slug: str) -> int:
    match = _SLUG_DATE.match(slug)
    return match.end() if match else 0


def _slug_date(slug: str) -> dt.date | None:
    match = _SLUG_DATE.match(slug)
    if match is None:
        return None
    try:
        return dt.date(int(match["year"]), int(match["month"]), int(match["day"] or 1))
    except ValueError:
        raise ContentError(
            f"the issue name {slug!r} starts with {match[0]!r}, which is not a date",
            hint="start it with the year and month of the issue, e.g. 2026-09-leadex-02",
        ) from None
