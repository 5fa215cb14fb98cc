"""The issue model: what a communications officer writes, as typed objects.

An issue is a folder ``newsletters/<slug>/`` with one YAML file per language
edition (``sl.yaml``, ``en.yaml``, ...) and an ``images/`` folder. Each file
parses into one ``Edition``. Text fields typed ``Markdown`` hold sanitised
Markdown (bold, italics, links, lists; never raw HTML); the render layer
turns them into HTML and plain text.

This module is the contract between content (loading, validation) and
render; it has no I/O.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from leadex_mail.content.dates import WrittenDate
from leadex_mail.content.languages import NotALanguage, edition_language

Markdown = Annotated[str, Field(description="Markdown text: **bold**, *italic*, [links](https://...), lists. No HTML.")]
Url = Annotated[
    str,
    Field(description="An absolute https:// (or http://, mailto:) address. '#' marks an address still to be filled in; `check` flags it."),
]


# Control characters are invisible in an editor and break what they reach: MJML
# refuses them, headers must never carry them. Tab and line feed are text;
# everything else of Unicode's Cc (C0, DEL, C1) and lone surrogates is refused.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Values that become header fields must also be one line (RFC 5322: a line break ends a header).
_HEADER_BREAK = re.compile(r"[\t\n\r\u2028\u2029]")
HEADER_FIELDS = frozenset({"subject", "from_name", "from_address", "reply_to", "name"})
# Required text fields that may still be empty: alt (a decorative picture; lint judges it), src (checks.py
# says "the image has no file") and link addresses ('' loads as a draft; lint refuses it for sending).
MAY_BE_EMPTY = frozenset({"alt", "src", "url"})
_C0_NAMES = "NUL SOH STX ETX EOT ENQ ACK BEL BS TAB LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US".split()


def control_name(char: str) -> str:
    """``"ESC (U+001B)"``: how a person can find an invisible character."""
    code = ord(char)
    name = _C0_NAMES[code] if code < 32 else "DEL" if code == 0x7F else "NEL" if code == 0x85 else "broken character" if 0xD800 <= code <= 0xDFFF else ""
    return f"{name} (U+{code:04X})" if name else f"U+{code:04X}"  # (never "control character control character")


def refuse_control(value: str, *, header: bool = False) -> str:
    """``value`` unchanged, or ``PydanticCustomError`` ``control_character``/``line_break`` naming the first offender."""
    found = _CONTROL.search(value)
    if found:
        raise PydanticCustomError("control_character", "contains the invisible control character {char}", {"char": control_name(found.group()), "needle": found.group()})
    found = _HEADER_BREAK.search(value) if header else None
    if found:
        raise PydanticCustomError("line_break", "must be one line: it becomes a mail header", {"char": control_name(found.group()), "needle": found.group()})
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: Any) -> Any:
        # Every text field of every model, so no field can be forgotten (templates, headers, file names).
        if isinstance(value, str):
            value = refuse_control(value, header=info.field_name in HEADER_FIELDS and cls.__name__ in ("Edition", "Brand"))
            if not value and info.field_name not in MAY_BE_EMPTY and cls.model_fields[info.field_name].is_required():
                # A required text emptied (the studio saves `heading: ''`) is as missing as no key at all;
                # whitespace only is empty too (str_strip_whitespace ran first).
                raise PydanticCustomError("empty_text", "is required and cannot be empty", {})
        return value  # containers of text type their items with ``Text`` (errors then name the item)


Text = Annotated[str, AfterValidator(refuse_control)]


class Image(_Strict):
    """A picture: a file under the issue's ``images/`` folder, or an https URL."""

    src: str = Field(description="Path relative to the issue folder (images/kickoff.jpg) or an https:// URL.")
    alt: str = Field(description="What the picture shows, for people who cannot see it. Empty only when decorative.")
    decorative: bool = Field(False, description="True when the picture adds nothing to the text (then alt may be empty).")
    link: Url | None = Field(None, description="Where a click on the picture leads.")


class Link(_Strict):
    """A link or button: a label and an address."""

    label: str | None = Field(None, description="Text shown; when omitted the language's default (e.g. 'VEČ TUKAJ').")
    url: Url


