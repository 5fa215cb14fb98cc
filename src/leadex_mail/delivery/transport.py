"""The one small interface every transport implements.

The campaign runner and ``send-test`` receive a ``Transport`` (built by
``make_transport(settings)``: ``smtp.SmtpTransport`` or
``outbox.OutboxTransport``); they never reach for SMTP or the file system
themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Sequence

if TYPE_CHECKING:
    from leadex_mail.config import Settings


@dataclass(frozen=True)
class SendResult:
    """What a transport did with one message, stored with the delivery.

    ``reply`` is the server's answer (``"250 2.0.0 Ok: queued as ..."``) or,
    for the outbox, the file written. ``refused`` maps refused recipients to
    their reply.
    """

    reply: str
    refused: dict[str, str]

    @property
    def ok(self) -> bool:
        """True when no recipient was refused."""
        return not self.refused


class Transport(Protocol):
    """Hands finished message bytes to the next hop.

    ``send`` raises ``TemporaryFailure`` (retry later: 4xx, timeouts, dropped
    connections) or ``PermanentFailure`` (5xx for the recipient); anything
    else it raises is a bug. Transports are used from one thread each.
    """

    name: str

    def send(self, sender: str, recipients: Sequence[str], data: bytes, *, stuffed: bytes | None = None) -> SendResult:
        """Deliver ``data`` (a complete RFC 5322 message) to ``recipients``.

        ``stuffed`` is ``data`` as SMTP's DATA carries it, when the caller has
        it ready (``OutgoingMessage.wire``, ``delivery.wire.dot_stuff``); a
        transport that needs it makes it otherwise.
        """
        ...

    def close(self) -> None:
        """Release connections or files; safe to call twice."""
        ...


def make_transport(settings: Settings, *, outbox_subdir: str | None = None) -> Transport:
    """The transport the configuration asks for (outbox unless SMTP is configured).

    ``outbox_subdir`` (e.g. the campaign's name) is the outbox's sub-folder;
    SMTP ignores it. Raises ``ConfigError`` for an unsafe or incomplete SMTP
    setup. Each transport's module is imported only when it is used.
    """
    if settings.effective_transport == "smtp":
        from leadex_mail.delivery.smtp import SmtpTransport

        return SmtpTransport(settings)
    from leadex_mail.delivery.outbox import OutboxTransport

    folder = settings.outbox_dir / outbox_subdir if outbox_subdir else settings.outbox_dir
    return OutboxTransport(folder)
