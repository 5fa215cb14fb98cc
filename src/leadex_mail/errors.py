"""The one exception tree of leadex-mail.

Everything the core raises for a user's or operator's mistake derives from
``LeadexError``; third-party errors are wrapped where they enter, with
context. Only the CLI and web layers turn these into messages for people.

    LeadexError                      (message + optional hint)
    ├── ConfigError                  leadex-mail.toml / LEADEX_* / flags
    │   └── DeepCheckUnavailable     `check --deep` cannot run: Chromium or Playwright missing or failing
    ├── ContentError                 issue files; carries every Problem found
    │   ├── IssueNotFound
    │   ├── IssueNotReady            `send` refuses: error-level findings of `check`
    │   └── EditConflict             the studio's copy of a file is older than the file on disk
    ├── RenderError                  templates, MJML, images
    ├── StoreError                   subscriber store
    │   ├── NotFound
    │   ├── Suppressed               address erased/unsubscribed/bounced
    │   ├── InvalidValue             an address, name or language the store refuses
    │   ├── ImportFailed             a CSV import that wrote nothing
    │   └── TestSendNotRecorded      test messages went out, recording them failed (carries the results)
    ├── DeliveryError
    │   ├── TransportError           a transport could not deliver
    │   │   ├── TemporaryFailure     4xx, dropped connection: retry later
    │   │   │   └── ServerFailure    the server or session failed, not this recipient
    │   │   │       ├── TlsFailure   the server's certificate is not trusted: nothing goes until settings change
    │   │   │       └── UncertainDelivery  no reply after the whole message went out
    │   │   └── PermanentFailure     5xx for this recipient: do not retry
    │   ├── CampaignError            campaign state (paused, unknown, ...)
    │   │   ├── SendTimeError        a send time that cannot be read, is skipped by the clocks, past or absurd
    │   │   ├── ChangedAfterSend     the issue changed after some of its campaign's messages were sent
    │   │   └── RecordsAnonymised    who got the issue is forgotten (retention): it cannot be sent to the list again
    │   └── SendStopped              an error ended a send whose campaign exists (wraps it)
    ├── TokenError                   forged, tampered or expired token
    ├── WriteFailed                  a file could not be written (disk full, size limit, permission); nothing half-written left
    └── MailboxError                 a bounce mailbox (file, mbox, Maildir, IMAP) cannot be read
"""

from __future__ import annotations

from dataclasses import dataclass


