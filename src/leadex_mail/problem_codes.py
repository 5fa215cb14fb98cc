"""Every kind of ``Problem`` loading, ``check`` and ``check --deep`` can report, by code.

A ``Problem`` carries its words for the CLI (English, naming files, lines
and fields as they are written) and a ``code`` saying what kind of finding
it is, so a face that speaks to someone else -- the studio, to an officer
in Slovenian who never sees a file -- says it in its own words. Each code
says who can put it right:

- ``EDITION``: the officer, at a field or section of an edition (the
  studio shows it at that field);
- ``FILE``: whoever edits the edition's file by hand (its text cannot be
  read as an edition: syntax, shapes, fields the format has not got);
- ``OPERATOR``: the person who runs leadex-mail (the brand file, the email
  templates, the set-up, the message as it is built for sending).

``tests/test_problem_codes.py`` reads the source: every ``Problem`` made
names a code from this table, every code here is made somewhere, and the
studio's catalogs say each one in every language they speak.
"""

from __future__ import annotations

EDITION = "edition"
FILE = "file"
OPERATOR = "operator"

# The checks of ``check --deep`` (``gates.findings.Finding.check``); each is the code ``deep.<check>``.
DEEP_CHECKS = ("accessibility", "markup", "spam", "conformance", "size", "setup")

CODES: dict[str, str] = {
    # texts and links (content.checks, content.lint)
    "text.placeholder": EDITION,
    "text.too_long": EDITION,
    "text.nested_too_deep": EDITION,
    "text.raw_html": EDITION,
    "link.incomplete": EDITION,
    "link.malformed": EDITION,
    "link.unfinished": EDITION,
    "link.written_scheme": EDITION,
    "link.written_gap": EDITION,
    "link.written_space": EDITION,
    "link.written_unclosed": EDITION,
    "link.written_other": EDITION,
    "link.bare_address": EDITION,
    "text.emphasis_left": EDITION,
    "link.says_nothing": EDITION,
    "link.no_label": EDITION,
    "link.no_text": EDITION,
    "picture.link_no_alt": EDITION,
    "text.heading_skips": EDITION,
    "link.not_https": EDITION,
    # pictures
    "picture.no_file": EDITION,
    "picture.wrong_type": EDITION,
    "picture.outside_folder": EDITION,
    "picture.missing": EDITION,
    "picture.unusable": EDITION,
    "picture.no_alt": EDITION,
    "picture.heavy": EDITION,
    "picture.maybe_text": EDITION,
    # the edition as a whole, and its agreement with the default edition
    "edition.no_preheader": EDITION,
    "edition.subject_too_long": EDITION,
    "edition.number_differs": EDITION,
    "issue.number_taken": EDITION,
    "edition.date_differs": EDITION,
    "edition.section_date_differs": EDITION,
    "edition.section_missing": EDITION,
    "edition.sections_differ": EDITION,
    "edition.items_differ": EDITION,
    "edition.same_language": EDITION,
    "edition.too_big_to_save": EDITION,
    "edition.section_repeated": EDITION,
    "edition.section_not_first": EDITION,
    "edition.language_differs": EDITION,
    "edition.too_big": EDITION,
    # what ``leadex-mail new`` left in place
    "draft.marked": EDITION,
    "draft.example_text": EDITION,
    "draft.example_picture": EDITION,
    # values of fields (content.problems, from the format's validation)
    "value.missing": EDITION,
    "value.required_empty": EDITION,
    "value.not_a_date": EDITION,
    "value.invalid": EDITION,
    "value.not_a_choice": EDITION,
    "value.too_few": EDITION,
    "value.too_small": EDITION,
    "value.not_text": EDITION,
    "value.not_whole_number": EDITION,
    "value.not_true_false": EDITION,
    "value.broken_character": EDITION,
    "value.control_character": EDITION,
    "value.line_break": EDITION,
    "value.event_dates": EDITION,
    "value.rule": EDITION,
    "value.unknown_language": EDITION,
    "value.other": EDITION,
    # brands named by editions
    "brand.differs": EDITION,
    "brand.unnamed": EDITION,
    "brand.missing": EDITION,
    "brand.outside": OPERATOR,
    # the text of an edition file
    "file.unknown_field": FILE,
    "file.unknown_section": FILE,
    "file.no_section_type": FILE,
    "file.not_a_group": FILE,
    "file.not_a_list": FILE,
    "file.not_a_value": FILE,
    "file.not_fields": FILE,
    "file.name": FILE,
    "file.syntax": FILE,
    "file.construct": FILE,
    "file.control_character": FILE,
    "file.encoding": FILE,
    "file.too_big": FILE,
    "file.unreadable": FILE,
    "file.changed": FILE,
    # the operator's: brand file, templates, set-up
    "privacy.missing": OPERATOR,
    "brand.contrast": OPERATOR,
    "render.failed": OPERATOR,
    "issue.unloadable": OPERATOR,
    **{f"deep.{check}": OPERATOR for check in DEEP_CHECKS},
}


def owner(code: str) -> str:
    """Who can put a finding of ``code`` right (``EDITION``, ``FILE`` or ``OPERATOR``); ``OPERATOR`` for an unknown code."""
    return CODES.get(code, OPERATOR)
