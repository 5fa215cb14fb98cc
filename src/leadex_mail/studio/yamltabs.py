"""Tabs between the parts of a line (``date: 2027-02-01<TAB># comment``), read and written back as written.

YAML 1.2 lets a tab separate tokens on a line (not indent one), and libyaml
-- what ``check`` and ``send`` read with -- accepts it; ruamel's scanner
takes only spaces outside flow collections, so the studio refused a file the
CLI reads (a13 #15: "tabs in comments"). ``TabScanner`` skips a tab the way
it skips a space once the line has begun; a tab in the indentation is still
refused, as YAML says. ruamel writes a comment back at its column counted
in characters, so a tab comes back as one space: ``restore_tabs`` puts each
untouched line back as it was.

Known limit: a tab *inside* a plain value (``title: Prvi<TAB>dan``) is
refused still (ruamel would write the value back quoted).
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.scanner import _THE_END, RoundTripScanner  # the private constant is what ruamel 0.19's own method uses


class TabScanner(RoundTripScanner):
    """ruamel's round-trip scanner, with a tab after the start of a line read as a space."""

    def _line_begun(self) -> bool:
        reader = self.reader
        start = reader.buffer.rfind("\n", 0, reader.pointer) + 1
        return reader.buffer[start : reader.pointer].strip(" \t") != ""

    def _skip_blanks(self) -> None:
        srp, srf = self.reader.peek, self.reader.forward
        while srp() == " " or (srp() == "\t" and (self.flow_level > 0 or self._line_begun())):
            srf()

    def scan_to_next_token(self) -> Any:
        """ruamel 0.19.1's ``RoundTripScanner.scan_to_next_token``; only the skipping of blanks differs."""
        srp = self.reader.peek
        srf = self.reader.forward
        if self.reader.index == 0 and srp() == "\ufeff":
            srf()
        while True:
            self._skip_blanks()
            ch = srp()
            if ch == "#":
                start_mark = self.reader.get_mark()
                comment = ch
                srf()
                while ch not in _THE_END:
                    ch = srp()
                    if ch == "\0":  # don't gobble the end of the stream; end the comment's line
                        comment += "\n"
                        break
                    comment += ch
                    srf()
                ch = self.scan_line_break()  # the blank lines after the comment belong to it
                while len(ch) > 0:
                    comment += ch
                    ch = self.scan_line_break()
                end_mark = self.reader.get_mark()
                if not self.flow_level:
                    self.allow_simple_key = True
                return comment, start_mark, end_mark
            if self.scan_line_break() == "":
                return None
            start_mark = self.reader.get_mark()
            if not self.flow_level:
                self.allow_simple_key = True
            ch = srp()
            if ch == "\n":  # empty lines at the top level
                start_mark = self.reader.get_mark()
                comment = ""
                while ch:
                    ch = self.scan_line_break(empty_line=True)
                    comment += ch
                if srp() == "#":  # an empty line followed by an indented comment
                    comment = comment.rsplit("\n", 1)[0] + "\n"
                end_mark = self.reader.get_mark()
                return comment, start_mark, end_mark


def restore_tabs(written: str, original: str) -> str:
    """``written`` with each line that is an ``original`` line with its tabs as spaces put back as it was."""
    with_tabs = {line.replace("\t", " "): line for line in original.split("\n") if "\t" in line}
    if not with_tabs:
        return written
    return "\n".join(with_tabs.get(line, line) for line in written.split("\n"))
