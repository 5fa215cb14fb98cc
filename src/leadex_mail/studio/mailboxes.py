"""Email addresses an officer types into a studio field: the one reader of every address field.

    typed = read_mailboxes('Ana Novak <ana@example.org>, bor@example.org')
    [t.address for t in typed]     # ["ana@example.org", "bor@example.org"]
    read_mailboxes("Bcc: z@example.org")[0].refused   # "header": a header line, never an address

A field takes mailboxes only (RFC 5322 3.4 ``mailbox``: an address, or a
display name and the address in angle brackets, as a mail program copies
it), one per line or separated by commas or semicolons; a quoted name may
hold a comma. Anything else is refused at the field, as typed: a header
line (``Bcc: z@example.org``, ``To: …``), a group (``team: a@x, b@y;``),
text around an address, an address with spaces. ``email.utils.getaddresses``
read ``Bcc: z@example.org`` as the group ``Bcc`` holding ``z@example.org``,
so a pasted header line sent the test there (a15 M9): this reader never
parses groups. Whether an address itself is valid is the store's
``normalise_email``'s to say, as for every other address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# An address as far as splitting goes: no spaces, brackets, quotes, separators or a second @.
_ADDRESS = r"[^\s<>(),;:\"@]+@[^\s<>(),;:\"@]+"
_BARE = re.compile(_ADDRESS)
_NAMED = re.compile(rf"(?P<name>\"(?:[^\"\\]|\\.)*\"|[^\"<>:;,@\x00-\x1f]*?)\s*<(?P<address>{_ADDRESS})>")
# "Bcc: …", "Reply-To: …" (a header field's name and colon, RFC 5322 2.2) or a group "Undisclosed recipients: …;"
# (3.4): a colon before any quoted name or angle bracket.
_HEADER = re.compile(r"[^\"<>]*:")
# Separators: line ends, semicolons, commas outside a quoted name.
_ITEMS = re.compile(r"[\r\n;]+|,(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")


@dataclass(frozen=True)
class Mailbox:
    """One item typed into an address field: its address and name, or why it is refused.

    ``refused``: None for a mailbox; ``"header"`` for a header line or a group
    (``Name: …``); ``"not_address"`` for anything else.
    """

    typed: str
    address: str = ""
    name: str = ""
    refused: str | None = None


def read_mailboxes(raw: str) -> list[Mailbox]:
    """Each item of ``raw`` (one per line, or comma- or semicolon-separated), as a ``Mailbox``, in order; blank items skipped."""
    lines = re.split(r"[\r\n]+", raw)
    items = [part.strip() for line in lines for part in _ITEMS.split(line) if part.strip()]
    return [read_mailbox(item) for item in items]


def read_mailbox(item: str) -> Mailbox:
    """One typed item: ``ana@example.org`` or ``Ana Novak <ana@example.org>`` (``"Novak, Ana" <…>``); anything else refused."""
    item = item.strip()
    if _BARE.fullmatch(item):
        return Mailbox(item, item)
    named = _NAMED.fullmatch(item)
    if named:
        name = named["name"].strip()
        if name.startswith('"') and name.endswith('"') and len(name) >= 2:
            name = re.sub(r"\\(.)", r"\1", name[1:-1])
        return Mailbox(item, named["address"], name.strip())
    return Mailbox(item, refused="header" if _HEADER.match(item) else "not_address")
