"""Every link the send gate judges in the rendered mail is judged by ``check`` at its field (issue 13 point 3, brief s6 C1).

The reported fault: a partner whose name links and says only "here" passed
``check`` and the studio's live check (0 errors), and only ``check --deep``
and the send review refused it. The kind: links whose text is another
field's value -- a partner's name, an interview's name -- and pictures that
are links (their alt text is the link's whole text; a decorative one leaves
the link without a name, axe's ``link-name``). Each is now judged with the
context the templates give it, and a parity test holds ``check`` to the
gate's verdict on the same edition's rendered HTML.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.content.lint import lint_issue
from leadex_mail.content.linktext import normalise
from leadex_mail.content.loader import load_issue
from leadex_mail.gates import markup
from leadex_mail.render.pipeline import render_edition

ROOT = Path(__file__).resolve().parents[2]
LINK_CODES = ("link.says_nothing", "link.no_label", "link.no_text", "picture.link_no_alt")
HEAD = "language: {lang}\ntitle: T\nsubject: S\npreheader: P\nnumber: 3\ndate: 2026-10\nsections:\n  - type: masthead\n"


def _issue(tmp_path: Path, sl: str):
    folder = tmp_path / "2026-10-leadex-03"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "newsletters" / "brand.yaml", tmp_path / "brand.yaml")
    shutil.copytree(ROOT / "newsletters" / "brand-images", tmp_path / "brand-images", dirs_exist_ok=True)
    for image in (ROOT / "newsletters" / "2026-04-leadex-01" / "images").iterdir():
        shutil.copy(image, folder / "images" / image.name)
    (folder / "sl.yaml").write_text(sl, encoding="utf-8")
    return load_issue(folder, Settings(newsletters_dir=tmp_path))


def _picture() -> str:
    return next(p.name for p in (ROOT / "newsletters" / "2026-04-leadex-01" / "images").iterdir() if p.suffix in (".jpg", ".png"))


def _found(issue) -> list[tuple[str | None, str]]:
    return sorted((p.path, p.code) for p in lint_issue(issue) if p.code in LINK_CODES)


PARTNER_HERE = """  - type: partners
    heading: Partnerji
    items:
      - {country: Danska, organisation: here, url: 'https://www.interregeurope.eu/leadex'}
      - {country: Slovenija, organisation: Občina Primer, url: 'https://leadex.eu/p'}
      - {country: Estonija, organisation: tukaj}
"""


def test_the_reported_partner_link_that_says_only_here_is_an_error_at_its_name(tmp_path: Path) -> None:
    issue = _issue(tmp_path, HEAD.format(lang="sl") + PARTNER_HERE)
    found = [p for p in lint_issue(issue) if p.code == "link.says_nothing"]
    # The third partner has no address: its name is no link, whatever it says.
    assert [(p.path, p.severity) for p in found] == [("sections[1].items[0].organisation", "error")]
    assert "'here'" in found[0].message and "https://www.interregeurope.eu/leadex" in found[0].message


INTERVIEWS = """  - type: study_visit
    heading: Študijski obisk
    body: Obiskali smo partnerje v Estoniji.
    interviews:
      - {person: Tukaj, url: 'https://leadex.eu/i1', summary: '.'}
      - {person: Več, lead: Predstavnica deležnikov, url: 'https://leadex.eu/i2', summary: o sodelovanju mest in podeželja}
      - person: Ana Novak
        url: https://leadex.eu/i3
        summary: o projektu
        image: {src: images/PICTURE, alt: '', decorative: true}
      - person: Marko Kovač
        url: https://leadex.eu/i4
        summary: o projektu
        image: {src: images/PICTURE, alt: Več}
"""


def test_interview_links_and_their_pictures_are_judged_at_their_fields(tmp_path: Path) -> None:
    issue = _issue(tmp_path, HEAD.format(lang="sl") + INTERVIEWS.replace("PICTURE", _picture()))
    assert _found(issue) == [
        ("sections[1].interviews[0].person", "link.says_nothing"),  # "Tukaj" and nothing around it
        # interviews[1]: "Več" with a lead and a summary around it names the target
        ("sections[1].interviews[2].image.alt", "picture.link_no_alt"),  # decorative, yet a link to the interview
        ("sections[1].interviews[3].image.alt", "link.says_nothing"),  # the picture's alt is its link's whole text
    ]


LINKED_PICTURES = """  - type: story
    heading: Zgodba
    image: {src: images/PICTURE, alt: '', decorative: true, link: 'https://leadex.eu/s1'}
    body: Besedilo zgodbe o srečanju.
  - type: story
    heading: Druga zgodba
    image: {src: images/PICTURE, alt: Preberi več, link: 'https://leadex.eu/s2'}
    body: Besedilo druge zgodbe.
  - type: story
    heading: Tretja zgodba
    image: {src: images/PICTURE, alt: Udeleženci srečanja v Murcii, link: 'https://leadex.eu/s3'}
    body: Besedilo tretje zgodbe.
"""


def test_a_picture_that_is_a_link_needs_an_alt_text_that_names_the_target(tmp_path: Path) -> None:
    issue = _issue(tmp_path, HEAD.format(lang="sl") + LINKED_PICTURES.replace("PICTURE", _picture()))
    assert _found(issue) == [("sections[1].image.alt", "picture.link_no_alt"), ("sections[2].image.alt", "link.says_nothing")]


def test_check_finds_every_link_the_send_gate_finds_in_the_rendered_mail(tmp_path: Path) -> None:
    """Parity: for each generic or nameless link the gate finds in the HTML, ``check`` has an error naming that link."""
    sl = HEAD.format(lang="sl") + PARTNER_HERE + INTERVIEWS.replace("PICTURE", _picture()) + LINKED_PICTURES.replace("PICTURE", _picture())
    issue = _issue(tmp_path, sl)
    settings = Settings(newsletters_dir=tmp_path)
    html = render_edition(issue, "sl", settings).html
    gate = [f for f in markup.check_markup(html, "sl") if f.rule == "link-text"]
    assert gate, "the gate finds nothing: the parity test would prove nothing"
    said = {normalise(dict(p.args).get("value", "")) for p in lint_issue(issue) if p.code == "link.says_nothing"}
    assert {normalise(f.where or "") for f in gate} <= said
    # Pictures that are links without a name: the gate's (axe's) link-name; check names each at its picture.
    nameless = [a for a in markup.parse(html).iter("a") if a.attrs.get("href", "").startswith("https://leadex.eu/") and not a.text().strip()]
    assert len(nameless) == len([p for p in lint_issue(issue) if p.code == "picture.link_no_alt"]) == 2