class LeadexError(Exception):
    """Base of every error leadex-mail reports to a person.

    ``message`` says what went wrong in plain words; ``hint`` says what to
    do about it. ``exit_code`` is what the CLI exits with.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(LeadexError):
    """Configuration is missing, malformed or inconsistent."""

    exit_code = 2


class DeepCheckUnavailable(ConfigError):
    """The browser checks cannot run here: Playwright or Chromium is missing, or Chromium failed."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in an issue's files.

    ``path`` is the field path inside the file, e.g. ``sections[3].items[0].url``.
    ``severity`` is ``"error"`` (cannot render/send) or ``"warning"`` (lint).
    ``code`` is the kind of finding (``problem_codes.CODES``) and ``args`` its
    values as ``(name, text)`` pairs: what a face needs to say it in its own words.
    """

    file: str
    line: int | None
    column: int | None
    path: str
    message: str
    hint: str | None = None
    severity: str = "error"
    code: str = ""
    args: tuple[tuple[str, str], ...] = ()

    def location(self) -> str:
        """``file:line:col`` as far as it is known."""
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def format(self) -> str:
        """One human line (plus a hint line), as the CLI prints it."""
        where = f" ({self.path})" if self.path else ""
        text = f"{self.location()}: {self.severity}: {self.message}{where}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ContentError(LeadexError):
    """An issue's files are invalid; ``problems`` lists all that was found."""

    def __init__(self, message: str, problems: list[Problem] | None = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems: list[Problem] = list(problems or [])


class IssueNotFound(ContentError):
    """No issue folder (or edition) where one was named."""


class EditionExists(ContentError):
    """The edition file to be started is already there (``target``, a Path): ``new`` never overwrites one."""

    def __init__(self, message: str, *, target: object, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.target = target


class IssueNotReady(ContentError):
    """The issue loads but has error-level findings (``#`` links, draft text, ...): not to be sent as it is."""


class EditConflict(ContentError):
    """A file changed on disk since the studio opened it: saving would overwrite someone's work."""


class RenderError(LeadexError):
    """Rendering an edition failed (template, MJML, image processing)."""


class WriteFailed(LeadexError):
    """A file could not be written (disk full, file size limit, permission); the target is as it was (files.write_atomic)."""


class StoreError(LeadexError):
    """The subscriber store refused or failed an operation.

    ``failure``: for the database itself failing, its kind as
    ``store.failures.failure_kind`` read it from the driver ("full", "io",
    "readonly", "locked" ...); "" when not known (then its words are read).
    """

    failure: str = ""


class NotFound(StoreError):
    """A subscriber, list or campaign that does not exist."""


class Suppressed(StoreError):
    """The address is suppressed (erased, unsubscribed, bounced, complained)."""


class InvalidValue(StoreError):
    """A value (address, name, attribute, language) the store refuses.

    ``reason`` says what is wrong without repeating the value (for reports
    that show the value beside it).
    """

    def __init__(self, message: str, *, hint: str | None = None, reason: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason or message


class ImportFailed(StoreError):
    """A CSV import failed as a whole; nothing was written.

    ``message`` and ``hint`` are the CLI's words (options, commands); ``code`` (one of
    ``store.importcodes.FAILURE_CODES``) and ``args`` (lines, names, encodings) let another face
    say it in its own words.
    """

    def __init__(self, message: str, *, hint: str | None = None, code: str = "", **args: str | int) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.args_said = args


class TestSendNotRecorded(StoreError):
    """Test messages were sent (``results`` says to whom and the replies), but the store failed to record them.

    ``cause`` is the store's own error (disk full, database gone or locked).
    """

    __test__ = False  # not a pytest class

    def __init__(self, message: str, *, results: list, cause: StoreError, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.results = results
        self.cause = cause


class DeliveryError(LeadexError):
    """Building or sending messages failed."""


class TransportError(DeliveryError):
    """A transport could not hand a message over.

    ``reply`` keeps the server's answer (e.g. ``"451 4.3.0 try later"``).
    """

    def __init__(self, message: str, *, reply: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reply = reply


class TemporaryFailure(TransportError):
    """Worth retrying later: 4xx replies, timeouts, dropped connections."""


class ServerFailure(TemporaryFailure):
    """The server or the session failed, not this recipient (connect, TLS, login, drops).

    Campaigns count consecutive ServerFailures to decide when to pause.
    """


class TlsFailure(ServerFailure):
    """TLS with the server could not be set up because its certificate is not trusted (RFC 8314 / RFC 3207).

    Retrying cannot help until the settings change (``smtp_ca_file``,
    ``smtp_host``) or the server's certificate does: ``lasting``, so
    campaigns pause at once.
    """

    lasting = True


class UncertainDelivery(ServerFailure):
    """The message went out whole but no reply came (dropped, timed out): it may have arrived.

    RFC 5321 leaves the outcome unknown. Campaigns re-send such a delivery
    marked *uncertain*, or hold it (``send_uncertain = "hold"``).
    """


class PermanentFailure(TransportError):
    """Not worth retrying for this recipient now: 5xx replies (``delivery.replies`` says which kind)."""


class CampaignError(DeliveryError):
    """A campaign cannot proceed (unknown, paused, inconsistent)."""


class ChangedAfterSend(CampaignError):
    """Refusing to resume a campaign whose issue changed after some of its messages went out.

    ``languages``: the changed editions; ``sent``: messages of them already
    sent (or being sent); ``started``: when the campaign started (UTC).
    Faces word it themselves from these.
    """

    def __init__(self, message: str, *, hint: str | None = None, languages: tuple[str, ...] = (), sent: int = 0, started: object = None) -> None:
        super().__init__(message, hint=hint)
        self.languages = languages
        self.sent = sent
        self.started = started


class RecordsAnonymised(CampaignError):
    """Refusing to send an issue to a list when retention anonymised who got it (on that list, or on ``list_name``).

    ``list_name``: the list whose campaign's delivery records were
    anonymised; ``when``: when (UTC). Faces word it themselves from these.
    """

    def __init__(self, message: str, *, hint: str | None = None, list_name: str | None = None, when: object = None) -> None:
        super().__init__(message, hint=hint)
        self.list_name = list_name
        self.when = when


class SendTimeError(CampaignError):
    """A typed send time that cannot be used; ``reason`` says why, for faces that word it themselves.

    ``unreadable`` (not a date and time), ``skipped`` (the clocks go
    forward over it), ``past``, ``far`` (more than a year ahead), ``zone``
    (an abbreviation that is not the zone's on that day).
    """

    def __init__(self, message: str, *, hint: str | None = None, reason: str) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class SendStopped(DeliveryError):
    """An error (``cause``: e.g. a StoreError for a full disk) ended a send after its campaign began.

    Says the cause's message and hint, exits with its code; ``campaign_id``
    tells the face that the campaign exists, so it can print how to resume.
    """

    def __init__(self, cause: LeadexError, *, campaign_id: int) -> None:
        super().__init__(cause.message, hint=cause.hint)
        self.cause = cause
        self.campaign_id = campaign_id
        self.exit_code = cause.exit_code


class TokenError(LeadexError):
    """A signed token is forged, tampered with, for another purpose, or expired."""


class MailboxError(LeadexError):
    """A bounce mailbox cannot be read: a missing or unreadable file, mbox or Maildir, or an IMAP failure."""
