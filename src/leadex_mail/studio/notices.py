"""What the send's checks could not check, or leave to others, in the officer's words.

The core says a notice for the terminal (``Readiness.notices``: "not DKIM-signed by leadex-mail
(dkim_key_path is not set) ..."). The review says each from its facts (``Readiness.notice_facts``:
the finding's ``check.rule`` code and the edition) with the catalogs' ``notice_<check>_<rule>``, else
``notice_<check>``, else ``notice_other``; what only the person who runs the studio can do is said as
theirs, never by a setting's name. A notice said only by its kind keeps the core's words folded away
for that person (``detail``); one said in full has none.

Shapes: ``notice_words(notice, words) -> SaidNotice(text, detail)``. No errors are raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadex_mail.gates.readiness import Notice
from leadex_mail.studio.findings import language_display
from leadex_mail.studio.i18n import Words


@dataclass(frozen=True)
class SaidNotice:
    """One notice as the review shows it: the officer's words, and the core's (None when the words say it all)."""

    text: str
    detail: str | None


def notice_words(notice: Notice, words: Words) -> SaidNotice:
    """``notice`` in ``words``: by its code when the catalogs have it, else by its kind with the core's words as detail."""
    check, _, rule = notice.code.partition(".")
    language = language_display(notice.language, words.language) if notice.language else ""
    for key, detail in ((f"notice_{check}_{rule}".replace("-", "_"), None), (f"notice_{check}", notice.text), ("notice_other", notice.text)):
        try:
            text = words.t(key, language=language)
        except KeyError:
            continue
        if language and "{language}" not in words.t(key):  # an edition's notice names the edition when its words do not
            text = words.t("notice_in_edition", language=language, text=text)
        return SaidNotice(text, detail)
    raise AssertionError("notice_other is in every catalog")  # pragma: no cover
