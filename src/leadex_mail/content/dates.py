"""Dates as precise as people write them: a year, a month or a day.

An event may be known only by its year ("2025") or month ("2026-03"); an
issue is dated by its month ("2026-06"). ``WrittenDate`` is a ``datetime.date``
(its first day, so sorting, comparing and month-year formatting work as for
any date) that also remembers its ``precision``, and writes itself back as
it was written: ``str(WrittenDate.parse("2026-03")) == "2026-03"``.

Accepted forms (ISO 8601 calendar dates, reduced precision allowed):
``YYYY`` (also as a YAML number), ``YYYY-MM`` and ``YYYY-MM-DD``. The render
layer formats each per locale with Babel (``render.i18n.date_range``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any, Literal

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

Precision = Literal["year", "month", "day"]
PRECISIONS: tuple[Precision, ...] = ("year", "month", "day")
_FORM = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?")
_MARK = "\u270e"  # drafts.DRAFT_MARK (drafts imports the model, which imports this module)
FORMS_HINT = "write a day (2026-03-09), a month (2026-03) or a year (2025)"


class WrittenDate(dt.date):
    """A date with the precision it was written in; equal to (and sorted as) its first day."""

    precision: Precision
    marked: bool  # written "✎ 2026-09-01": a placeholder still to replace (``drafts.draft_problems`` refuses it)

    def __new__(cls, year: int, month: int = 1, day: int = 1, precision: Precision = "day", marked: bool = False) -> WrittenDate:
        self = super().__new__(cls, year, month, day)
        self.precision = precision
        self.marked = marked
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # copies and pickles keep the precision and the mark
        return (type(self), (self.year, self.month, self.day, self.precision, self.marked))

    def __str__(self) -> str:
        return self.isoformat()[: {"year": 4, "month": 7, "day": 10}[self.precision]]

    def __repr__(self) -> str:
        return f"WrittenDate({str(self)!r})"

    @property
    def last_day(self) -> dt.date:
        """The last day this date covers: 31 Dec of a year, the month's last day, or the day itself."""
        if self.precision == "year":
            return dt.date(self.year, 12, 31)
        if self.precision == "month":
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, self.month, self.day)

    @classmethod
    def parse(cls, value: Any) -> WrittenDate:
        """``value`` (text, a YAML year number or a date) as a ``WrittenDate``.

        Raises ``PydanticCustomError`` ``date_parsing`` (not one of the
        forms) or ``date_value`` (no such day, e.g. 2026-04-31), whose
        ``error`` says why in plain words.
        """
        if isinstance(value, WrittenDate):
            return value
        if isinstance(value, dt.datetime):
            raise PydanticCustomError("date_parsing", "not a date", {"error": "a time of day is not wanted"})
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day, "day")
        text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        marked = bool(text) and text.startswith(_MARK)  # type: ignore[union-attr]
        if marked:  # a placeholder date the new issue's example wrote: a date all the same, so the preview shows it
            text = text[len(_MARK) :].strip()  # type: ignore[index]
        found = _FORM.fullmatch(text or "")
        if found is None:
            raise PydanticCustomError("date_parsing", "not a date", {"error": "dates are written with digits, year first"})
        year, month, day = int(found["year"]), int(found["month"] or 1), int(found["day"] or 1)
        precision: Precision = "day" if found["day"] else "month" if found["month"] else "year"
        if year < dt.MINYEAR:
            raise PydanticCustomError("date_value", "not a date", {"error": f"there is no year {year}"})
        if not 1 <= month <= 12:
            raise PydanticCustomError("date_value", "not a date", {"error": f"there is no month {month}"})
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            raise PydanticCustomError("date_value", "not a date", {"error": f"{year}-{month:02d} has no day {day}"})
        return cls(year, month, day, precision, marked)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json-unless-none")
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
                {"type": "integer", "minimum": 1000, "maximum": 9999},
            ]
        }


def same_precision(first: WrittenDate, last: WrittenDate) -> bool:
    """True when both ends of a range are written alike (two days, two months or two years)."""
    return first.precision == last.precision
