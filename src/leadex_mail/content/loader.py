"""Load an issue folder (and the shared brand file) into a validated ``Issue``.

    issue = load_issue("2026-04-leadex-01", settings)   # or a folder path
    issue.edition("sl").sections[0]

Every problem in every file is collected first and raised together as one
``ContentError`` whose ``problems`` each name file, line, column and field
path. Where each field stood is kept beside the issue (``issue_locations``)
so that lint warnings can point at lines too.

Image paths: every local ``src`` in a loaded ``Issue`` is relative to
``issue.folder`` (brand images are rebased from the brand file's folder),
so ``image_path(issue, image)`` is simply the folder joined with ``src``.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from leadex_mail.config import Settings
from leadex_mail.content.checks import image_problems, is_remote, text_problems
from leadex_mail.content.languages import LANGUAGE_RE, NotALanguage, edition_language, file_language_problem, is_edition_language  # noqa: F401 -- LANGUAGE_RE: read from here by the studio
from leadex_mail.content.model import Brand, Edition, Image, Issue
from leadex_mail.content.problems import translate
from leadex_mail.content.yamlsource import SourceMap, YamlSyntaxProblem, load_yaml
from leadex_mail.errors import ContentError, IssueNotFound, Problem

BRAND_FILE = "brand.yaml"
BRAND_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$")  # a file name beside brand.yaml, no folders
EDITION_SUFFIXES = (".yaml", ".yml")
M = TypeVar("M", bound=BaseModel)


@dataclass
class IssueLocations:
    """Where the fields of a loaded issue stand: one ``SourceMap`` per edition, one for the brand."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    editions: dict[str, SourceMap] = field(default_factory=dict)
    brand: SourceMap | None = None
    brand_file: Path | None = None

    def edition(self, language: str) -> SourceMap:
        """The source map of one edition (an empty one pointing at the file when unknown)."""
        return self.editions.get(language) or SourceMap(str(self.folder / f"{language}.yaml"))


# Kept beside each Issue (frozen pydantic models take no extra attributes). Only read, set and
# popped by key, never iterated: its finalizer runs in whichever thread collects the issue.
_LOCATIONS: dict[int, IssueLocations] = {}


def load_issue(ref: str | Path, settings: Settings) -> Issue:
    """Load and validate the issue ``ref``: a folder path, or a slug under ``settings.newsletters_dir``.

    Raises ``IssueNotFound`` when there is no such issue, ``ContentError``
    with every problem of every file (brand included) when it is invalid.
    """
    folder = _find_folder(ref, settings)
    files = _edition_files(folder)
    edition_problems: list[Problem] = []
    locations = IssueLocations(folder)
    editions: dict[str, Edition] = {}
    named: dict[str, Any] = {}  # language -> the `brand:` its file names (raw: even a file that fails validation)
    for language, path in files.items():
        edition, smap, data = _load_model(path, Edition, folder, edition_problems)
        locations.files[language] = path
        locations.editions[language] = smap
        if isinstance(data, dict) and isinstance(data.get("brand"), str):
            named[language] = data["brand"]
        if edition is not None:
            editions[language] = edition
    problems: list[Problem] = []  # the brand's problems first, as before editions could name one
    brand_path = _issue_brand_file(settings, folder, named, locations, edition_problems)
    brand, brand_map = _load_brand_file(brand_path, problems)
    locations.brand, locations.brand_file = brand_map, brand_path
    problems.extend(edition_problems)
    if problems:
        raise ContentError(_summary(folder.name, problems), _ordered(problems))
    default = settings.default_language if settings.default_language in editions else next(iter(editions))
    issue = Issue(slug=folder.name, folder=str(folder), brand=_rebase_brand(brand, brand_path, folder), editions=editions, default_language=default)
    _LOCATIONS[id(issue)] = locations
    weakref.finalize(issue, _LOCATIONS.pop, id(issue), None)
    return issue


def load_brand(settings: Settings) -> Brand:
    """The brand shared by every issue, from ``<newsletters_dir>/brand.yaml`` (defaults when absent).

    Image ``src`` values stay as written: relative to the brand file's folder.
    """
    problems: list[Problem] = []
    brand, _ = _load_brand_file(settings.newsletters_dir / BRAND_FILE, problems)  # the default brand, never a named one
    if problems:
        raise ContentError(_summary(BRAND_FILE, problems), _ordered(problems))
    return brand


def default_brand_located(settings: Settings) -> tuple[Brand, SourceMap]:
    """The default brand (the one ``serve`` uses: sender, privacy notice) and where its fields stand.

    ``ContentError`` when the file is invalid; defaults (and an empty map) when there is none.
    """
    path = settings.newsletters_dir / BRAND_FILE
    problems: list[Problem] = []
    brand, smap = _load_brand_file(path, problems)
    if problems:
        raise ContentError(_summary(BRAND_FILE, problems), _ordered(problems))
    return brand, smap or SourceMap(str(path))


