"""When a send pauses by itself: runs of failures that are about the sender, not the recipients.

The campaign engine's policy (as listmonk's manager has "max errors before
pausing"), kept apart from the threads that send (``workers.py``):

    what happened                                            what it does
    send_pause_after_failures connection or server           pause
      failures in a row
    the same rejection (``Classification.key``) for          pause; those deliveries go back to the queue
      send_pause_after_failures recipients in a row          (nobody is suppressed)
      (``550 5.7.1 Relaying denied``, a blocklist)
    send_pause_after_bounces identical hard bounces          pause before anyone is suppressed; those
      in a row (``bouncewave.py``)                           deliveries go back to the queue
    a lasting failure (a ``TlsFailure``: nothing goes        pause at once, saying which setting to change
      until the settings change), or another process
      paused the campaign
    an answer about one recipient (sent, a soft bounce)      the runs above end

The first reason wins (it is what ``status`` shows the operator); a later
one adds only the deliveries still in flight to those put back. Not
thread-safe: ``CampaignRun`` calls every method under its lock, and the
``stop`` event it hands in is what tells its workers to finish.
"""

from __future__ import annotations

import threading

from leadex_mail.campaign.bouncewave import Bounce, BounceWave
from leadex_mail.config import Settings
from leadex_mail.delivery.replies import Classification


class Pauses:
    """One run's pause decisions: its reason, once paused, and the rejected deliveries to put back in the queue."""

    def __init__(self, settings: Settings, stop: threading.Event) -> None:
        self.after_failures = settings.send_pause_after_failures
        self.stop = stop
        self.reason: str | None = None
        self.consecutive = 0  # connection or server failures in a row
        # The current run of identical rejections (delivery ids), and once it
        # paused the campaign, the deliveries to put back in the queue.
        self.streak_key: str | None = None
        self.streak: list[int] = []
        self.pause_key: str | None = None
        self.requeue: list[int] = []
        self.wave = BounceWave(settings.send_pause_after_bounces)  # hard bounces wait to be suppressed (bouncewave.py)

    def pause(self, reason: str) -> None:
        """Pause with ``reason`` unless an earlier pause gave one; stop the workers either way."""
        if self.reason is None:
            self.reason = reason
        self.stop.set()

    def answered(self) -> None:
        """The server answered about one recipient: the failure, rejection and bounce runs end."""
        self.consecutive = 0
        self.streak_key, self.streak = None, []
        self.wave.end()

    def server_failure(self, reply: str) -> None:
        """Pause after ``send_pause_after_failures`` server/connection failures in a row."""
        self.consecutive += 1
        if self.consecutive >= self.after_failures and self.reason is None:
            self.pause(f"{self.consecutive} connection or server failures in a row; last: {reply}")

    def rejection(self, delivery_id: int, verdict: Classification, reply: str) -> None:
        """Pause after the same rejection for ``send_pause_after_failures`` recipients in a row.

        Refusing many people in a row the same way (``550 5.7.1 Relaying
        denied``, a blocklist) is about the sender, not them: the deliveries
        of that run go back to the queue, to be sent on resume once it is fixed.
        """
        self.consecutive = 0
        self.wave.end()
        if self.pause_key is not None:
            if verdict.key == self.pause_key:  # in flight when the pause came: goes back too
                self.requeue.append(delivery_id)
            return
        if verdict.key != self.streak_key:
            self.streak_key, self.streak = verdict.key, []
        self.streak.append(delivery_id)
        if len(self.streak) >= self.after_failures and self.reason is None:
            self.pause_key, self.requeue = verdict.key, list(self.streak)
            self.pause(
                f"the server refused {len(self.streak)} recipients in a row the same way: {reply}"
                f" (hint: {verdict.hint}); nobody was suppressed, and these deliveries are back in the queue"
            )

    def hard_bounce(self, bounce: Bounce, verdict: Classification) -> None:
        """A hard bounce: suppressed later (``take_due``), or part of a wave that pauses the campaign."""
        self.consecutive = 0
        self.streak_key, self.streak = None, []
        back = self.wave.add(verdict, bounce)
        if back is None:
            return
        self.requeue.extend(back)
        if self.reason is None:
            self.pause(
                f"the server answered {len(back)} recipients in a row with the same \"no such mailbox\" reply: {bounce.reply}."
                " So many at once is more likely about the sender or the relay than about them: nobody was suppressed,"
                " and these deliveries are back in the queue (if these addresses really do not exist, continue with"
                " send_pause_after_bounces = 0, e.g. LEADEX_SEND_PAUSE_AFTER_BOUNCES=0)"
            )

    def take_due(self) -> list[Bounce]:
        """The hard bounces whose run ended, to suppress now (and forget)."""
        return self.wave.take_due()

    def end(self) -> None:
        """The send is over: a run of identical bounces shorter than the limit is taken at its word."""
        self.wave.end()