class Interview(_Strict):
    """One interview: who (person, role, organisation), a link, a picture and a line about it.

    Rendered as: ``{lead} [{person}, {role} ({organisation})]({url}) {summary}``.
    """

    person: str = Field(description="The person interviewed.")
    role: str | None = Field(None, description="Their role, shown after the name with a comma.")
    organisation: str | None = Field(None, description="Their organisation, shown in brackets.")
    url: Url = Field(description="Where the interview can be watched or read.")
    image: Image | None = None
    lead: str | None = Field(None, description="Words before the name, e.g. 'Predstavnica deležnikov'.")
    summary: Markdown = Field(description="One line after the name: what the interview is about.")


class MastheadSection(_Strict):
    """The issue's header: title and the month and year of the issue."""

    type: Literal["masthead"]
    title: str | None = Field(None, description="Defaults to the edition's title.")
    image: Image | None = None


class StorySection(_Strict):
    """A news story, e.g. the kick-off meeting: heading, picture, text and a 'more here' link."""

    type: Literal["story"]
    heading: str
    image: Image | None = None
    body: Markdown
    more: Link | None = Field(None, description="The 'more here' link after the text.")


class ProjectSection(_Strict):
    """The project block: name, tagline, logo and buttons (project video, website)."""

    type: Literal["project"]
    name: str
    tagline: str | None = Field(None, description="Line breaks are kept.")
    logo: Image | None = None
    buttons: list[Link] = Field(default_factory=list)


class StudyVisitSection(_Strict):
    """A study visit with interviews. ``style: spotlight`` gives it the highlighted 'in the spotlight' look."""

    type: Literal["study_visit"]
    style: Literal["spotlight", "story"] = "story"
    heading: str
    image: Image | None = None
    body: Markdown
    more: Link | None = None
    interviews_heading: str | None = Field(None, description="Line before the interviews, e.g. 'Oglej si intervjuje z uvodnega sestanka:'.")
    interviews: list[Interview] = Field(default_factory=list)


class GoodPracticesSection(_Strict):
    """Good practices: a heading, a button and, when there is something to say, a short text."""

    type: Literal["good_practices"]
    heading: str
    image: Image | None = None
    body: Markdown | None = Field(None, description="Optional: a heading and a button are enough.")
    button: Link


def _date_range(message: str, hint: str) -> PydanticCustomError:
    """An event's dates that do not go together; reported at its end_date with ``hint``."""
    return PydanticCustomError("event_dates", message.replace("{", "{{").replace("}", "}}"), {"field": "end_date", "hint": hint})


class EventItem(_Strict):
    """One dated event."""

    title: str | None = Field(None, description="A short heading for the event; omit when the text says it all.")
    date: WrittenDate | None = Field(
        None, description="When: a day (2026-03-09), a month (2026-03) or a year (2025), as precise as known. Omit when the source gives no date: never guess one."
    )
    end_date: WrittenDate | None = Field(None, description="The last day (or month, or year) of an event that lasts longer; written like date.")
    body: Markdown
    more: Link | None = None
    image: Image | None = None

    @field_validator("end_date")
    @classmethod
    def _days_in_order(cls, end_date: WrittenDate | None, info: ValidationInfo) -> WrittenDate | None:
        # A field's validator, not the model's: it runs even when another field of the item is wrong, so
        # one mistake never hides this one (a13 finding 17). Located at end_date (the field to change),
        # with what to write: see problems.translate ("event_dates").
        if end_date is None or "date" not in info.data:
            return end_date  # a date that is itself wrong is reported at date
        date = info.data["date"]
        if date is None:
            raise _date_range("an end_date needs a date (the first day) too", "add `date:` with the first day, or remove end_date")
        if end_date.precision != date.precision:
            raise _date_range(
                f"date ({date}) and end_date ({end_date}) must be written alike: two days, two months or two years",
                "write both as days (2026-03-09 and 2026-03-11), both as months (2026-03 and 2026-04) or both as years",
            )
        if end_date < date:
            raise _date_range(f"the event ends ({end_date}) before it starts ({date})", "swap date and end_date, or correct the year")
        return end_date


class EventsSection(_Strict):
    """Participation in events: a heading and dated items."""

    type: Literal["events"]
    heading: str
    items: list[EventItem] = Field(min_length=1)


class Partner(_Strict):
    """One project partner."""

    country: str
    organisation: str
    url: Url | None = None
    logo: Image | None = None


class PartnersSection(_Strict):
    """The list of partners (country – organisation), two columns on wide screens."""

    type: Literal["partners"]
    heading: str
    items: list[Partner] = Field(min_length=1)