def issue_edition_path(issue: Issue, lang: str) -> Path:
    """The YAML file the ``lang`` edition of ``issue`` was loaded from."""
    found = _LOCATIONS.get(id(issue))
    if found and lang in found.files:
        return found.files[lang]
    return Path(issue.folder) / f"{lang}.yaml"


def issue_locations(issue: Issue) -> IssueLocations:
    """Where every field of ``issue`` stands in its files (for located lint warnings)."""
    found = _LOCATIONS.get(id(issue))
    if found is None:  # an Issue built by hand, not by load_issue
        folder = Path(issue.folder)
        found = IssueLocations(folder, files={lang: folder / f"{lang}.yaml" for lang in issue.editions})
    return found


def image_path(issue: Issue, image: Image) -> Path | None:
    """The file of a local image of ``issue`` (brand images included); None for an https:// image."""
    if is_remote(image.src):
        return None
    return Path(os.path.normpath(Path(issue.folder) / image.src))


def brand_file(settings: Settings, folder: Path | None = None) -> Path:
    """The brand file for an issue: beside the issue folder if there is one, else in ``newsletters_dir``."""
    if folder is not None and (folder.parent / BRAND_FILE).is_file():
        return folder.parent / BRAND_FILE
    return settings.newsletters_dir / BRAND_FILE


def issue_slugs(settings: Settings) -> list[str]:
    """The slugs of the issue folders under ``newsletters_dir`` (folders holding an edition file), sorted."""
    root = settings.newsletters_dir
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _edition_files_or_empty(p))


def edition_languages(settings: Settings) -> set[str]:
    """The languages any issue under ``newsletters_dir`` has an edition file for (no file is parsed)."""
    return {lang for slug in issue_slugs(settings) for lang in _edition_files_or_empty(settings.newsletters_dir / slug) if is_edition_language(lang)}


def _find_folder(ref: str | Path, settings: Settings) -> Path:
    path = Path(ref)
    if path.is_dir():
        return path
    candidate = settings.newsletters_dir / str(ref)
    if candidate.is_dir():
        return candidate
    known = issue_slugs(settings)
    hint = f"issues in {settings.newsletters_dir}: {', '.join(known)}" if known else "create one with `leadex-mail new SLUG`"
    raise IssueNotFound(f"no issue {str(ref)!r}: neither a folder nor a slug under {settings.newsletters_dir}", hint=hint)


def edition_files(folder: Path) -> dict[str, Path]:
    """``{file stem: path}`` of the edition files in ``folder`` (none parsed); empty when there are none or no folder."""
    return _edition_files_or_empty(folder) if folder.is_dir() else {}


def _edition_files_or_empty(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix in EDITION_SUFFIXES and not p.name.startswith((".", "_"))}


def _edition_files(folder: Path) -> dict[str, Path]:
    files = _edition_files_or_empty(folder)
    if not files:
        raise IssueNotFound(f"the issue folder {folder} has no edition file", hint="add one YAML file per language, e.g. sl.yaml (see `leadex-mail new`)")
    named = {path: file_language_problem(lang) for lang, path in files.items()}
    bad = [Problem(str(path), None, None, "", what, hint, code="file.name") for path, found in named.items() if found for what, hint in [found]]
    if bad:
        raise ContentError(_summary(folder.name, bad), bad)
    return files


def _issue_brand_file(settings: Settings, folder: Path, named: dict[str, Any], locations: IssueLocations, problems: list[Problem]) -> Path:
    """The brand file the editions name (``brand: brand-haka.yaml``), else the shared ``brand.yaml``.

    A named file is looked for where ``brand.yaml`` is (beside the issue
    folder, then in ``newsletters_dir``). Editions that name different
    brands, or a file that is not there, are located problems.
    """
    default = brand_file(settings, folder)
    if not named:
        return default
    # The default edition's choice is the reference the others are compared with.
    first_language = settings.default_language if settings.default_language in named else next(iter(named))
    name = named[first_language]
    for language, other in named.items():
        if other != name:
            hint = f"every edition of one issue uses the same brand: write `brand: {name}` (or change the {first_language} edition)"
            problems.append(locations.edition(language).problem(("brand",), f"the {language} edition names the brand {other!r}, the {first_language} edition {name!r}", hint, code="brand.differs", args={"other_language": first_language}))
    unnamed = [language for language in locations.files if language not in named]
    for language in unnamed:
        hint = f"add `brand: {name}` to it too, or remove it from the {first_language} edition"
        problems.append(locations.edition(language).problem((), f"the {first_language} edition names the brand {name!r}, the {language} edition none", hint, code="brand.unnamed", args={"other_language": first_language}))
    if not isinstance(name, str) or not BRAND_NAME_RE.match(name):
        return default  # never opened: the model's pattern reports the value (a path could read any file on disk)
    candidates = [folder.parent / name, settings.newsletters_dir / name]
    found = next((path for path in candidates if path.is_file()), None)
    if found is not None and found.resolve().parent != found.parent.resolve():
        hint = f"put the brand file itself (not a link to a file elsewhere) beside brand.yaml in {found.parent}"
        problems.append(locations.edition(first_language).problem(("brand",), f"the brand file {name!r} is a link to a file outside {found.parent}", hint, code="brand.outside"))
        return default
    if found is None:
        others = sorted(p.name for p in default.parent.glob("*.y*ml") if p.is_file())
        hint = f"brand files are kept beside brand.yaml in {default.parent}" + (f": {', '.join(others)}" if others else "")
        problems.append(locations.edition(first_language).problem(("brand",), f"the brand file {name!r} does not exist", hint, code="brand.missing"))
    return found or default


