"""Read one CSV file strictly: every problem is `file:line: what is wrong`, nothing is repaired.

A field is refused, never cleaned, when it holds a control character (CR, LF, NUL, the
Unicode line and paragraph separators, …): stored, such a value would break a mail header, a
terminal line or a workbook cell far from the file that brought it. A row with more or fewer
fields than the header is refused (a stray comma shifts every later column), and so is a
field longer than `MAX_FIELD` (the csv module would raise its own error without a line).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vocabulary import _

# The longest field any column may hold; each column also has its own, smaller limit
# (models.org_import) so the error can name the column.
MAX_FIELD = 4096
# Characters no field may hold: every C0/C1 control (tab included: a tab in a name is a
# paste accident) and the Unicode line/paragraph separators and bidi overrides, which turn
# a name into another on screen.
_FORBIDDEN_CATEGORIES = {"Cc", "Zl", "Zp"}
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
# The same characters as one pattern, searched in C: a province's files are millions of
# characters, and asking unicodedata about each one took most of an import. Unicode fixes Cc
# as these two ranges and Zl, Zp as one character each (its stability policy);
# tests/models/test_csv_file.py checks the pattern against the categories, code point by
# code point.
FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def bad_character(value: str) -> str | None:
    """The first character `value` must not hold, as U+XXXX with its name, or None."""
    found = FORBIDDEN.search(value)
    if found is None:
        return None
    ch = found.group()
    name = unicodedata.name(ch, "") or _("control character")
    return f"U+{ord(ch):04X} ({name})"


@dataclass
class Rows:
    """The rows of one CSV file with their line numbers, and the problems found reading it."""

    name: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, line: int, problem: str) -> None:
        self.problems.append(f"{self.name}:{line}: {problem}")


def _text(path: Path, out: Rows) -> str | None:
    if path.is_dir():
        out.problems.append(_("{path}: is a directory, not a CSV file").format(path=path))
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        out.problems.append(_("{path}: no such file").format(path=path))
        return None
    except OSError as exc:
        out.problems.append(
            _("{path}: cannot be read ({error})").format(path=path, error=exc.strerror or exc)
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.problems.append(
            _("{source}: not UTF-8 (byte {byte}); save the file as UTF-8").format(
                source=path.name, byte=exc.start
            )
        )
        return None


def read_csv(path: Path, required: tuple[str, ...]) -> Rows:
    """Every row of `path` as column -> stripped value, with the line it starts on."""
    out = Rows(path.name)
    text = _text(path, out)
    if text is None:
        return out
    # newline="" semantics: the reader sees the file's own line ends, so a CR or LF inside
    # a quoted field stays in the field (and is refused below) instead of splitting the row.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_csv_limit = csv.field_size_limit(MAX_FIELD)
    try:
        _rows(reader, out, required)
    finally:
        csv.field_size_limit(previous_csv_limit)
    return out


def _rows(reader: Any, out: Rows, required: tuple[str, ...]) -> None:
    line = 1
    header: list[str] | None = None
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                out.add(
                    line, _("field too long (more than {limit} characters)").format(limit=MAX_FIELD)
                )
            else:
                out.add(line, _("not a valid CSV row ({error})").format(error=exc))
            return  # the reader cannot find the next row reliably after this
        stripped = [c.strip() for c in cells]  # once per row: a province's file is 300,000
        if not any(stripped):
            continue  # a blank line
        if header is None:
            header = stripped
            if _check_header(out, header, required):
                return
            continue
        if len(cells) != len(header):
            out.add(
                line,
                _(
                    "{fields} fields where the header has {columns}; "
                    "quote a value that holds a comma"
                ).format(fields=len(cells), columns=len(header)),
            )
            continue
        row = dict(zip(header, stripped, strict=True))
        if FORBIDDEN.search("".join(stripped)) is None:
            out.rows.append((line, row))  # the usual row: one search over all its fields
            continue
        for column, value in row.items():
            bad = bad_character(value)
            if bad:
                out.add(
                    line,
                    _("{column} holds {character}; remove it (nothing is stripped)").format(
                        column=column, character=bad
                    ),
                )
        out.rows.append((line, row))
    if header is None:
        out.add(
            1,
            _("the file is empty; it needs the header {header}").format(header=",".join(required)),
        )


def _check_header(out: Rows, header: list[str], required: tuple[str, ...]) -> bool:
    """Record the header's problems; True if there are any (the rows are not read then)."""
    problems = []
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(_("missing column(s) {columns}").format(columns=", ".join(missing)))
    seen: set[str] = set()
    for column in header:
        if not column:
            problems.append(_("a column has no name"))
        elif column in seen:
            problems.append(_("column {column!r} appears twice").format(column=column))
        seen.add(column)
    for problem in problems:
        out.add(1, problem)
    return bool(problems)
