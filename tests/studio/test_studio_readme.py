"""The README's studio section names what the officer sees: every quoted button, link and label is one the studio shows.

A newcomer follows that section alone (issue 13's "done when"); a renamed
button must not leave it pointing at nothing.
"""

from __future__ import annotations

import re
import tomllib

from leadex_mail.studio.i18n import CATALOG_DIR
from studio.studio_helpers import REPO

EXAMPLES = {"Partners at the kick-off meeting in Murcia", "image"}  # what to write, not what is shown


def studio_section() -> str:
    """The section's prose on one line: code blocks and `code` left out."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The studio: the same steps in the browser") :]
    section = section[: section.index("\n## ", 3)]
    section = re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", section, flags=re.S))
    return re.sub(r"\s*\n\s*", " ", section)


def shown(phrase: str, strings: list[str]) -> bool:
    """``phrase`` is a string of the studio's, or part of one ("…" and ``{n}`` stand for anything)."""
    part = re.compile(".*".join(re.escape(p) for p in phrase.split("…")))
    for value in strings:
        whole = re.compile(".+".join(re.escape(p) for p in re.split(r"\{[a-z_]*\}", value)))
        if part.search(re.sub(r"\{[a-z_]*\}", "…", value)) or whole.fullmatch(phrase):
            return True
    return False


def test_every_quoted_name_in_the_readmes_studio_section_is_on_the_studios_pages() -> None:
    catalog = tomllib.loads((CATALOG_DIR / "en.toml").read_text(encoding="utf-8"))
    # A count's string is a table of plural forms: each form is shown.
    strings = [f for table in catalog.values() for v in table.values() for f in (v.values() if isinstance(v, dict) else [v])]
    quoted = set(re.findall(r'"([^"]+)"', studio_section())) - EXAMPLES
    assert len(quoted) > 30
    missing = sorted(q for q in quoted if not shown(q, strings))
    assert not missing, f"the README names what the studio does not show: {missing}"
