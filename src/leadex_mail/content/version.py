"""The version of what an issue is made of: a digest of the files, so a check's verdict can be kept until one changes.

``folder_version`` is an issue folder's (the studio's review keeps its checks
for it); ``inputs_version`` adds what the issue shares with every other issue
under ``newsletters_dir`` -- the brand files, their pictures, the schemas --
which the readiness check reads too. The worker re-checks a held scheduled
send only when that changes (``campaign.scheduler``). Other issues' folders
(those with edition files) are left out: editing issue No. 3 says nothing
about No. 2.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from leadex_mail.content.loader import edition_files


def _add(digest: hashlib._Hash, path: Path, root: Path) -> None:
    name = path.relative_to(root).as_posix().encode()
    digest.update(len(name).to_bytes(4, "big") + name)
    data = path.read_bytes()
    digest.update(len(data).to_bytes(8, "big") + data)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def folder_version(folder: Path) -> str:
    """sha256 (hex) over every file of ``folder`` (relative path and bytes); ``OSError`` when one cannot be read."""
    digest = hashlib.sha256()
    for path in _files(folder):
        _add(digest, path, folder)
    return digest.hexdigest()


def inputs_version(newsletters_dir: Path, slug: str) -> str:
    """sha256 (hex) over the issue ``slug``'s folder and everything beside it that is no other issue's.

    That is every file of ``newsletters_dir/slug``, every file directly in
    ``newsletters_dir`` (``brand.yaml``, other brands, schemas) and every file
    of its folders that hold no edition (``brand-images/``). ``OSError``
    when one cannot be read (the caller checks then, as if it changed).
    """
    digest = hashlib.sha256()
    own = newsletters_dir / slug
    for path in _files(own) if own.is_dir() else []:
        _add(digest, path, newsletters_dir)
    digest.update(b"\0shared\0")
    for path in sorted(newsletters_dir.iterdir()) if newsletters_dir.is_dir() else []:
        if path.is_file():
            _add(digest, path, newsletters_dir)
        elif path.is_dir() and path != own and not edition_files(path):
            for inner in _files(path):
                _add(digest, inner, newsletters_dir)
    return digest.hexdigest()
