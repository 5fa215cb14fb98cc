"""What a matched report does: the bounce and complaint policy.

    complaint (ARF abuse/fraud)       unsubscribe from every list, suppress: never undone by an import
    hard bounce (5.1.x)               suppress at once
    soft bounce (5.2.2, 4.x.x given   recorded; suppress when it is the ``soft_limit``-th soft
      up, mailbox unavailable)        failure of the subscriber's deliveries within ``soft_days``
    rejection (5.7.x, 5.3.x, ...)     recorded on the delivery; the subscriber is left alone
    delay, auto-reply                 ignored (kept in the report table)

Whether a failure is hard, soft or a rejection is the shared reply
classifier's verdict (``classification.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from leadex_mail.errors import ConfigError

# Order of severity, for a report naming several recipients.
# A report matched by address only may act on at most this many subscribers: each
# message leadex-mail sends has one recipient, so a genuine report about one names one.
RECIPIENT_ONLY_CAP = 1
SEVERITY = ("ignored", "kept", "unmatched", "rejected", "soft", "suppressed", "unsubscribed")


@dataclass(frozen=True)
class Policy:
    """The configurable part: ``soft_limit`` soft bounces within ``soft_days`` days suppress.

    ``proof_required`` (set when VERP is on): only reports matched by a
    signed value (VERP token, ENVID, Message-ID) are acted on.
    """

    soft_limit: int = 3
    soft_days: int = 30
    proof_required: bool = False

    def __post_init__(self) -> None:
        from leadex_mail.config import MAX_SOFT_DAYS, MAX_SOFT_LIMIT

        if not (1 <= self.soft_limit <= MAX_SOFT_LIMIT and 1 <= self.soft_days <= MAX_SOFT_DAYS):
            raise ConfigError(
                f"bounce_soft_limit must be 1 to {MAX_SOFT_LIMIT} and bounce_soft_days 1 to {MAX_SOFT_DAYS} (got {self.soft_limit} and {self.soft_days})",
                hint="e.g. bounce_soft_limit = 3 and bounce_soft_days = 30: three soft bounces within 30 days suppress",
            )

    def soft_suppresses(self, soft_failures: int) -> bool:
        """True when ``soft_failures`` (the current one included) reach the limit."""
        return soft_failures >= self.soft_limit


def worst(actions: list[str]) -> str:
    """The most severe of several per-recipient actions (what the report row shows)."""
    return max(actions, key=SEVERITY.index) if actions else "ignored"
