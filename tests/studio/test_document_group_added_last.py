"""A group added as the last field of an item takes over the lines that followed the item (a14, seventh session).

ruamel keeps the blank line and comments before the next section on the
last value above them. A picture or a link added to the last item of a
section went *after* that value, so the blank line (and the next section's
comment) stood inside the item, between its text and its new picture --
nothing a person writes. Whatever followed the old last value now follows
the new one; a comment on the old value's own line stays there.
"""

from __future__ import annotations

from pathlib import Path

from leadex_mail.studio.document import EditionDoc
from leadex_mail.studio.formschema import empty_value, spec_at

BEFORE = """\
language: sl
sections:
  - type: events
    heading: Dogodki
    items:
      - title: Prvi
        body: |-
          Dolgo besedilo.

  # the partners
  - type: partners
    heading: Partnerji
    items:
      - country: Italija
        organisation: Veneto  # as they write it

  - type: events
    heading: Drugi dogodki
    items:
      - title: Drugi
        body: Kratko.
"""

AFTER = """\
language: sl
sections:
  - type: events
    heading: Dogodki
    items:
      - title: Prvi
        body: |-
          Dolgo besedilo.
        image:
          src: ""
          alt: ""

  # the partners
  - type: partners
    heading: Partnerji
    items:
      - country: Italija
        organisation: Veneto  # as they write it
        logo:
          src: ""
          alt: ""

  - type: events
    heading: Drugi dogodki
    items:
      - title: Drugi
        body: Kratko.
        more:
          url: ""
"""


def test_a_group_added_last_keeps_the_blank_line_and_the_comment_before_the_next_section(tmp_path: Path) -> None:
    file = tmp_path / "sl.yaml"
    file.write_text(BEFORE, encoding="utf-8")
    doc = EditionDoc.open(file)
    for path in [("sections", 0, "items", 0, "image"), ("sections", 1, "items", 0, "logo"), ("sections", 2, "items", 0, "more")]:
        spec = spec_at(path, doc.root)
        assert spec is not None
        doc.set(path, empty_value(spec), spec, spec_at(path[:-1], doc.root))
    assert doc.text() == AFTER
