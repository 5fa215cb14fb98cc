"""How a hand-written file is laid out as text: its byte-order mark, line endings and last line.

ruamel's round trip keeps comments and styles but not these: a file written
on Windows (CRLF) would come back with CRLF only on the lines ruamel kept as
comments and LF on every line it wrote, a UTF-8 byte-order mark would be
lost, and a file without a newline after its last line would gain one. So
the text is brought to one form before parsing (no mark, LF) and put back
in the file's own form when written (``Layout.apply``)::

    layout = Layout.of(text)        # what the file does
    tree = parse(layout.plain(text))
    ...
    data = layout.apply(dump(tree)).encode("utf-8")

YAML 1.2 reads CR LF, CR and LF alike as a line break (spec 5.4), so turning
each into LF changes no value. A file that mixes endings is written with the
one most of its lines use: a person's editor would do the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BOM = "\ufeff"
_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Layout:
    """A file's byte-order mark (``bom``), line ending (``newline``: ``"\\n"``, ``"\\r\\n"`` or ``"\\r"``) and whether its last line ends."""

    bom: bool = False
    newline: str = "\n"
    final_newline: bool = True

    @classmethod
    def of(cls, text: str) -> Layout:
        """The layout of ``text`` (a file decoded as UTF-8, mark included)."""
        body = text.removeprefix(BOM)
        counts = {"\n": 0, "\r\n": 0, "\r": 0}
        for match in _BREAK.finditer(body):
            counts[match.group()] += 1
        newline = max(("\n", "\r\n", "\r"), key=lambda ending: counts[ending])  # LF first: it wins a tie
        return cls(bom=text.startswith(BOM), newline=newline, final_newline=not body or body.endswith(("\n", "\r")))

    @staticmethod
    def plain(text: str) -> str:
        """``text`` without its mark and with every line ending as LF (what the parser and emitter see)."""
        return _BREAK.sub("\n", text.removeprefix(BOM))

    def apply(self, text: str) -> str:
        """``text`` (LF endings, as ruamel writes) in this layout."""
        if not self.final_newline:
            text = text.removesuffix("\n")
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return BOM + text if self.bom else text
