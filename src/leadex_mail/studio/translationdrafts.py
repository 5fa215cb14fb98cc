"""The other editions' drafts as the default edition's changes reach them, without reading their files on every change.

``alignment`` and ``alignvalues`` look at every translation each time the
default edition changes (a list changed, a field typed): its draft, or its
file as it is now, and its plain data. Reading and hashing each file and
converting each tree to plain data on every keystroke is what this module
saves them. Per session and translation it keeps what the last load or save
gave (the draft, its plain data, and the file's ``os.stat`` signature taken
before the draft was checked against the file) and opens the draft again
(``IssueSession.open``: the file read and compared with the draft's stamp)
only when something may have changed:

* a draft with unsaved changes is the draft whatever the file holds (as
  ``open`` keeps it: the file changed on disk is a conflict, marked by the
  studio's watcher and refused at the save);
* a draft without is trusted while its file's signature (inode, size, mtime,
  ctime) is the one taken when it was last found current -- a file changed on
  disk gets a new one (and the watcher's ``disk_changed`` replaces the draft
  anyway, which ends what was kept for the old one);
* the plain data is converted again when the draft changed since
  (``IssueSession.revision``) or was replaced or based on a new tree.

    for other in await translations(session, "sl"):   # ["en"]: each with its draft open
        theirs = plain(session, other)                 # its plain data (do not change it)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadex_mail.errors import ContentError

if TYPE_CHECKING:
    from leadex_mail.studio.document import EditionDoc
    from leadex_mail.studio.workspace import IssueSession

SEEN = "_translation_drafts"  # the session's attribute: {language: Seen}; lives and dies with the session


@dataclass
class Seen:
    """What was last found of one edition's draft: the draft, its file's signature then, its plain data and what it was taken of."""

    doc: EditionDoc
    signature: tuple[int, ...] | None  # ``_signature`` of the file just before the draft was found current; None: not known
    data: Any = None
    data_of: tuple[Any, int] | None = None  # (the draft's tree, its revision) the data was taken of


def per_session(session: IssueSession, name: str) -> dict[str, Any]:
    """The dict the session keeps as its attribute ``name`` (made on first use): it lives and dies with the session."""
    found = getattr(session, name, None)
    if found is None:
        found = {}
        setattr(session, name, found)
    return found


def _seen(session: IssueSession) -> dict[str, Seen]:
    return per_session(session, SEEN)


def _signature(path: Path) -> tuple[int, ...] | None:
    """The file's inode, size, mtime and ctime (ns); None when it cannot be seen."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _current(seen: Seen | None, doc: EditionDoc | None) -> bool:
    """Whether ``open`` would give ``doc`` again, without reading the file: see the module docstring."""
    if seen is None or doc is None or seen.doc is not doc:
        return False
    return doc.changed or (seen.signature is not None and _signature(doc.path) == seen.signature)


async def translations(session: IssueSession, language: str) -> list[str]:
    """The other editions, each with its draft open (a file that does not read is left out: its page explains it)."""
    found = []
    kept = _seen(session)
    for other in session.languages():
        if other == language:
            continue
        if not _current(kept.get(other), session.drafts.get(other)):
            signature = _signature(session.path(other))  # before the check: a change made meanwhile gives a new one
            try:
                await session.open(other)  # its unsaved draft, else its file as it is now
            except ContentError:
                kept.pop(other, None)
                continue
            doc = session.drafts.get(other)
            if doc is None:
                kept.pop(other, None)
                continue
            kept[other] = Seen(doc, None if doc.changed else signature)
        found.append(other)
    return found


def plain(session: IssueSession, language: str) -> Any:
    """The plain data of ``language``'s draft (``EditionDoc.data``), converted again only when the draft changed since; not to be changed."""
    doc = session.drafts[language]
    seen = _seen(session).get(language)
    if seen is None or seen.doc is not doc:
        seen = Seen(doc, None)  # not known to be current with its file: ``translations`` checks it again
        _seen(session)[language] = seen
    revision = session.revision(language)
    if seen.data_of is None or seen.data_of[0] is not doc.root or seen.data_of[1] != revision:
        seen.data, seen.data_of = doc.data(), (doc.root, revision)
    return seen.data
