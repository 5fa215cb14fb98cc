"""Every kind of row an import leaves out or changes, and every reason it fails as a whole, by code.

Like ``problem_codes`` for content: the core says each with a ``code`` (a stable id) and ``args`` (the
values the words name: lines, column headings, list names, addresses, numbers; never English), and each
face says it in its own words. The CLI's words are here (``REJECTION_WORDS``, ``CHANGE_WORDS``: what
``subscribers import`` has always printed, hints naming options included); ``ImportFailed`` keeps its
message and hint as the CLI prints them and carries one of ``FAILURE_CODES``. The studio says every code
from its catalogs (``import_why_<code>``, ``import_failed_<code>``), without the CLI's options or commands.

Shapes: ``REJECTION_WORDS[code](**args) -> str``; ``CHANGE_WORDS`` likewise; ``FAILURE_CODES`` a tuple
of codes. ``args`` values are ``str`` or ``int``; ``detail`` (the validator's English words) is for the
CLI only.
"""

from __future__ import annotations

from collections.abc import Callable

from leadex_mail.counts import counted

Words = Callable[..., str]

_SUPPRESSED = {
    "erased": "erased at the person's request; it is never imported again",
    "bounced": "bounced and is suppressed; an import never re-activates an address",
    "complained": "complained of spam and is suppressed; an import never re-activates an address",
    "unsubscribed": "unsubscribed; only the person's own confirmation can re-activate an address",
}
# A status the file's own status column gives (an export read back).
_FILE = {
    "unsubscribed": "the file says unsubscribed; an import never re-activates anyone",
    "bounced": "the file says bounced; an import never re-activates an address",
    "complained": "the file says complained of spam; an import never re-activates an address",
    "pending": "the file says pending (the subscription was never confirmed); only the person's confirmation makes it active",
}

# Why a row was left out (``Rejection.code`` in ``ImportReport.rejected``).
REJECTION_WORDS: dict[str, Words] = {
    "too_long": lambda column, limit, length, **_: f"column {column!r} is longer than {limit} characters ({length})",
    "too_many_cells": lambda cells, width, **_: f"the row has {cells} cells but the header has {width}",
    "runaway_quote": lambda rows, addresses, **_: (
        f"a quote (\") in this row is never closed, so it runs on over {counted(rows, 'more row')} of the file: {addresses} "
        "(close the quote and import again)"
    ),
    "no_address": lambda **_: "no address",
    "bad_address": lambda detail, **_: detail,
    "bad_name": lambda detail, **_: detail,
    "bad_language": lambda detail, **_: detail,
    "bad_attribute": lambda detail, **_: detail,
    "bad_list_name": lambda detail, **_: detail,
    "bad_value": lambda detail, **_: detail,
    "attributes_not_json": lambda **_: "the attributes cell is not a JSON object",
    "attributes_not_object": lambda **_: "the attributes cell is not a JSON object",
    **{f"suppressed_{status}": (lambda words: lambda **_: words)(words) for status, words in _SUPPRESSED.items()},
    "suppressed_other": lambda status, **_: f"suppressed ({status})",
    **{f"file_{status}": (lambda words: lambda **_: words)(words) for status, words in _FILE.items()},
    "file_left_list": lambda list_name, **_: f"the file says the person left the list {list_name!r}; an import never re-subscribes anyone",
    "left_lists": lambda n, **_: f"left {'this list' if n == 1 else 'these lists'}; an import never re-subscribes anyone",
}

# What was changed in a row taken in (``Rejection.code`` in ``ImportReport.changed``).
CHANGE_WORDS: dict[str, Words] = {
    "attribute_joined": lambda attribute, tabs=0, **_: f"attribute {attribute!r}: line breaks joined into one line" + (" and tabs made spaces" if tabs else ""),
    "attribute_tabs": lambda attribute, **_: f"attribute {attribute!r}: tabs made spaces",
    "file_left_list": lambda list_name, **_: f"the file says the person left the list {list_name!r}: not subscribed to it",
    "left_list_earlier": lambda list_name, **_: f"left the list {list_name!r} earlier: not re-subscribed to it",
}

# Why an import failed as a whole and wrote nothing (``ImportFailed.code``).
FAILURE_CODES = (
    "file_unreadable",  # args: file
    "write_failed",  # the database refused the transaction
    "no_such_list",  # args: list_name
    "lists_missing",  # args: lists (names, comma-separated), first
    "csv_unreadable",  # args: line
    "header_unreadable",  # args: line
    "empty_file",
    "no_email_column",  # args: headers
    "encoding_uncertain",  # args: encodings (the candidates, " or ")
    "encoding_odd",  # args: encodings
    "encoding_misread",  # args: encoding, detected ("" when detection reads it the same)
    "two_encodings",  # args: line
    "no_such_encoding",  # args: encoding
    "not_text_encoding",  # args: encoding
    "not_in_encoding",  # args: encoding, line (0 when unknown), given (1 when the officer gave it)
    "nul_without_mark",
    "no_code_page",  # args: line
    "bad_language",  # args: language (the import's language for rows that name none)
    "bad_default_language",  # args: language (the default_language setting)
    "heading_control",  # args: heading (without its control characters), column, line
    "heading_too_long",  # args: heading (its first 40 characters), column, line
)


def rejection_words(code: str, args: dict) -> str:
    """The CLI's words for why a row was left out."""
    return REJECTION_WORDS[code](**args)


def change_words(code: str, args: dict) -> str:
    """The CLI's words for a change made on the way in."""
    return CHANGE_WORDS[code](**args)
