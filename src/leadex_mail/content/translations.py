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
import os
import tempfile
from pathlib import Path
from typing import Any

from leadex_mail.content.yamlsource import YamlSyntaxProblem, load_yaml

RECORD_FILE = ".translations.json"


def fingerprints(data: Any) -> list[str]:
    """One fingerprint per section of an edition's plain data (its sections list)."""
    sections = data.get("sections") if isinstance(data, dict) else None
    if not isinstance(sections, list):
        return []
    return [hashlib.sha256(json.dumps(s, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:16] for s in sections]


def _types(data: Any) -> list[str | None]:
    sections = data.get("sections") if isinstance(data, dict) else None
    return [s.get("type") if isinstance(s, dict) else None for s in sections] if isinstance(sections, list) else []


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
    records = _records(folder)
    records[language] = {"from": default, "sections": fingerprints(source), "types": _types(source)}
    text = json.dumps(records, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f"{RECORD_FILE}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, folder / RECORD_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
