"""Writing the CSV files people take to a spreadsheet: the subscriber export and the delivery figures.

    out = io.StringIO()
    writer = csv_writer(out, "csv")    # or "excel": ';' between cells, for Excel set to a comma-decimal language
    writer.writerow([...])
    text = out.getvalue()              # starts with the UTF-8 byte order mark

Every file is UTF-8 *with* a byte order mark, RFC 4180 (CRLF line ends,
quotes doubled): without the mark Excel on Windows reads UTF-8 in the
machine's ANSI code page and shows "Ä\x8d" for "č". ``"csv"`` separates cells
with a comma, as RFC 4180 and every program expect. ``"excel"`` separates
them with a semicolon, the list separator of Windows set to a language that
writes decimals with a comma (Slovenian, German, Croatian, Spanish, Estonian,
Polish, Danish…), where Excel opens a comma file in one column. No ``sep=``
line: with one, Excel ignores the mark and garbles the letters again. The
importer (``csvread``) reads both back (docs/decisions.md, "## Store").
"""

from __future__ import annotations

import csv
from typing import Any, TextIO

BOM = "\ufeff"
# How each kind of CSV separates its cells.
DELIMITERS = {"csv": ",", "excel": ";"}


def csv_writer(out: TextIO, kind: str = "csv") -> Any:
    """A ``csv.writer`` over ``out`` for ``kind`` (``"csv"`` or ``"excel"``), after writing the byte order mark.

    Raises ``KeyError`` for another ``kind`` (callers check it against ``DELIMITERS``).
    """
    delimiter = DELIMITERS[kind]
    out.write(BOM)
    return csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
