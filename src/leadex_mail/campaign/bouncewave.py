"""The safety net for hard bounces: many identical "no such mailbox" replies in a row pause before anyone is suppressed.

A hard bounce suppresses an address for good. When a relay answers every
recipient with the same "user unknown" words (a misconfigured relay, a
refusal of the *sender* that the classifier could not tell apart), taking
it at its word would suppress the whole list. So the suppression of a hard
bounce waits while the run of identical replies (``Classification.fingerprint``:
addresses, IPs and ids left out) is shorter than ``send_pause_after_bounces``:

    a different outcome (sent, another reply, a rejection)  the run ends: its addresses are suppressed
    the run reaches the limit                               pause: nobody of the run is suppressed,
                                                            their deliveries go back to the queue
    the send ends (done, paused otherwise, stopped)         the run ends: its addresses are suppressed

The delivery rows are recorded as they come (failed, a hard bounce); only
the subscribers' suppression waits, so a crash in the middle loses at most
the suppressions of one short run (those addresses bounce again next time).
Not thread-safe on its own: ``CampaignRun`` calls it under its lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadex_mail.delivery.replies import Classification


@dataclass(frozen=True)
class Bounce:
    """One hard bounce whose suppression waits."""

    delivery_id: int
    subscriber_id: int | None
    reply: str


@dataclass
class BounceWave:
    """The current run of identical hard bounces; ``limit`` 0 turns the net off."""

    limit: int
    key: str | None = None
    run: list[Bounce] = field(default_factory=list)
    paused_on: str | None = None  # the fingerprint that paused the campaign
    due: list[Bounce] = field(default_factory=list)  # to suppress now (``take_due``)

    def add(self, verdict: Classification, bounce: Bounce) -> list[int] | None:
        """Count a hard bounce; the delivery ids to put back in the queue when it pauses the campaign, else None.

        After the pause, a bounce with the same words still in flight goes
        back to the queue too (``[its id]``); another is suppressed as usual.
        """
        if self.paused_on is not None:
            if verdict.fingerprint == self.paused_on:
                return [bounce.delivery_id]
            self.due.append(bounce)
            return None
        if not self.limit:
            self.due.append(bounce)
            return None
        if verdict.fingerprint != self.key:
            self.end()
            self.key = verdict.fingerprint
        self.run.append(bounce)
        if len(self.run) < self.limit:
            return None
        self.paused_on, back = self.key, [b.delivery_id for b in self.run]
        self.run, self.key = [], None
        return back

    def end(self) -> None:
        """The run is over (another outcome, or the send ends): its addresses are suppressed."""
        self.due.extend(self.run)
        self.run, self.key = [], None

    def take_due(self) -> list[Bounce]:
        """The bounces to suppress now (and forget)."""
        due, self.due = self.due, []
        return due