def _load_brand_file(path: Path, problems: list[Problem]) -> tuple[Brand, SourceMap | None]:
    if not path.is_file():
        return Brand(), None
    brand, smap, _ = _load_model(path, Brand, path.parent, problems)
    return (brand or Brand()), smap


def _load_model(path: Path, model: type[M], base: Path, problems: list[Problem]) -> tuple[M | None, SourceMap, Any]:
    """Parse, validate and check one file; append its problems; the model when it validated, and the raw data."""
    display = str(path)
    try:
        data, smap = load_yaml(path, display)
    except YamlSyntaxProblem as exc:
        problems.append(exc.problem)
        return None, SourceMap(display), None
    if not isinstance(data, dict):
        what = "empty" if data is None else "not a set of fields (key: value)"
        problems.append(Problem(display, 1, 1, "", f"the file is {what}", "start with `language:`, `title:`, `subject:` ... (see `leadex-mail new`)" if model is Edition else None, code="file.not_fields"))
        return None, smap, data
    value, found = _validated(data, model, smap)
    problems.extend(found)
    problems.extend(image_problems(data, model, smap, base))
    if model is Edition and _as_code(data.get("language")) not in (path.stem, None):
        problems.append(_language_problem(path, data.get("language"), smap))
    return value, smap, data


# What validating and the text checks made of each parsed file, by the parsed data's identity:
# ``load_yaml`` gives the same (never modified) object for the same text, so a file unchanged
# since it was last loaded -- the other editions and the brand, while the studio loads the issue
# again on every key -- is not validated again, and its frozen model is the same object (render's
# per-edition caches then know it). Pictures are checked on every load: they change on disk alone.
_VALIDATED: OrderedDict[tuple[type[BaseModel], int], tuple[Any, Any, tuple[Problem, ...]]] = OrderedDict()
_VALIDATED_KEPT = 64
_VALIDATED_LOCK = threading.Lock()


def _validated(data: dict[str, Any], model: type[M], smap: SourceMap) -> tuple[M | None, tuple[Problem, ...]]:
    """``model`` validated from ``data`` (None when invalid) and the problems of validation and ``text_problems``."""
    key = (model, id(data))
    with _VALIDATED_LOCK:
        kept = _VALIDATED.get(key)
        if kept is not None and kept[0] is data:  # the very object (kept alive here, so its id is its own)
            _VALIDATED.move_to_end(key)
            return kept[1], kept[2]
    value = None
    problems: list[Problem] = []
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        problems.extend(translate(exc, data, smap, model))
    problems.extend(text_problems(data, model, smap))
    with _VALIDATED_LOCK:
        _VALIDATED[key] = (data, value, tuple(problems))
        while len(_VALIDATED) > _VALIDATED_KEPT:
            _VALIDATED.popitem(last=False)
    return value, tuple(problems)


def _as_code(said: Any) -> Any:
    """An edition's ``language:`` as its code (``EN`` is ``en``); None when it is no language (the model says so)."""
    try:
        return edition_language(said) if isinstance(said, str) else said
    except NotALanguage:
        return None


def _language_problem(path: Path, said: Any, smap: SourceMap) -> Problem:
    hint = f"make them agree: `language: {path.stem}`" + (f", or rename the file to {said}.yaml" if isinstance(said, str) and said else "")
    return smap.problem(("language",), f"the file is {path.name} but its language is {said!r}", hint, code="edition.language_differs", args={"file_language": path.stem})


def _ordered(problems: list[Problem]) -> list[Problem]:
    """File by file (in the order read), each file top to bottom."""
    order = {name: index for index, name in reversed(list(enumerate(p.file for p in problems)))}
    return sorted(problems, key=lambda p: (order[p.file], p.line or 0, p.column or 0))


def _rebase_brand(brand: Brand, brand_path: Path, folder: Path) -> Brand:
    """Brand image paths made relative to the issue folder (see the module docstring)."""
    update: dict[str, Any] = {}
    for name in ("logo", "funding_logo"):
        image = getattr(brand, name)
        if image is not None and not is_remote(image.src):
            rel = os.path.relpath(brand_path.parent / image.src, folder)
            update[name] = image.model_copy(update={"src": Path(rel).as_posix()})
    return brand.model_copy(update=update) if update else brand


def _summary(name: str, problems: list[Problem]) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    return f"{name}: {errors} error{'s' if errors != 1 else ''} in the issue files"
