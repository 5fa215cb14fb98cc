"""Every finding the checker can report has a code, and the studio says each code in the officer's words.

Read from the source, so a new kind of finding cannot slip through: each
``Problem`` made names a code (a13 finding 8: the studio showed the core's
words -- YAML keys, file:line, ``leadex-mail new`` -- for every finding it had
no words of its own for). Then each code, placed by the studio, says what and
what to do in Slovenian and English, names its place as the form does, links
to the field when the officer can mend it, and says whom to ask when only
the operator can.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from leadex_mail.errors import Problem
from leadex_mail.problem_codes import CODES, DEEP_CHECKS, EDITION, FILE, OPERATOR
from leadex_mail.studio.findings import place
from leadex_mail.studio.i18n import CATALOG_DIR, words

SRC = Path(__file__).resolve().parents[1] / "src" / "leadex_mail"
CODE_LIKE = re.compile(r"^(?:text|link|picture|edition|draft|value|brand|file|privacy|render|issue|deep)\.(?!(?:ya?ml|html|json|toml|txt|png|jpe?g|gif|csv)$)[a-z_]+$")  # not a file name
MAKERS = ("Problem", "problem", "problem_in")


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(SRC.rglob("*.py")) if path.name != "problem_codes.py"}


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def test_every_problem_made_names_a_code() -> None:
    missing = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path, tree in _trees().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _name(node) in MAKERS and not any(k.arg == "code" for k in node.keywords)
        and not (isinstance(node.func, ast.Name) and node.func.id == "Problem" and path.name == "errors.py")
    ]
    assert missing == []


def test_the_codes_in_the_source_are_the_codes_in_the_table() -> None:
    written = {
        node.value
        for tree in _trees().values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE_LIKE.match(node.value)
    }
    deep = {f"deep.{check}" for check in DEEP_CHECKS}
    assert written - set(CODES) == set(), "codes made but not in problem_codes.CODES"
    assert set(CODES) - written - deep == set(), "codes in the table that nothing makes"


def test_deep_findings_are_of_the_known_checks() -> None:
    checks = {
        node.args[0].value
        for path, tree in _trees().items() if "gates" in path.parts
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _name(node) == "Finding" and node.args and isinstance(node.args[0], ast.Constant)
    }
    assert checks and checks <= set(DEEP_CHECKS)


@pytest.mark.parametrize("language", ["en", "sl"])
def test_the_catalogs_say_every_code(language: str) -> None:
    catalog = tomllib.loads((CATALOG_DIR / f"{language}.toml").read_text(encoding="utf-8"))
    assert set(catalog["findings"]) == set(CODES)
    assert set(catalog["finding_hints"]) == set(CODES)


# Field keys of the format as a YAML file writes them, and the CLI's commands: never in an officer's text.
def _keys() -> set[str]:
    from leadex_mail.content.model import Brand, Edition
    from leadex_mail.studio.formschema import edition_form

    names = set(Brand.model_fields) | set(Edition.model_fields) | {"privacy", "controller", "authority"}
    stack = [edition_form()]
    while stack:
        spec = stack.pop()
        names.add(spec.name)
        stack.extend(spec.fields)
        stack.extend(spec.variants.values())
        if spec.item is not None:
            stack.append(spec.item)
    return {n for n in names if n}


def _commands() -> set[str]:
    from leadex_mail.cli import COMMANDS

    return set(COMMANDS)


@pytest.mark.parametrize("language", ["en", "sl"])
@pytest.mark.parametrize("code", sorted(CODES))
def test_the_studio_places_every_code_where_the_officer_can_act(tmp_path: Path, code: str, language: str) -> None:
    folder = tmp_path / "2026-09-leadex-02"
    folder.mkdir()
    data = {"sections": [{"type": "masthead"}, {"type": "story", "heading": "x", "more": {"label": "Več", "url": "#"}}]}
    owner = CODES[code]
    file = folder / "sl.yaml" if owner in (EDITION, FILE) else tmp_path / "brand.yaml"
    args = (
        ("field", "controller"), ("file_language", "sl"), ("max", "78"), ("min", "1"), ("n", "90"), ("other", "2026-09"),
        ("other_language", "en"), ("section", "events"), ("size", "300"), ("value", "2026-13-01"),
    )
    problem = Problem(str(file), 7, 3, "sections[1].more.url", "the core's words", "`url:` hint; see `leadex-mail new`", code=code, args=args)
    placed = place(problem, folder, words(language), lambda lang: data)

    said = f"{placed.where} {placed.message} {placed.hint or ''}"
    assert placed.message != problem.message and placed.hint and placed.hint != problem.hint
    catalog = tomllib.loads((CATALOG_DIR / f"{language}.toml").read_text(encoding="utf-8"))
    written = str(catalog["findings"][code]) + str(catalog["finding_hints"][code])  # a count is a table of plural forms
    assert said.count("…") == written.count("…"), said  # every value the text names was given (a missing one shows as …)
    assert "`" not in said and "sl.yaml" not in said and not re.search(r"\.ya?ml\b", said)
    assert not [k for k in _keys() if re.search(rf"\b{re.escape(k)}:", said)], said
    assert not [c for c in _commands() if f"leadex-mail {c}" in said], said
    if owner == EDITION:
        # At the field: the edition, the section and the field named as the form names them, and a link there.
        section = {"en": "section 2 (Story)", "sl": "razdelek 2 (Novica)"}[language]
        assert section in placed.where and placed.href == "/issues/2026-09-leadex-02/sl#f-sections-1-more-url", placed
        assert placed.path == "sections.1.more.url"
    elif owner == FILE:
        # Only a correction of the file mends it: which edition, which line, and whom to ask.
        assert {"en": "line 7", "sl": "vrstica 7"}[language] in placed.where
        assert placed.href == "/issues/2026-09-leadex-02/sl" and placed.path == ""
    else:
        assert owner == OPERATOR
        asked = {"en": "the person who runs the studio", "sl": "oseb"}[language]
        assert asked in placed.hint or asked in placed.message, placed
        assert placed.href is None
