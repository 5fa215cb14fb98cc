"""The studio speaks the officer's language everywhere, and names only sections its docs have (a13c #6, #10).

- Every label, help line, item name, section name and choice the form can
  show comes from each catalog itself (sl and en): a field the format gains
  fails here until both name it, instead of showing its schema's English
  help on a Slovenian page (a13c #6: "Path relative to the issue folder ...").
- Every address Starlette answers itself (no route, no static file, a
  method a route does not take) is the studio's page, with a title, the
  page language and a way back, never a plain "Not Found".
- Every README or docs section a studio message sends the reader to exists
  (a13c #10: "the README's "Serving the studio to others"" had no such section).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadex_mail.studio.formschema import Spec, edition_form
from leadex_mail.studio.i18n import CATALOG_DIR, languages
from studio.studio_helpers import ISSUE, REPO, RunningStudio, copy_newsletters, serve_studio, studio_settings


def catalog(lang: str) -> dict[str, dict]:
    return tomllib.loads((CATALOG_DIR / f"{lang}.toml").read_text(encoding="utf-8"))


def every_spec(spec: Spec) -> Iterator[Spec]:
    yield spec
    for child in spec.fields:
        yield from every_spec(child)
    if spec.item is not None:
        yield from every_spec(spec.item)
    for variant in spec.variants.values():
        yield from every_spec(variant)


def own(table: dict[str, str], spec: Spec) -> str | None:
    """What one catalog's table says for ``spec`` (``Type.field`` first, as ``Words`` looks), without falling back to English."""
    return table.get(f"{spec.owner}.{spec.name}") or table.get(spec.name)


def test_the_studio_speaks_at_least_slovenian_and_english() -> None:
    assert {"sl", "en"} <= set(languages())


@pytest.mark.parametrize("lang", languages())
def test_every_label_and_help_line_of_the_form_is_in_each_catalog(lang: str) -> None:
    tables = catalog(lang)
    everyone = [catalog(code) for code in languages()]
    missing: list[str] = []
    for spec in every_spec(edition_form()):
        where = f"{spec.owner or spec.type_name}.{spec.name}"
        if spec.name and spec.tag is None:
            if not own(tables["fields"], spec):
                missing.append(f"[fields] {where}")
            # A field with a help line anywhere (the schema's description, or another catalog's) has one here.
            shown_help = spec.kind not in ("object", "list", "sections") and spec.description  # a group shows only its legend
            if (shown_help or any(own(c["help"], spec) for c in everyone)) and not own(tables["help"], spec):
                missing.append(f"[help] {where}: the page would show {spec.description[:50]!r}")
        if spec.kind == "list" and spec.item is not None and spec.item.type_name not in tables["items"]:
            missing.append(f"[items] {spec.item.type_name}")
        for tag in spec.variants:
            if tag not in tables["sections"]:
                missing.append(f"[sections] {tag}")
        for value in spec.choices:
            if f"{spec.name}.{value}" not in tables["choices"]:
                missing.append(f"[choices] {spec.name}.{value}")
    assert not missing, f"{lang}.toml does not name: {missing}"


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStudio]:
    root = tmp_path_factory.mktemp("words")
    copy_newsletters(root, ISSUE)
    with serve_studio(studio_settings(root), root=root) as running:
        yield running


def test_the_slovenian_editor_shows_no_english_help_line(studio: RunningStudio) -> None:
    """The reported page: pictures, a link on a picture, interviews -- all in Slovenian."""
    with studio.client() as client:
        page = client.get(f"/issues/{ISSUE}/sl", headers={"accept-language": "sl"}).text
    helps = re.findall(r'<p class="help" id="[^"]*">([^<]*)</p>', page)
    assert len(helps) > 20
    english = {s.description for s in every_spec(edition_form()) if s.description}
    shown = [h for h in helps if h.replace("&#39;", "'").replace("&#34;", '"') in english]
    assert not shown, f"English help on the Slovenian page: {shown}"
    sl = catalog("sl")["help"]
    for key in ("src", "StudyVisitSection.interviews_heading", "Interview.person", "Interview.role", "Interview.organisation"):
        assert sl[key] in page.replace("&#34;", '"'), key


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nonexistent", 404),
        ("GET", "/issues/nothing/sl/and/more", 404),
        ("GET", "/static/nothing.css", 404),
        ("GET", "/logout", 405),  # a form's address, opened from a bookmark
        ("DELETE", "/", 405),
    ],
)
def test_every_address_starlette_answers_itself_is_a_studio_page(studio: RunningStudio, method: str, path: str, status: int) -> None:
    with studio.client() as client:
        answer = client.request(method, path, headers={"accept-language": "sl"})
        wanted = client.request(method, path, headers={"accept-language": "en", "accept": "application/json"})
    assert answer.status_code == status and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert '<html lang="sl">' in page
    assert "<title>Ni najdeno – LeadEx studio</title>" in page
    assert '<a href="/">Nazaj na številke</a>' in page  # a way back
    if status == 405:
        assert answer.headers["allow"]
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert "set-cookie" not in answer.headers  # no session started for an address nobody has
    assert wanted.status_code == status and wanted.json() == {"error": "There is no such issue or page."}


# A section named in a message: README's "X", section "X", "X" section, razdelek »X«.
_QUOTE = r"[\"“»]([^\"”«]+)[\"”«]"
_SECTION = re.compile(rf"(?:(?:README|\.md)'s|\bsection|\brazdelek)\s+{_QUOTE}|{_QUOTE}\s+(?:section|razdelek)\b")
_DOC = re.compile(r"\b(README(?:\.md)?|docs/[\w./-]+\.md)")


def messages() -> Iterator[tuple[str, str]]:
    """(where, text) of every message the studio can show: its catalogs, its code and the studio command's."""
    for lang in languages():
        for table, entries in catalog(lang).items():
            for key, value in entries.items():
                for text in value.values() if isinstance(value, dict) else [value]:
                    yield f"{lang}.toml [{table}] {key}", text
    sources = [*sorted((REPO / "src/leadex_mail/studio").glob("*.py")), REPO / "src/leadex_mail/cli/studio.py"]
    for source in sources:
        yield str(source.relative_to(REPO)), source.read_text(encoding="utf-8")


def headings(doc: str) -> set[str]:
    text = (REPO / ("README.md" if doc.startswith("README") else doc)).read_text(encoding="utf-8")
    return {line.lstrip("#").strip() for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def test_every_readme_or_docs_section_a_studio_message_names_exists() -> None:
    named: list[tuple[str, str, str]] = []
    for where, text in messages():
        docs = _DOC.findall(text)
        for doc in docs:
            assert (REPO / ("README.md" if doc.startswith("README") else doc)).is_file(), f"{where} names {doc}, which does not exist"
        if len(set(docs)) == 1:  # a section of the one document the message names
            named += [(where, docs[0], a or b) for a, b in _SECTION.findall(text)]
    # The HTTPS page named the README's "Serving the studio to others" until a14: an officer's page names no
    # document now (test_studio_officer_words checks every catalog string); a message that names one names what it has.
    assert _SECTION.findall('the README\'s "Serving the studio to others"'), "the pattern still finds a named section"
    missing = [(where, doc, name) for where, doc, name in named if name not in headings(doc)]
    assert not missing, f"messages name sections their documents do not have: {missing}"
