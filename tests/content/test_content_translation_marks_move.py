"""A translation's "needs update" marks move with its sections when the studio moves them in every edition (a13c F7)."""

from __future__ import annotations

from pathlib import Path

from leadex_mail.content.translations import record_translation, reorder_record, stale_sections, translation_record

SL = "language: sl\nsections:\n  - {{type: masthead}}\n  - {{type: story, heading: {a}, body: x}}\n  - {{type: story, heading: B, body: y}}\n"


def test_a_mark_moves_with_its_section_and_an_added_section_needs_its_translation(tmp_path: Path) -> None:
    (tmp_path / "sl.yaml").write_text(SL.format(a="A"), encoding="utf-8")
    record_translation(tmp_path, "en", "sl")
    (tmp_path / "sl.yaml").write_text(SL.format(a="A changed"), encoding="utf-8")
    assert stale_sections(tmp_path, "en", "sl") == {1}
    record = translation_record(tmp_path, "en")
    assert record is not None
    # sl's sections 1 and 2 swap (in en too), and a section is added first: the changed story is now section 3.
    moved = "language: sl\nsections:\n  - {type: masthead}\n  - {type: story, heading: New, body: z}\n  - {type: story, heading: B, body: y}\n  - {type: story, heading: A changed, body: x}\n"
    (tmp_path / "sl.yaml").write_text(moved, encoding="utf-8")
    reorder_record(tmp_path, "en", record, [0, None, 2, 1])
    assert stale_sections(tmp_path, "en", "sl") == {1, 3}  # the new one, and the one changed before the move
