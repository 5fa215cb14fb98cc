"""Which sections of a translation may be out of date: the default edition changed since it was saved.

When a translation (``en.yaml`` of an issue whose default edition is
``sl.yaml``) is saved from the studio, or started with ``new --lang``, the
default edition's sections are fingerprinted as they were on disk then and
kept beside the issue in ``.translations.json`` (a hidden file the loader
ignores; deleting it only forgets the marks). A section of the translation
"needs an update" when the default edition's section at the same place has
another fingerprint now, or another type.

    record_translation(folder, "en", "sl")
    stale_sections(folder, "en", "sl")   # {2, 5}: sections changed in sl since

Fingerprints are sha256 of a section's canonical JSON, so re-indenting or
re-quoting the YAML changes nothing; any changed word, picture or link does.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from leadex_mail.content.yamlsource import YamlSyntaxProblem, load_yaml
from leadex_mail.files import replace_atomic

RECORD_FILE = ".translations.json"


def fingerprint(section: Any) -> str:
    """The fingerprint of one section (plain data): 16 hex digits of the sha256 of its canonical JSON."""
    return hashlib.sha256(json.dumps(section, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def fingerprints(data: Any) -> list[str]:
    """One fingerprint per section of an edition's plain data (its sections list)."""
    sections = data.get("sections") if isinstance(data, dict) else None
    if not isinstance(sections, list):
        return []
    return [fingerprint(s) for s in sections]


def _types(data: Any) -> list[str | None]:
    sections = data.get("sections") if isinstance(data, dict) else None
    return [s.get("type") if isinstance(s, dict) else None for s in sections] if isinstance(sections, list) else []


def read_edition(folder: Path, language: str) -> Any:
    """The plain data of ``language``'s file in ``folder`` as on disk; None when there is none or it does not read."""
    return _read(folder, language)


def _read(folder: Path, language: str) -> Any:
    for suffix in (".yaml", ".yml"):
        path = folder / f"{language}{suffix}"
        if path.is_file():
            try:
                return load_yaml(path, str(path))[0]
            except YamlSyntaxProblem:
                return None
    return None


def _records(folder: Path) -> dict[str, Any]:
    try:
        found = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def record_translation(folder: Path, language: str, default: str) -> None:
    """Remember the default edition's sections as they are on disk now, as what ``language`` translates."""
    if language == default:
        return
    source = _read(folder, default)
    if source is None:
        return
    _write(folder, language, {"from": default, "sections": fingerprints(source), "types": _types(source)})


def record_saved(folder: Path, language: str, default: str, before: Any) -> None:
    """Record what ``language`` translates after it was saved, ``before`` being its plain data as last saved (a13d MAJOR 3).

    Only the sections of the translation changed by this save (or all, when
    its sections were added, removed or moved, or nothing was recorded
    before) take the default edition's sections as they are on disk now; a
    section left as it was keeps what it translated, so its "needs update"
    mark stays until that section itself is translated (or confirmed,
    ``confirm_section``). Saving the translation for another section never
    clears it.
    """
    if language == default:
        return
    source = _read(folder, default)
    record = _records(folder).get(language)
    after = _read(folder, language)
    if source is None:
        return
    now_prints, now_types = fingerprints(source), _types(source)
    old_sections = before.get("sections") if isinstance(before, dict) else None
    new_sections = after.get("sections") if isinstance(after, dict) else None
    if (
        not isinstance(record, dict)
        or record.get("from") != default
        or not isinstance(old_sections, list)
        or not isinstance(new_sections, list)
        or len(old_sections) != len(new_sections)
        or [s.get("type") if isinstance(s, dict) else None for s in old_sections] != _types(after)
    ):
        _write(folder, language, {"from": default, "sections": now_prints, "types": now_types})
        return
    then_prints, then_types = list(record.get("sections") or []), list(record.get("types") or [])
    prints, types = [], []
    for place, section in enumerate(new_sections):
        kept = place < len(then_prints) and fingerprint(section) == fingerprint(old_sections[place])
        prints.append(str(then_prints[place]) if kept else (now_prints[place] if place < len(now_prints) else ""))
        types.append((then_types[place] if place < len(then_types) else None) if kept else (now_types[place] if place < len(now_types) else None))
    _write(folder, language, {"from": default, "sections": prints, "types": types})


