"""Auto-replies and out-of-office messages: recognised so they are ignored, not taken for bounces.

RFC 3834 asks automatic responders to send ``Auto-Submitted: auto-replied``
(and to reply to the envelope sender, which is why they reach the bounce
mailbox). Older responders mark themselves with ``X-Autoreply``,
``X-Autorespond``, ``Precedence: auto_reply`` or Microsoft's
``X-MS-Exchange-Inbox-Rules-Loop``/``X-Auto-Response-Suppress``, or only by a
subject such as "Out of Office" or "Automatic reply" in the languages of
the project's partners. MTAs mark their bounces ``auto-replied`` too, so
this test runs only on messages that are neither reports nor bounces.
"""

from __future__ import annotations

import re
from email.message import Message

from leadex_mail.bounces.mime import header_text

_SUBJECT = re.compile(
    r"^\s*(auto(matic|matische)?[ -]?(reply|response|antwort|answer)|autoreply|auto:|out of (the )?office|"
    r"abwesenheit|abwesend|vacation|away from|fuera de la oficina|respuesta autom|"
    r"odsotnost|odsoten|samodejni odgovor|automatski odgovor|odsutan|odsutnost|izvan ureda|"
    r"eemal|automaatne vastus|puhkusel|nieobecno|automatyczna odpowied|odpowied[zź] automatyczna|"
    r"fravær|ikke til stede|autosvar|absence|réponse automatique|risposta automatica|fuori ufficio)",
    re.IGNORECASE,
)
_MARKER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation", "X-MS-Exchange-Inbox-Rules-Loop")


def is_autoreply(msg: Message) -> bool:
    """True when ``msg`` is an automatic response (RFC 3834 or common markers/subjects)."""
    submitted = header_text(msg.get("Auto-Submitted")).lower()
    if submitted.startswith("auto-replied"):
        return True
    if any(msg.get(h) for h in _MARKER_HEADERS):
        return True
    if header_text(msg.get("Precedence")).lower() == "auto_reply":
        return True
    return bool(_SUBJECT.match(header_text(msg.get("Subject"))))
