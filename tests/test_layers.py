"""The layout is the architecture: data flows one way, and the campaign engine knows only its seams.

Read from the source (every import, also those inside functions), so a
lazy import that runs back up a layer is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "leadex_mail"


def imports_of(package: str) -> dict[str, set[str]]:
    """Module path (relative to the package) -> every module it imports."""
    out: dict[str, set[str]] = {}
    for path in sorted((SRC / package).rglob("*.py")):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        out[str(path.relative_to(SRC))] = found
    return out


# A lower layer never imports a higher one.
FORBIDDEN = {
    "content": ("render", "delivery", "campaign", "bounces", "web", "cli", "preview"),
    "render": ("delivery", "campaign", "bounces", "web", "cli"),
    "delivery": ("campaign", "bounces", "web", "cli"),
    "store": ("render", "delivery", "campaign", "bounces", "web", "cli"),
    "campaign": ("web", "cli"),
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_runs_back_up(package: str) -> None:
    wrong = {
        module: sorted(name for name in names if any(name == f"leadex_mail.{up}" or name.startswith(f"leadex_mail.{up}.") for up in FORBIDDEN[package]))
        for module, names in imports_of(package).items()
    }
    assert {m: n for m, n in wrong.items() if n} == {}


def test_the_campaign_engine_reaches_the_database_only_through_the_store_seam() -> None:
    """No SQL in campaign/: its queries live in store.campaigns and store.deliveries (SQLite and PostgreSQL)."""
    wrong = {
        module: sorted(n for n in names if n.split(".")[0] in ("sqlalchemy", "sqlmodel", "sqlite3", "psycopg") or n.startswith("leadex_mail.store.driver"))
        for module, names in imports_of("campaign").items()
    }
    assert {m: n for m, n in wrong.items() if n} == {}


def test_no_module_shadows_the_standard_library() -> None:
    import sys

    clash = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if p.stem in sys.stdlib_module_names and p.stem != "__init__")
    assert clash == []
