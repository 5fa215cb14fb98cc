"""docs/cli.md is every command's --help; it fails when a command is undocumented or stale.

Regenerate with ``LEADEX_UPDATE_DOCS=1 python -m pytest tests/test_docs.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.testing import CliRunner

from leadex_mail.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def _commands(group: click.Group, ctx: click.Context, prefix: list[str]) -> list[list[str]]:
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        path = [*prefix, name]
        out.append(path)
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, click.Context(cmd, info_name=name, parent=ctx), path))
    return out


def generate() -> str:
    """The whole reference, from the commands' own help."""
    runner = CliRunner()
    parts = ["# Command reference\n", "Generated from `leadex-mail … --help` by `tests/test_docs.py`; do not edit by hand.\n"]
    root = click.Context(main, info_name="leadex-mail")
    for path in [[], *_commands(main, root, [])]:
        result = runner.invoke(main, [*path, "--help"], terminal_width=100, prog_name="leadex-mail")
        assert result.exit_code == 0, result.output
        title = " ".join(["leadex-mail", *path])
        parts.append(f"\n## `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "".join(parts)


def test_cli_reference_is_current():
    text = generate()
    if os.environ.get("LEADEX_UPDATE_DOCS"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.exists(), "run LEADEX_UPDATE_DOCS=1 python -m pytest tests/test_docs.py"
    assert DOC.read_text(encoding="utf-8") == text, "docs/cli.md is stale: run LEADEX_UPDATE_DOCS=1 python -m pytest tests/test_docs.py"