def confirm_section(folder: Path, language: str, default: str, place: int) -> bool:
    """The translator says section ``place`` of ``language`` is still right: it translates the default's section as on disk now.

    False (nothing written) when nothing is recorded, or the default
    edition has no section there.
    """
    record = _records(folder).get(language)
    source = _read(folder, default)
    if not isinstance(record, dict) or record.get("from") != default or source is None:
        return False
    now_prints, now_types = fingerprints(source), _types(source)
    if not 0 <= place < len(now_prints):
        return False
    prints, types = list(record.get("sections") or []), list(record.get("types") or [])
    while len(prints) <= place:
        prints.append("")
    while len(types) <= place:
        types.append(None)
    prints[place], types[place] = now_prints[place], now_types[place]
    _write(folder, language, {**record, "sections": prints, "types": types})
    return True


def translation_record(folder: Path, language: str) -> dict[str, Any] | None:
    """What ``language`` was last recorded to translate (``{"from", "sections", "types"}``); None when not tracked."""
    record = _records(folder).get(language)
    return record if isinstance(record, dict) else None


def reorder_record(folder: Path, language: str, record: dict[str, Any], order: list[int | None]) -> None:
    """Write ``record`` (an earlier ``translation_record``) with its sections in ``order``.

    ``order[i]`` is the place section ``i`` had when ``record`` was taken, None
    for a section added since (it gets no fingerprint: it "needs update").
    Sections moved, added or removed in the default edition and in the
    translation alike keep what they had: a section changed before the move
    still needs its update after it.
    """
    def pick(values: list[Any], missing: Any) -> list[Any]:
        return [values[i] if i is not None and 0 <= i < len(values) else missing for i in order]

    _write(folder, language, {**record, "sections": pick(list(record.get("sections") or []), ""), "types": pick(list(record.get("types") or []), None)})


def write_record(folder: Path, language: str, default: str, sections: list[str], types: list[str | None]) -> None:
    """Record that ``language`` translates, section by section, the sections of ``default`` fingerprinted ``sections``.

    For the studio, whose translations follow the default edition's moves
    before they are saved: one fingerprint per section of the translation as
    it is written now ("" for a section whose original is not known: it
    "needs update"), and each one's type.
    """
    _write(folder, language, {"from": default, "sections": list(sections), "types": list(types)})


def _write(folder: Path, language: str, record: dict[str, Any]) -> None:
    records = _records(folder)
    records[language] = record
    text = json.dumps(records, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    replace_atomic(folder / RECORD_FILE, text)  # an OSError names the record, never its temporary file


def stale_sections(folder: Path, language: str, default: str) -> set[int] | None:
    """Indexes of the sections of ``language`` whose original in ``default`` changed since; None when not tracked."""
    record = _records(folder).get(language)
    if not isinstance(record, dict) or record.get("from") != default:
        return None
    source = _read(folder, default)
    if source is None:
        return None
    now, then = fingerprints(source), record.get("sections") or []
    return {i for i, print_ in enumerate(now) if i >= len(then) or then[i] != print_}


def moved_sections(folder: Path, language: str, default: str) -> dict[int, int]:
    """``{place now: place then}`` of the default edition's sections moved since ``language`` was last saved.

    A section is moved when its fingerprint now is the one another place had
    then, and not its own place's: side by side would put it beside the
    translation of another section (a13c F7), so the page says so instead.
    Empty when nothing moved or nothing is tracked.
    """
    record = _records(folder).get(language)
    source = _read(folder, default) if isinstance(record, dict) and record.get("from") == default else None
    if source is None:
        return {}
    now, then = fingerprints(source), list(record.get("sections") or [])
    places = {print_: i for i, print_ in reversed(list(enumerate(then)))}
    return {i: places[p] for i, p in enumerate(now) if p in places and places[p] != i and (i >= len(then) or then[i] != p)}
