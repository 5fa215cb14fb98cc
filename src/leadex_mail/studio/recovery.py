"""Unsaved edits kept when the studio stops, offered back when the edition is opened again.

    keep(settings, "local:maja", "2026-09-leadex-02", "sl", text, base_stamp, now)
    same_as_saved(path, text)                                         # True: nothing unsaved, nothing kept
    kept = find(settings, "local:maja", "2026-09-leadex-02", "sl")   # a Kept, or None
    drop(settings, "local:maja", "2026-09-leadex-02", "sl")

An officer's changes live in the studio's memory until they press Save
(the files stay the truth: nothing is written to ``newsletters/`` behind
their back). Each draft with unsaved changes of the officer's -- changed by
them, not only by the studio keeping a translation in step with the default
edition (``IssueSession.own_changes``), and not the same as the saved file --
is kept here as it changes
(write-behind, ``IssueSession``), and again when the studio stops -- Ctrl-C
in its terminal, the computer shutting down; a kill -9 or a crash loses at
most the last moment -- as the file it would save, with the stamp of the
file it was opened from; when the studio starts again the editor
then offers it back ("Restore" / "Discard"). Restoring makes it the draft
again, unsaved: saving it is still the officer's choice, and when the file
changed on disk meanwhile the usual "changed on disk" refusal applies.

Kept copies live beside ``newsletters/`` in ``.leadex-studio/unsaved/``
(one folder per officer, named by a hash of the account, 0700; one JSON file
per edition, 0600), out of the issue folders so that ``check``, ``send``,
git and the studio's watcher never see them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.files import replace_atomic
from leadex_mail.private_files import private_dir


@dataclass(frozen=True)
class Kept:
    """One edition's unsaved text, kept when the studio stopped."""

    owner: str
    slug: str
    language: str
    text: str  # the file as it would have been saved
    base_stamp: str  # the stamp of the file the changes were made to (document.file_stamp)
    kept_at: datetime
    instance: str = ""  # the studio process that kept it while running ("" : kept at a stop); its own copies are not offered


def root(settings: Settings) -> Path:
    """``<newsletters_dir>/../.leadex-studio/unsaved``."""
    return settings.newsletters_dir.resolve().parent / ".leadex-studio" / "unsaved"


def _file(settings: Settings, owner: str, slug: str, language: str) -> Path:
    who = hashlib.sha256(owner.encode("utf-8")).hexdigest()[:16]
    return root(settings) / who / slug / f"{language}.json"


def keep(settings: Settings, owner: str, slug: str, language: str, text: str, base_stamp: str, now: datetime, *, instance: str = "") -> Path:
    """Write the kept copy (atomically, readable by this user only); its path. ``OSError`` as writing raises it.

    ``instance``: the running studio keeping a draft as it changes (a13d
    minor 5: a kill -9 loses at most the last moment); it is offered back
    only by another studio process, the one started after.
    """
    path = _file(settings, owner, slug, language)
    private_dir(path.parent)
    data = {"owner": owner, "slug": slug, "language": language, "base_stamp": base_stamp, "kept_at": now.isoformat(), "text": text, "instance": instance}
    replace_atomic(path, json.dumps(data, ensure_ascii=False), mode=0o600, sync=True)  # an OSError names the kept copy, not its temporary file
    return path


def same_as_saved(path: Path, text: str) -> bool:
    """Whether ``text`` says what the edition's file ``path`` holds now: nothing unsaved to keep (a15 M1: compare with the saved file).

    The same bytes, or the same data (a value typed and typed back may be
    written back quoted otherwise); a file that cannot be read or parsed is
    never the same.
    """
    import yaml

    try:
        saved = path.read_bytes()
        if saved == text.encode("utf-8"):
            return True
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return bool(yaml.load(saved, Loader=loader) == yaml.load(text, Loader=loader))  # noqa: S506 (a safe loader)
    except (OSError, yaml.YAMLError, ValueError):
        return False


def find(settings: Settings, owner: str, slug: str, language: str) -> Kept | None:
    """The kept copy of ``owner``'s edition, or None (none, or unreadable: then it is not offered)."""
    path = _file(settings, owner, slug, language)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["owner"] != owner or data["slug"] != slug or data["language"] != language:
            return None  # a hash collision of two account names: not theirs to see
        kept_at = datetime.fromisoformat(data["kept_at"])
        return Kept(owner, slug, language, str(data["text"]), str(data["base_stamp"]), kept_at, str(data.get("instance") or ""))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def offered(settings: Settings, owner: str, slug: str, language: str, instance: str) -> Kept | None:
    """The kept copy the editor offers back now to ``owner``, or None: the one place that decides whether the offer stands.

    Offered while a copy kept by another studio process (``instance``: this
    one's) exists -- a save drops it (``IssueSession.save``), so the offer
    stands only while the kept draft is newer than the saved file, in every
    tab: the page as served, the event stream's ``hello`` when a tab
    (re)connects, and the decision itself. This studio's own copies are of
    drafts it still has: never offered.
    """
    kept = find(settings, owner, slug, language)
    return kept if kept is not None and kept.instance != instance else None


def drop(settings: Settings, owner: str, slug: str, language: str) -> None:
    """Forget the kept copy (restored, discarded or saved); nothing when there is none."""
    try:
        _file(settings, owner, slug, language).unlink()
    except FileNotFoundError:
        pass
