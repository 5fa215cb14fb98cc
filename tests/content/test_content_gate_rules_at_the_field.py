"""Rules the send gate applied only to the rendered mail, now decided at the field (a13c F4, F7, F11).

F4: a link text that says nothing about where it leads ("VEČ" closing a list)
passed ``check`` and the studio's live check, and only the deep check of
"Review the send" refused it, with no field named. F7: a translation whose
sections are in another order, or lack one, passed ``check`` silently. F11:
``http://`` was accepted in a text's link while the README asks for https.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from leadex_mail.config import Settings
from leadex_mail.content.lint import lint_issue
from leadex_mail.content.loader import load_issue
from leadex_mail.gates import markup

REPRO = Path(__file__).parent / "data" / "a13c-issue03-sl.yaml"
ROOT = Path(__file__).resolve().parents[2]
STORY = "  - type: story\n    heading: {heading}\n    body: {body}\n{more}"


def _issue(tmp_path: Path, sl: str, en: str | None = None):
    folder = tmp_path / "2026-10-leadex-03"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sl.yaml").write_text(sl, encoding="utf-8")
    if en is not None:
        (folder / "en.yaml").write_text(en, encoding="utf-8")
    return load_issue(folder, Settings(newsletters_dir=tmp_path))


def _edition(language: str, *sections: str) -> str:
    return f"language: {language}\ntitle: T\nsubject: S\npreheader: P\nnumber: 3\ndate: 2026-10\nsections:\n  - type: masthead\n" + "".join(sections)


def _found(issue, code: str) -> list[tuple[str, str | None, str, str]]:
    return [(Path(p.file).name, p.path, p.severity, p.message) for p in lint_issue(issue) if p.code == code]


def test_the_reported_more_link_is_an_error_at_its_label_as_the_send_gate_finds_it(tmp_path: Path) -> None:
    folder = tmp_path / "2026-10-leadex-03"
    folder.mkdir()
    shutil.copy(REPRO, folder / "sl.yaml")
    issue = load_issue(folder, Settings(newsletters_dir=tmp_path))
    found = [p for p in lint_issue(issue) if p.code == "link.says_nothing"]
    assert [(p.path, p.severity, p.line) for p in found] == [("sections[1].more.label", "error", 21)]
    assert "'VEČ'" in found[0].message and "https://example.org/a" in found[0].message and found[0].hint


def test_every_kind_of_link_is_judged_with_the_context_the_templates_give_it(tmp_path: Path) -> None:
    sl = _edition(
        "sl",
        STORY.format(heading="A", body="'Besedilo o srečanju v Murcii. [Tukaj](https://leadex.eu/a).'", more=""),  # in a sentence: fine
        STORY.format(heading="B", body="'Prijave:\n\n[tukaj](https://leadex.eu/b)'", more=""),  # alone in its paragraph
        STORY.format(heading="C", body="Zgodba o obisku v Estoniji.", more="    more:\n      url: https://leadex.eu/c\n"),  # closes a sentence
        STORY.format(heading="D", body="'- ena\n\n- dve'", more="    more:\n      url: https://leadex.eu/d\n"),  # after a list: alone
        "  - type: good_practices\n    heading: E\n    button:\n      label: Read more\n      url: https://leadex.eu/e\n",  # a button: alone
        "  - type: good_practices\n    heading: F\n    button:\n      label: Primeri dobrih praks\n      url: https://leadex.eu/f\n",
        "  - type: project\n    name: G\n    buttons:\n      - {label: Video projekta, url: 'https://leadex.eu/g'}\n      - {label: here, url: 'https://leadex.eu/h'}\n",
    )
    issue = _issue(tmp_path, sl)
    got = sorted((path, severity, code) for code in ("link.says_nothing", "link.no_label") for _, path, severity, _ in _found(issue, code))
    assert got == [
        ("sections[2].body", "error", "link.says_nothing"),
        ("sections[4].more.label", "error", "link.no_label"),  # no label: the language's "more here"
        ("sections[5].button.label", "error", "link.says_nothing"),
        ("sections[7].buttons[1].label", "error", "link.says_nothing"),  # one of a list of buttons
    ]


def test_the_example_issue_has_no_link_the_rule_refuses(tmp_path: Path) -> None:
    issue = load_issue(ROOT / "newsletters" / "2026-04-leadex-01", Settings(newsletters_dir=ROOT / "newsletters"))
    assert _found(issue, "link.says_nothing") == []


def test_the_gate_keeps_its_phrases_and_finds_the_same_link_in_the_html() -> None:
    html = '<html lang="sl"><head><title>t</title></head><body><ul><li>ena</li></ul><p><a href="https://example.org/a">VEČ</a></p></body></html>'
    assert [f.rule for f in markup.check_markup(html, "sl") if f.rule == "link-text"] == ["link-text"]


def test_http_links_get_the_same_warning_in_a_text_and_in_a_link_field(tmp_path: Path) -> None:
    sl = _edition("sl", STORY.format(heading="A", body="'Glej [poročilo o srečanju](http://plain.example/r).'", more="    more:\n      label: Poročilo\n      url: http://plain.example/s\n"))
    got = _found(_issue(tmp_path, sl), "link.not_https")
    assert [(path, severity) for _, path, severity, _ in got] == [("sections[1].body", "warning"), ("sections[1].more.url", "warning")]
    assert [m.replace("/r'", "/X'").replace("/s'", "/X'") for *_, m in got][0] == [m.replace("/r'", "/X'").replace("/s'", "/X'") for *_, m in got][1]


def test_a_translation_whose_sections_are_moved_or_missing_is_flagged_at_the_first_section_out_of_line(tmp_path: Path) -> None:
    story = STORY.format(heading="A", body="Besedilo o srečanju.", more="")
    events = "  - type: events\n    heading: Dogodki\n    items:\n      - body: Forum v Bruslju.\n"
    issue = _issue(tmp_path, _edition("sl", story, events), _edition("en", events, story))
    got = _found(issue, "edition.sections_differ")
    assert [(f, p, s) for f, p, s, _ in got] == [("en.yaml", "sections[1]", "warning")]
    assert "'events'" in got[0][3] and "'story'" in got[0][3]
    issue = _issue(tmp_path, _edition("sl", story, events), _edition("en", story))
    assert [(f, p, s) for f, p, s, _ in _found(issue, "edition.sections_differ")] == [("en.yaml", "sections", "warning")]
    issue = _issue(tmp_path, _edition("sl", story, events), _edition("en", story, events))
    assert _found(issue, "edition.sections_differ") == []


def test_the_send_gate_finds_the_same_link_in_the_mail_and_the_review_keeps_only_the_one_at_its_field(tmp_path: Path) -> None:
    from leadex_mail.gates.deep import check_edition
    from leadex_mail.gates.findings import DeepReport
    from leadex_mail.gates.readiness import deep_problems_beyond
    from leadex_mail.gates.sample import build_sample
    from leadex_mail.render.check import check_issue

    folder = tmp_path / "2026-10-leadex-03"
    folder.mkdir()
    shutil.copy(REPRO, folder / "sl.yaml")
    settings = Settings(newsletters_dir=tmp_path, public_url="https://news.example.org", secret_key="s" * 32)
    issue = load_issue(folder, settings)
    edition = check_edition(build_sample(issue, "sl", settings), settings)
    assert [f.where for f in edition.findings if f.rule == "link-text"] == ["VEČ"]  # the gate: the same rule, the same link
    problems = check_issue(issue, settings)
    beyond = deep_problems_beyond(DeepReport(issue.slug, editions=[edition]), problems)
    assert [p for p in beyond if "VEČ" in p.message] == []
    assert [p.path for p in problems if p.severity == "error"] == ["sections[1].more.label"]  # the one error, at its field


def test_the_gates_other_content_rules_are_found_at_their_field(tmp_path: Path) -> None:
    from PIL import Image

    sl = _edition(
        "sl",
        STORY.format(heading="A", body="'Besedilo [](https://leadex.eu/a) in še nekaj besed.'", more=""),  # axe's link-name
        STORY.format(heading="B", body="'#### Podnaslov\n\nBesedilo.'", more=""),  # h2 -> h4 (heading-order)
        STORY.format(heading="C", body="'### Podnaslov\n\n#### Manjši\n\nBesedilo.'", more=""),  # in order
        "  - type: story\n    heading: D\n    image: {src: images/trak.png, alt: '', decorative: true}\n    body: Besedilo.\n",  # 4:1, decorative
        "  - type: story\n    heading: E\n    image: {src: images/foto.png, alt: '', decorative: true}\n    body: Besedilo.\n",
    )
    (tmp_path / "2026-10-leadex-03" / "images").mkdir(parents=True)
    Image.new("RGB", (400, 100)).save(tmp_path / "2026-10-leadex-03" / "images" / "trak.png")
    Image.new("RGB", (300, 200)).save(tmp_path / "2026-10-leadex-03" / "images" / "foto.png")
    issue = _issue(tmp_path, sl)
    got = sorted((path, severity, code) for code in ("link.no_text", "text.heading_skips", "picture.maybe_text") for _, path, severity, _ in _found(issue, code))
    assert got == [
        ("sections[1].body", "error", "link.no_text"),
        ("sections[2].body", "warning", "text.heading_skips"),
        ("sections[4].image.alt", "warning", "picture.maybe_text"),
    ]