Section = Annotated[
    Union[
        MastheadSection,
        StorySection,
        ProjectSection,
        StudyVisitSection,
        GoodPracticesSection,
        EventsSection,
        PartnersSection,
    ],
    Field(discriminator="type"),
]

SECTION_TYPES: tuple[str, ...] = ("masthead", "story", "project", "study_visit", "good_practices", "events", "partners")


class Edition(_Strict):
    """One language edition of an issue (one YAML file)."""

    language: str = Field(description="Language code of this edition: sl, en, ...", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    title: str = Field(description="The newsletter's title as shown in the header, e.g. 'LeadEx novice št. 1'.")
    subject: str = Field(description="The email subject line (at most 78 characters recommended).")
    preheader: str = Field("", description="The preview line mail apps show after the subject.")
    number: int = Field(ge=1, description="The issue number.")
    date: WrittenDate = Field(description="Publication month (2026-06) or day (2026-06-01); the header shows month and year.")
    brand: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$",
        description="Another brand file than brand.yaml for this issue (e.g. a partner's own newsletter): its file name, kept beside brand.yaml.",
    )
    sections: list[Section] = Field(min_length=1)

    @field_validator("language", mode="before")
    @classmethod
    def _a_known_language(cls, value: Any) -> Any:
        """``EN`` is read as ``en``; ``xx`` (no language CLDR knows) is refused with a hint (``content.languages``)."""
        if not isinstance(value, str) or not value.strip():
            return value  # pydantic says "must be text", or "required but empty"
        try:
            return edition_language(value)
        except NotALanguage as err:
            raise PydanticCustomError("language_unknown", "{reason}", {"reason": err.reason, "hint": err.hint}) from None

    @field_validator("date")
    @classmethod
    def _dated_by_month_at_least(cls, value: WrittenDate) -> WrittenDate:
        if value.precision == "year":
            raise PydanticCustomError("date_parsing", "not a date", {"error": "an issue is dated by its month at least"})
        return value


class Privacy(_Strict):
    """Who keeps subscribers' data, and where they can complain: the privacy notice at /privacy (GDPR Art. 13).

    Names and addresses are the same in every language. ``check`` warns
    while ``controller``, ``address``, ``email`` or ``authority`` is empty.
    """

    controller: str = Field("", description="The organisation that decides what is done with subscribers' data (the controller): its legal name.")
    address: str = Field("", description="The controller's postal address.")
    email: str = Field("", description="Where people write about their data: an address someone reads.")
    dpo: str = Field("", description="The data-protection officer's name and contact, if the controller has one (public bodies must).")
    authority: str = Field("", description="The supervisory authority people may complain to, e.g. 'Informacijski pooblaščenec (www.ip-rs.si)'.")
    authority_url: Url | None = Field(None, description="The authority's website.")
    processors: list[Text] = Field(
        default_factory=list, description="Who else handles the data for you besides the mail relay (e.g. the web host), one line each."
    )


class Brand(_Strict):
    """What every issue shares: identity, colours, funding statement, footer."""

    name: str = "LeadEx"
    logo: Image | None = None
    primary_color: str = Field("#0b4f8a", pattern=r"^#[0-9a-fA-F]{6}$")
    accent_color: str = Field("#f2a900", pattern=r"^#[0-9a-fA-F]{6}$")
    text_color: str = Field("#1f2933", pattern=r"^#[0-9a-fA-F]{6}$")
    background_color: str = Field("#f4f6f8", pattern=r"^#[0-9a-fA-F]{6}$")
    from_name: str = "LeadEx"
    from_address: str = "newsletter@example.org"
    reply_to: str | None = None
    contact_address: str = Field("", description="Postal or contact address shown in the footer.")
    funding: dict[str, Text] = Field(default_factory=dict, description="Funding statement per language code.")
    funding_logo: Image | None = None
    website: Url | None = None
    social: list[Link] = Field(default_factory=list)
    privacy: Privacy = Field(default_factory=Privacy, description="Who keeps subscribers' data: shown in the privacy notice at /privacy.")


class Issue(BaseModel):
    """An issue: its folder, the shared brand and every language edition."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    slug: str
    folder: str = Field(description="Path of the issue folder.")
    brand: Brand
    editions: dict[str, Edition]
    default_language: str

    def edition(self, language: str | None = None) -> Edition:
        """The edition in ``language``, falling back to the default edition."""
        return self.editions.get(language or self.default_language) or self.editions[self.default_language]
