"""Parse a sqitch plan file the way sqitch 1.3.1 does, without running sqitch.

Pure: ``parse_plan(data, path)`` takes the file's bytes and returns a :class:`Plan` with one
:class:`PlanLine` per line, the changes, tags and pragmas, and the errors.

Fidelity to sqitch (``App::Sqitch::Plan``, ``Plan::Depend``, ``Plan::Line`` in 1.3.1):

- The same patterns, with Perl's Unicode semantics: ``[[:blank:]]`` includes NBSP and the other
  horizontal spaces, ``\\b`` uses Perl's word characters (see :func:`_classify`), notes are trimmed
  with Perl's ``\\s``.
- The same order of checks, so the first error (message and line) is the one sqitch reports.
  sqitch stops there; we go on collecting errors that stay true whatever the fix of the earlier
  one is (errors about a line on its own), and drop the ones that depend on a line we had to skip.
- Perl truthiness where sqitch relies on it: a change named ``0``, a planner named ``0``, a
  project named ``0``, a dependency list ``[0]`` and a last line ``0`` without a newline behave
  as in sqitch.
- Inputs on which sqitch 1.3.1 dies with a Perl error or never finishes (impossible dates, empty
  dependencies such as ``[!]`` or ``[x:]``, a bare change ID as dependency) are errors of kind
  :attr:`ErrorKind.CRASH` with a plain message.
- Strict UTF-8 as sqitch's ``:utf8_strict`` layer reads it (ill-formed bytes, surrogates and
  noncharacters are fatal), including *when* sqitch notices: the layer decodes 8 KiB at a time,
  so a bad byte late in a big file comes after the syntax errors before it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from enum import StrEnum

__all__ = [
    "Change",
    "Dependency",
    "ErrorKind",
    "LineKind",
    "Plan",
    "PlanError",
    "PlanLine",
    "Pragma",
    "Tag",
    "parse_plan",
]

# --------------------------------------------------------------------------------------------
# Public data


class LineKind(StrEnum):
    PRAGMA = "pragma"
    CHANGE = "change"
    TAG = "tag"
    BLANK = "blank"
    COMMENT = "comment"
    INVALID = "invalid"  # sqitch rejects this line (see Plan.errors)
    UNREAD = "unread"  # sqitch never reads it: after a fatal decoding error, or a last line "0"


class ErrorKind(StrEnum):
    SYNTAX = "syntax"  # "Syntax error in FILE at line N: MESSAGE"
    PROJECT = "project"  # "Missing %project pragma in FILE"
    DEPENDENCY = "dependency"  # "Dependency error(s) detected:" items, no line number
    ENCODING = "encoding"  # the :utf8_strict layer dies, no line number
    CRASH = "crash"  # sqitch 1.3.1 dies with a Perl error or loops; our own message


@dataclass(frozen=True)
class PlanError:
    """One error. ``message`` is sqitch's wording (ours for ``CRASH``).

    ``line`` is the plan line the error is about; sqitch itself prints it only for ``SYNTAX``
    errors (see :attr:`sqitch_line`). ``hint`` is a plain-words explanation where sqitch's
    message misleads, or sqitch's own ``HINT:`` for dependency order errors.
    """

    kind: ErrorKind
    message: str
    line: int | None
    hint: str | None = None

    @property
    def sqitch_line(self) -> int | None:
        return self.line if self.kind is ErrorKind.SYNTAX else None

    def sqitch_text(self, path: str) -> str:
        """The message as sqitch prints it (the first line of it, for dependency errors)."""
        if self.kind is ErrorKind.SYNTAX:
            return f"Syntax error in {path} at line {self.line}: {self.message}"
        return self.message


@dataclass(frozen=True)
class PlanLine:
    number: int  # 1-based
    text: str  # decoded, without the line ending (bytes that are not UTF-8: surrogate escapes)
    ending: str  # "\n", "\r\n" or "" (last line without newline)
    kind: LineKind


@dataclass(frozen=True)
class Pragma:
    line: int
    name: str
    value: str | None  # None for a bare "%name"


@dataclass(frozen=True)
class Dependency:
    """One entry of a change's ``[...]`` list; ``start:end`` is its span in the line text."""

    text: str
    start: int
    end: int
    conflicts: bool
    project: str | None
    change: str | None
    tag: str | None
    id: str | None

    @property
    def type(self) -> str:
        return "conflicts" if self.conflicts else "requires"

    @property
    def key_name(self) -> str:
        key = (self.change or "") + (f"@{self.tag}" if self.tag is not None else "")
        return key or (self.id or "")


@dataclass(frozen=True)
class Change:
    line: int
    name: str
    name_start: int  # span of the name in the line text
    name_end: int
    operator: str  # "", "+" or "-"
    dependencies: tuple[Dependency, ...]
    timestamp: str  # as written: YYYY-MM-DDTHH:MM:SSZ
    planner_name: str
    planner_email: str
    note_raw: str  # as written after "#" and blanks ("" without a note)
    note: str  # trimmed, with \\n \\r \\\\ decoded
    since_tag: str | None  # the last tag above this change
    tags: tuple[str, ...] = ()  # tags declared right after this change, in order
    # Non-empty iff a later line reworks this change: the tags between this instance and the
    # next one, nearest first, then this change's own tags. Its scripts are name@TAG.ext.
    rework_tags: tuple[str, ...] = ()

    @property
    def requires(self) -> tuple[Dependency, ...]:
        return tuple(d for d in self.dependencies if not d.conflicts)

    @property
    def conflicts(self) -> tuple[Dependency, ...]:
        return tuple(d for d in self.dependencies if d.conflicts)

    @property
    def is_reworked(self) -> bool:
        return bool(self.rework_tags)


@dataclass(frozen=True)
class Tag:
    line: int
    name: str  # without "@"
    name_start: int
    name_end: int
    change: str  # the change it tags (the change above it)
    change_line: int
    timestamp: str
    planner_name: str
    planner_email: str
    note_raw: str
    note: str


@dataclass(frozen=True)
class Plan:
    path: str
    lines: tuple[PlanLine, ...]
    pragmas: tuple[Pragma, ...]
    changes: tuple[Change, ...]
    tags: tuple[Tag, ...]
    errors: tuple[PlanError, ...]
    project: str | None = None
    uri: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def first_error(self) -> PlanError | None:
        """The error sqitch 1.3.1 reports (it stops at the first one)."""
        return self.errors[0] if self.errors else None

    @property
    def last_change(self) -> Change | None:
        return self.changes[-1] if self.changes else None


# --------------------------------------------------------------------------------------------
# Character classes with Perl's Unicode semantics

# [[:blank:]] on a decoded (UTF-8 flagged) Perl string: \h.
_BLANK_CHARS = "\t \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_BLANK_CHARS += "\u202f\u205f\u3000"
# Perl \s (used by Plan::Line to trim notes and by Plan::Pragma for values).
_PERL_SPACE = _BLANK_CHARS + "\n\x0b\x0c\r\x85\u2028\u2029"
# sqitch's $punct: [:punct:] of ASCII without "_".
_PUNCT_CHARS = "-!\"#$%&'()*+,./:;<=>?@[\\]^`{|}~"

_B = "".join(re.escape(c) if c in "\t " else c for c in _BLANK_CHARS)
_P = "".join(re.escape(c) for c in _PUNCT_CHARS)

# Stand-ins for non-ASCII characters (see _classify): a Perl word character that is not a
# digit, and a character that is neither a word character, a digit, a blank nor ASCII.
_WORD_STANDIN = "\xaa"
_OTHER_STANDIN = "\xa4"
_BLANK_SET = frozenset(_BLANK_CHARS)
_WORD_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Nd", "Mn", "Mc", "Me", "Pc"})
_OTHER_ALPHABETIC_SO = (
    (0x24B6, 0x24E9),
    (0x1F130, 0x1F149),
    (0x1F150, 0x1F169),
    (0x1F170, 0x1F189),
)
_classified: dict[str, str] = {}


def _perl_word(char: str) -> bool:
    """Perl's \\w for one character: Alphabetic, Nd, marks, Pc and the join controls."""
    code = ord(char)
    if unicodedata.category(char) in _WORD_CATEGORIES or code in (0x200C, 0x200D):
        return True
    # Other_Alphabetic symbols (circled and squared Latin letters), category So.
    return any(low <= code <= high for low, high in _OTHER_ALPHABETIC_SO)


def _classify(text: str) -> str:
    """Map each non-ASCII character to a stand-in with the same Perl classes.

    Python's ``re`` and Perl disagree on ``\\w`` (marks, ``No`` digits, circled letters), which
    decides where ``\\b`` matches in sqitch's name pattern. Blanks and decimal digits (the same
    in both) are kept; every other non-ASCII character becomes a word or non-word stand-in.
    The mapping keeps offsets, so match spans index the original text.
    """
    if text.isascii():
        return text
    out = []
    for char in text:
        if char.isascii() or char in _BLANK_SET:
            out.append(char)
            continue
        mapped = _classified.get(char)
        if mapped is None:
            if unicodedata.category(char) == "Nd":
                mapped = char
            else:
                mapped = _WORD_STANDIN if _perl_word(char) else _OTHER_STANDIN
            _classified[char] = mapped
        out.append(mapped)
    return "".join(out)


# --------------------------------------------------------------------------------------------
# sqitch's patterns, translated

_NAME = (
    rf"(?![{_P}])"  # first character isn't punctuation
    rf"(?:(?![~/=%^]\d+(?:$|[{_B}]))[^{_B}:@#\\])+"  # no ~N /N =N %N ^N at a name's end
    rf"(?<![{_P}])\b"  # last character isn't punctuation
)
_NAME_RE = re.compile(rf"{_NAME}\Z")
_TS = r"(?P<yr>\d{4})-(?P<mo>\d{2})-(?P<dy>\d{2})T(?P<hr>\d{2}):(?P<mi>\d{2}):(?P<sc>\d{2})Z"
_TS_RE = re.compile(_TS)
_PRAGMA_RE = re.compile(
    rf"(?P<lspace>[{_B}]*)?%(?P<hspace>[{_B}]*)?"
    rf"(?P<name>[^{_P}](?:[^{_B}=]*?[^{_P}{_B}])?)"
    rf"(?:(?P<lopspace>[{_B}]*)(?P<operator>=)(?P<ropspace>[{_B}]*)(?P<value>.+))?\Z"
)
_LINE_RE = re.compile(
    rf"(?P<lspace>[{_B}]*)?"
    rf"(?:@|(?P<lopspace>[{_B}]*)(?P<operator>[+-])(?P<ropspace>[{_B}]*))?"
    rf"(?P<name>{_NAME})(?P<pspace>[{_B}]+)?"
    rf"(?:\[(?P<dependencies>[^\]]+)\][{_B}]*)?"
    rf"(?:{_TS}[{_B}]*)?"
    rf"(?:(?P<planner_name>[^<]+)[{_B}]+<(?P<planner_email>[^>]+)>)?$"
)
_DEP_RE = re.compile(
    rf"(?P<conflicts>!?)(?:(?P<project>{_NAME}):)?"
    rf"(?:(?P<id>[0-9a-f]{{40}})|(?P<change>{_NAME})(?:@(?P<tag1>{_NAME}))?|(?:@(?P<tag2>{_NAME}))?)"
)
_DEP_SPLIT_RE = re.compile(rf"[{_B}]+")
_DEP_TOKEN_RE = re.compile(rf"[^{_B}]+")
_SHA1_PREFIX_RE = re.compile(r"[0-9a-f]{40}")
_NOTE_ESCAPE_RE = re.compile(r"\\[\\nr]")
_NOTE_ESCAPES = {"\\\\": "\\", "\\n": "\n", "\\r": "\r"}
_NONCHARACTER_RE = re.compile(
    "[\ufdd0-\ufdef\ufffe\uffff"
    + "".join(chr(p << 16 | 0xFFFE) + chr(p << 16 | 0xFFFF) for p in range(1, 17))
    + "]"
)
_PROJECT_LINE_RE = re.compile(rf"[{_B}]*%[{_B}]*project\b")
_BRACKET_TS_RE = re.compile(rf"\[[{_B}]*{_TS}[{_B}]*\]")
_LOOSE_TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")

_INVALID_NAME = (
    'Invalid name; names must not begin with punctuation, contain "@", ":", "#", "\\", or '
    "blanks, or end in punctuation or digits following punctuation"
)
_INVALID_PROJECT = (
    'invalid project name "{}": project names must not begin with punctuation, contain "@", '
    '":", "#", "\\", or blanks, or end in punctuation or digits following punctuation'
)
_INVALID_PRAGMA = "Invalid pragma; a blank line must come between pragmas and changes"
_RESERVED = frozenset({"HEAD", "ROOT"})
_SQITCH_CHUNK = 8192  # PerlIO::utf8_strict decodes this many bytes at a time

# The days whose last minute has a 61st second, per DateTime::LeapSecond (none after 2016).
_LEAP_SECOND_DAYS = frozenset(
    {
        (1972, 6, 30), (1972, 12, 31), (1973, 12, 31), (1974, 12, 31), (1975, 12, 31),
        (1976, 12, 31), (1977, 12, 31), (1978, 12, 31), (1979, 12, 31), (1981, 6, 30),
        (1982, 6, 30), (1983, 6, 30), (1985, 6, 30), (1987, 12, 31), (1989, 12, 31),
        (1990, 12, 31), (1992, 6, 30), (1993, 6, 30), (1994, 6, 30), (1995, 12, 31),
        (1997, 6, 30), (1998, 12, 31), (2005, 12, 31), (2008, 12, 31), (2012, 6, 30),
        (2015, 6, 30), (2016, 12, 31),
    }
)  # fmt: skip


def _truthy(value: str | None) -> bool:
    """Perl's truth for a string: undef, "" and "0" are false."""
    return value is not None and value not in ("", "0")


def _perl_trim(text: str) -> str:
    return text.strip(_PERL_SPACE)


def _decode_note(raw: str) -> str:
    """Plan::Line's BUILDARGS: trim (Perl \\s), then decode \\\\, \\n and \\r in one pass."""
    if not _truthy(raw):
        return raw
    trimmed = _perl_trim(raw)
    if "\\" not in trimmed:
        return trimmed
    return _NOTE_ESCAPE_RE.sub(lambda m: _NOTE_ESCAPES[m.group()], trimmed)


def _split_note(text: str) -> tuple[str, str | None, int]:
    """sqitch's ``s/(?<rspace>[[:blank:]]*)(?:[#][[:blank:]]*(?<note>.*))?$//``.

    Returns (the line without note and trailing blanks, the note or None, the note's offset).
    The leftmost match starts at the blanks before the first ``#``, or at trailing blanks.
    """
    hash_at = text.find("#")
    if hash_at < 0:
        return text.rstrip(_BLANK_CHARS), None, len(text)
    head = text[:hash_at].rstrip(_BLANK_CHARS)
    after = text[hash_at + 1 :]
    note = after.lstrip(_BLANK_CHARS)
    return head, note, len(text) - len(note)


def _blank_or_comment(text: str) -> tuple[bool, str | None]:
    """``\\A(?<lspace>[[:blank:]]*)(?:#[[:blank:]]*(?<note>.+)|$)``: (matches, raw note)."""
    rest = text.lstrip(_BLANK_CHARS)
    if not rest:
        return True, None
    if rest[0] != "#" or len(rest) == 1:
        return False, None
    after = rest[1:]
    note = after.lstrip(_BLANK_CHARS)
    # ".+" needs one character: a run of blanks gives its last one back.
    return True, note if note else after[-1]


def _month_length(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _timestamp_problem(parts: dict[str, str]) -> str | None:
    """Why App::Sqitch::DateTime->new (DateTime 1.x) would die on these fields, or None."""
    fields = (parts["yr"], parts["mo"], parts["dy"], parts["hr"], parts["mi"], parts["sc"])
    if not "".join(fields).isascii():
        return "it uses digits other than 0-9"
    year, month, day, hour, minute, second = map(int, fields)
    if month <= 12 and 1 <= day <= 28 and hour <= 23 and minute <= 59 and second <= 59 and month:
        return None  # the common case
    if not 1 <= month <= 12:
        return f"there is no month {parts['mo']}"
    if not 1 <= day <= _month_length(year, month):
        if 1 <= day <= 31:
            return f"{year:04d}-{month:02d} has no day {parts['dy']}"
        return f"there is no day {parts['dy']}"
    if hour > 23:
        return f"there is no hour {parts['hr']}"
    if minute > 59:
        return f"there is no minute {parts['mi']}"
    if second == 60 and (hour, minute) == (23, 59) and (year, month, day) in _LEAP_SECOND_DAYS:
        return None
    if second > 59:
        return f"there is no second {parts['sc']} (not a leap second)"
    return None


# --------------------------------------------------------------------------------------------
# Decoding


@dataclass(frozen=True)
class _DecodeFailure:
    message: str
    byte_offset: int  # where the bad sequence starts
    detected_at: int  # the byte whose reading makes sqitch notice


def _decode(data: bytes) -> tuple[str, _DecodeFailure | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        octets = " ".join(f"{b:02X}" for b in data[exc.start : exc.end])
        if exc.reason == "unexpected end of data":
            failure = _DecodeFailure(
                f"Can't decode ill-formed UTF-8 octet sequence <{octets}> at end of file",
                exc.start,
                len(data),
            )
        else:
            detected = exc.end if exc.reason == "invalid continuation byte" else exc.start
            failure = _DecodeFailure(
                f"Can't decode ill-formed UTF-8 octet sequence <{octets}>", exc.start, detected
            )
        text = data.decode("utf-8", "surrogateescape")
        nonchar = _first_noncharacter(text, data)
        if nonchar is not None and nonchar.detected_at < failure.detected_at:
            failure = nonchar
        return text, failure
    return text, _first_noncharacter(text, data)


def _first_noncharacter(text: str, data: bytes) -> _DecodeFailure | None:
    match = None if text.isascii() else _NONCHARACTER_RE.search(text)
    if match is None:
        return None
    start = len(text[: match.start()].encode("utf-8", "surrogateescape"))
    size = len(match.group().encode("utf-8"))
    return _DecodeFailure(
        f"Can't interchange noncharacter code point U+{ord(match.group()):04X}",
        start,
        start + size - 1,
    )


# --------------------------------------------------------------------------------------------
# The parser


@dataclass
class _ChangeBuild:
    change: Change
    tags: list[str] = field(default_factory=list)
    rework_tags: list[str] = field(default_factory=list)


class _Parser:
    def __init__(self, data: bytes, path: str) -> None:
        self.path = path
        self.text, self.decode_failure = _decode(data)
        self.lines: list[PlanLine] = []
        self.pragmas: list[Pragma] = []
        self.changes: list[_ChangeBuild] = []
        self.tags: list[Tag] = []
        self.errors: list[PlanError] = []
        self.deferred: list[PlanError] = []  # sqitch fails on these after parsing (ids)
        self.project: str | None = None
        self.uri: str | None = None
        # True once we skipped a line sqitch would have stopped at: from then on only errors
        # that concern a line on its own are reported (context-dependent ones could be false).
        self.dropped = False
        # sqitch's bookkeeping (see App::Sqitch::Plan::_parse).
        self.line_no_for: dict[str, int] = {}
        self.tag_changes: dict[str, int] = {}
        self.curr_changes: list[_ChangeBuild] = []
        self.change_named: dict[str, _ChangeBuild] = {}
        self.prev_change: _ChangeBuild | None = None
        self.prev_tag: str | None = None

    # -- errors

    def error(self, kind: ErrorKind, message: str, line: int | None, hint: str | None) -> None:
        self.errors.append(PlanError(kind, message, line, hint))

    def contextual(self, kind: ErrorKind, message: str, line: int | None, hint: str | None) -> bool:
        """Record an error that depends on other lines; False if it cannot be trusted."""
        if self.dropped:
            return False
        self.error(kind, message, line, hint)
        return True

    def syntax(self, number: int, message: str, hint: str | None = None) -> None:
        self.error(ErrorKind.SYNTAX, message, number, hint)

    # -- driver

    def raw_lines(self) -> list[tuple[int, str, str, int, int]]:
        """(number, text, ending, start byte, end byte) per line, like ``$fh->getline``."""
        out: list[tuple[int, str, str, int, int]] = []
        offset = 0
        pieces = self.text.split("\n")
        last = len(pieces) - 1
        for index, piece in enumerate(pieces):
            size = len(piece) if piece.isascii() else len(piece.encode("utf-8", "surrogateescape"))
            if index == last:
                if piece:
                    out.append((index + 1, piece, "", offset, offset + size))
                break
            if piece.endswith("\r"):
                out.append((index + 1, piece[:-1], "\r\n", offset, offset + size + 1))
            else:
                out.append((index + 1, piece, "\n", offset, offset + size + 1))
            offset += size + 1
        return out

    def fatal_decode_line(self, raw: list[tuple[int, str, str, int, int]]) -> int | None:
        """The line whose reading makes sqitch's UTF-8 layer die, or None.

        The layer decodes the file 8 KiB at a time and dies on the first chunk holding a bad
        sequence, which ``getline`` reads when it needs that chunk's first byte.
        """
        failure = self.decode_failure
        if failure is None or not raw:
            return None
        chunk_start = failure.detected_at // _SQITCH_CHUNK * _SQITCH_CHUNK
        target = min(chunk_start, raw[-1][4] - 1)
        return next((n for n, _t, _e, start, end in raw if start <= target < end), raw[-1][0])

    def run(self) -> Plan:
        raw = self.raw_lines()
        fatal_at = self.fatal_decode_line(raw)
        in_header = True
        stopped = False
        for number, text, ending, _start, _end in raw:
            if not stopped and number == fatal_at:
                assert self.decode_failure is not None
                where = next(
                    (n for n, _t, _e, s, e in raw if s <= self.decode_failure.byte_offset < e),
                    None,
                )
                self.error(
                    ErrorKind.ENCODING,
                    self.decode_failure.message,
                    where,
                    "sqitch reads plans as strict UTF-8; re-save the file as UTF-8",
                )
                stopped = True
            if stopped or (ending == "" and text == "0"):
                # Unread: after a fatal decoding error, or a last line "0" without newline,
                # which ends sqitch's ``while (my $line = $fh->getline)`` as a false value.
                self.lines.append(PlanLine(number, text, ending, LineKind.UNREAD))
                continue
            if in_header:
                kind, in_header = self.header_line(number, text)
                if not in_header:
                    self.end_header(raw, number)
                    if kind is LineKind.INVALID:
                        # A change in the header: go on as if the blank line were there.
                        errors = len(self.errors)
                        kind = self.body_line(number, text)
                        del self.errors[errors:]
                        if kind is LineKind.INVALID:
                            self.dropped = True
            else:
                kind = self.body_line(number, text)
            self.lines.append(PlanLine(number, text, ending, kind))
        if in_header and not stopped:
            self.end_header(raw, None)
        if not stopped:
            self.close_section()
            self.errors.extend(self.deferred)
        return self.build()

    # -- header

    def header_line(self, number: int, text: str) -> tuple[LineKind, bool]:
        """Returns (kind, still in the header). An INVALID line that ends the header is a
        change or tag written before the blank line that must end the header."""
        matched, note = _blank_or_comment(text)
        if matched:
            if note is None:
                return LineKind.BLANK, False
            # A comment whose trimmed note is false ("" or "0") ends the header too.
            return LineKind.COMMENT, _truthy(_decode_note(note))
        head, _note, _ = _split_note(text)
        match = _PRAGMA_RE.match(_classify(head))
        if match is None:
            looks_like_change = not head.lstrip(_BLANK_CHARS).startswith("%") and bool(
                _LINE_RE.match(_classify(head))
            )
            self.syntax(number, _INVALID_PRAGMA, self.pragma_hint(number, text, head))
            if looks_like_change and not (number == 1 and text.startswith("\ufeff")):
                return LineKind.INVALID, False
            self.dropped = True
            return LineKind.INVALID, True
        name = head[match.start("name") : match.end("name")]
        value = None if match.group("value") is None else head[match.start("value") :]
        if name == "project":
            if value is None or not _NAME_RE.match(_classify(value)):
                # sqitch leaves the placeholder in when there is no value at all.
                shown = "{project}" if value is None else value
                self.syntax(number, _INVALID_PROJECT.format(shown), self.project_hint(value))
                self.dropped = True
                return LineKind.INVALID, True
            self.project = value
        elif name == "uri":
            self.uri = value
        self.pragmas.append(Pragma(number, name, value))
        return LineKind.PRAGMA, True

    def pragma_hint(self, number: int, text: str, head: str) -> str | None:
        if number == 1 and text.startswith("\ufeff"):
            return (
                "the file starts with a UTF-8 byte order mark (BOM), which sqitch does not "
                "skip; save the plan as UTF-8 without BOM"
            )
        if head.strip(_BLANK_CHARS) == "" and "#" in text:
            return "a comment line needs text after '#'; sqitch rejects a bare '#'"
        if _LINE_RE.match(_classify(head)) and not head.lstrip(_BLANK_CHARS).startswith("%"):
            return (
                f"line {number} is a change or tag inside the pragma header: sqitch needs a "
                "blank line between the last pragma and the first change"
            )
        if head.lstrip(_BLANK_CHARS).startswith("%"):
            return "a pragma is %name or %name = value, and a value cannot be empty"
        return None

    @staticmethod
    def project_hint(value: str | None) -> str:
        if value is None:
            return "write the project name after '=': %project=name"
        return "project names follow the same rules as change names"

    def end_header(self, raw: list[tuple[int, str, str, int, int]], at: int | None) -> None:
        """sqitch's check after the header (``at``: the line that ended it, None at EOF)."""
        if _truthy(self.project) or self.dropped:
            return
        later = next(
            (
                n
                for n, text, _e, _s, _end in raw
                if at is not None and n > at and _PROJECT_LINE_RE.match(text)
            ),
            None,
        )
        hint = None
        if at == 1 and not raw[0][1].strip(_BLANK_CHARS):
            hint = "the plan starts with a blank line, which ends the pragma header"
        elif self.project == "0":
            hint = 'sqitch treats the project name "0" as missing'
        elif later is not None:
            hint = f"sqitch reads pragmas only up to the first blank line; see line {later}"
        self.error(ErrorKind.PROJECT, f"Missing %project pragma in {self.path}", None, hint)

    # -- body

    def body_line(self, number: int, text: str) -> LineKind:
        matched, _note = _blank_or_comment(text)
        if matched:
            return LineKind.BLANK if _note is None else LineKind.COMMENT
        head, note, _note_at = _split_note(text)
        is_tag = head.lstrip(_BLANK_CHARS)[:1] == "@"  # sqitch: /^[[:blank:]]*[@]/
        classified = _classify(head)
        match = _LINE_RE.match(classified)
        groups: dict[str, str] = {}
        if match is not None:
            if classified is head:  # ASCII: the groups are the original text
                groups = {k: v for k, v in match.groupdict().items() if v is not None}
            else:
                groups = {
                    k: head[match.start(k) : match.end(k)]
                    for k, v in match.groupdict().items()
                    if v is not None
                }
        name = groups.get("name")
        if not _truthy(name) or ("yr" not in groups and _TS_RE.search(classified)):
            self.syntax(number, _INVALID_NAME, self.name_hint(text, head, name))
            self.dropped = True
            return LineKind.INVALID
        assert name is not None
        has_ts = "yr" in groups
        has_planner = _truthy(groups.get("planner_name"))
        if not has_ts or not has_planner:
            if not has_ts and not has_planner:
                message = "Missing timestamp and planner name and email"
            elif not has_ts:
                message = "Missing timestamp"
            else:
                message = "Missing planner name and email"
            self.syntax(number, message, self.missing_hint(head, groups, has_ts))
            self.dropped = True
            return LineKind.INVALID
        if name in _RESERVED:
            self.syntax(number, f'"{"@" if is_tag else ""}{name}" is a reserved name')
            self.dropped = True
            return LineKind.INVALID
        if len(name) >= 40 and _SHA1_PREFIX_RE.match(name):
            self.syntax(number, f'"{name}" is invalid because it could be confused with a SHA1 ID')
            self.dropped = True
            return LineKind.INVALID
        timestamp = head[match.start("yr") : match.end("sc") + 1] if match else ""
        problem = _timestamp_problem(groups)
        if problem is not None:
            self.error(
                ErrorKind.CRASH,
                f'Invalid timestamp "{timestamp}": {problem}',
                number,
                "sqitch 1.3.1 stops here with a Perl DateTime error instead of a syntax error",
            )
        note_raw = note or ""
        assert match is not None
        if is_tag:
            return self.tag_line(number, match, groups, timestamp, note_raw)
        return self.change_line(number, match, groups, head, timestamp, note_raw)

    def name_hint(self, text: str, head: str, name: str | None) -> str | None:
        if _BRACKET_TS_RE.search(head):
            return (
                "the timestamp must not be in brackets: sqitch reads [...] as a dependency "
                "list; write `name YYYY-MM-DDTHH:MM:SSZ planner <email>`"
            )
        if head.strip(_BLANK_CHARS) == "" and "#" in text:
            return "a comment line needs text after '#'; sqitch rejects a bare '#'"
        if name == "0":
            return 'sqitch treats a change or tag named "0" as having no name'
        if head.startswith("\ufeff"):
            return "the line starts with a byte order mark (U+FEFF); remove it"
        if head.endswith("\r"):
            return "the line ends with a carriage return but no line feed"
        if head.lstrip(_BLANK_CHARS).startswith("%"):
            return "pragmas are only allowed in the header, before the first blank line"
        if "#" in text and head.count("<") > head.count(">"):
            return "'#' starts a note, so the planner's name and email cannot contain '#'"
        if _TS_RE.search(head):
            return (
                "the text before the timestamp must be one name, optionally followed by "
                "[dependencies]; names cannot contain blanks, ':', '@', '#' or '\\'"
            )
        return None

    @staticmethod
    def missing_hint(head: str, groups: dict[str, str], has_ts: bool) -> str | None:
        if groups.get("planner_name") == "0":
            return 'sqitch treats a planner named "0" as missing'
        if not has_ts and _LOOSE_TS_RE.search(head):
            return (
                "the timestamp must be exactly YYYY-MM-DDTHH:MM:SSZ (UTC, capital T and Z, "
                "no fraction or offset)"
            )
        if head.count("<") > head.count(">"):
            return "'#' starts a note, so the planner's name and email cannot contain '#'"
        if has_ts:
            return "after the timestamp comes the planner: `Name <email>`"
        return None

    def tag_line(
        self,
        number: int,
        match: re.Match[str],
        groups: dict[str, str],
        timestamp: str,
        note_raw: str,
    ) -> LineKind:
        name = groups["name"]
        if "/" in name:
            self.syntax(number, f'Tag "{name}" contains illegal character /')
            self.dropped = True
            return LineKind.INVALID
        if self.prev_change is None:
            if self.contextual(
                ErrorKind.SYNTAX, f'Tag "{name}" declared without a preceding change', number, None
            ):
                self.dropped = True
            return LineKind.INVALID
        key = "@" + name
        if key in self.line_no_for:
            if self.contextual(
                ErrorKind.SYNTAX,
                f'Tag "{name}" duplicates earlier declaration on line {self.line_no_for[key]}',
                number,
                None,
            ):
                self.dropped = True
            return LineKind.INVALID
        if _truthy(groups.get("dependencies")):
            self.syntax(number, "Tags may not specify dependencies")
            self.dropped = True
            return LineKind.INVALID
        self.close_section()
        prev = self.prev_change
        prev.tags.append(name)
        self.tags.append(
            Tag(
                line=number,
                name=name,
                name_start=match.start("name"),
                name_end=match.end("name"),
                change=prev.change.name,
                change_line=prev.change.line,
                timestamp=timestamp,
                planner_name=groups["planner_name"],
                planner_email=groups["planner_email"],
                note_raw=note_raw,
                note=_decode_note(note_raw),
            )
        )
        self.prev_tag = name
        self.line_no_for.update(self.tag_changes)
        self.line_no_for[key] = number
        self.tag_changes = {}
        return LineKind.TAG

    def change_line(
        self,
        number: int,
        match: re.Match[str],
        groups: dict[str, str],
        head: str,
        timestamp: str,
        note_raw: str,
    ) -> LineKind:
        name = groups["name"]
        if name in self.tag_changes:
            if self.contextual(
                ErrorKind.SYNTAX,
                f'Change "{name}" duplicates earlier declaration on line {self.tag_changes[name]}',
                number,
                "a change name may repeat only after a tag (a rework: sqitch rework)",
            ):
                self.dropped = True
            return LineKind.INVALID
        dependencies: list[Dependency] = []
        deps_text = groups.get("dependencies")
        if _truthy(deps_text):
            assert deps_text is not None
            dependencies = self.parse_dependencies(number, head, match, deps_text)
        change = Change(
            line=number,
            name=name,
            name_start=match.start("name"),
            name_end=match.end("name"),
            operator=groups.get("operator", ""),
            dependencies=tuple(dependencies),
            timestamp=timestamp,
            planner_name=groups["planner_name"],
            planner_email=groups["planner_email"],
            note_raw=note_raw,
            note=_decode_note(note_raw),
            since_tag=self.prev_tag,
        )
        build = _ChangeBuild(change)
        self.tag_changes[name] = number
        duped = self.change_named.get(name)
        if duped is not None:
            rework: list[str] = []
            at = next(i for i, b in enumerate(self.changes) if b is duped)
            for later in reversed(self.changes[at + 1 :]):
                rework.extend(later.tags)
            duped.rework_tags.extend([*rework, *duped.tags])
        self.changes.append(build)
        self.curr_changes.append(build)
        self.change_named[name] = build
        self.prev_change = build
        return LineKind.CHANGE

    def parse_dependencies(
        self, number: int, head: str, match: re.Match[str], deps_text: str
    ) -> list[Dependency]:
        base = match.start("dependencies")
        fields = _DEP_SPLIT_RE.split(deps_text)
        while fields and fields[-1] == "":
            fields.pop()  # Perl's split drops trailing empty fields
        if fields and fields[0] == "":
            # A leading empty field parses as an empty dependency: Depend->new dies.
            self.error(
                ErrorKind.CRASH,
                f'Dependency list "[{deps_text}]" starts with a blank',
                number,
                'sqitch 1.3.1 dies with \'Depend object must have either "change", "tag", '
                "or \"id\" defined'; remove the blank after '['",
            )
        seen: set[str] = set()
        out: list[Dependency] = []
        for token in _DEP_TOKEN_RE.finditer(deps_text):
            text = token.group()
            dep = _DEP_RE.fullmatch(_classify(text))
            if dep is None:
                self.syntax(number, f'"{text}" is not a valid dependency specification')
                continue
            part = {k: text[dep.start(k) : dep.end(k)] for k, v in dep.groupdict().items() if v}
            tag = part.get("tag1", part.get("tag2"))
            if not part.get("change") and not tag and not part.get("id"):
                self.error(
                    ErrorKind.CRASH,
                    f'Dependency "{text}" names no change, tag or change ID',
                    number,
                    'sqitch 1.3.1 dies with \'Depend object must have either "change", '
                    '"tag", or "id" defined\'',
                )
                continue
            if text in seen:
                self.syntax(number, f'Duplicate dependency "{text}"')
                continue
            seen.add(text)
            item = Dependency(
                text=text,
                start=base + token.start(),
                end=base + token.end(),
                conflicts=bool(dep.group("conflicts")),
                project=part.get("project"),
                change=part.get("change"),
                tag=tag,
                id=part.get("id"),
            )
            if item.id is not None and item.project is None:
                self.deferred.append(
                    PlanError(
                        ErrorKind.CRASH,
                        f'Dependency "{text}" is a bare change ID',
                        number,
                        "sqitch 1.3.1 recurses forever resolving a change ID without a "
                        "project (it hangs until it runs out of memory); write the change "
                        "name, or PROJECT:ID for a change of another project",
                    )
                )
            out.append(item)
        return out

    def close_section(self) -> None:
        """sqitch's check_changes for the changes since the last tag (raised at a tag or EOF)."""
        if not self.curr_changes:
            return
        section = self.curr_changes
        self.curr_changes = []
        seen = self.line_no_for
        position: dict[str, int] = {}
        invalid: list[tuple[_ChangeBuild, list[str]]] = []
        for index, build in enumerate(section, 1):
            bad: list[str] = []
            for dep in build.change.requires:
                if dep.project is not None:
                    if dep.project != self.project:
                        continue
                elif dep.id is not None:
                    continue
                key = dep.key_name
                if "@" in key[1:]:
                    change, tag = key.split("@", 1)
                    tag_at = seen.get("@" + tag)
                    change_at = seen.get(change)
                    if tag_at and change_at and change_at < tag_at:
                        continue
                elif key in seen or key in position:
                    continue
                bad.append(key)
            position[build.change.name] = index
            if bad:
                invalid.append((build, bad))
        for build, bad in invalid:
            change = build.change.name
            max_delta = 0
            items: list[tuple[str, str | None]] = []
            for dep_key in bad:
                if dep_key == change:
                    items.append((f'Change "{change}" cannot require itself', None))
                elif dep_key in position:
                    delta = position[dep_key] - position[change]
                    max_delta = max(max_delta, delta)
                    plural = "change" if delta == 1 else "changes"
                    items.append(
                        (
                            f'Change "{change}" planned {delta} {plural} before required '
                            f'change "{dep_key}"',
                            None,
                        )
                    )
                else:
                    items.append(
                        (f'Unknown change "{dep_key}" required by change "{change}"', None)
                    )
            if max_delta:
                lines = "line" if max_delta == 1 else "lines"
                message, _ = items[-1]
                items[-1] = (message, f'move "{change}" down {max_delta} {lines} in {self.path}')
            for message, hint in items:
                self.contextual(ErrorKind.DEPENDENCY, message, build.change.line, hint)

    def build(self) -> Plan:
        changes = tuple(
            _with_tags(b.change, tuple(b.tags), tuple(b.rework_tags)) for b in self.changes
        )
        return Plan(
            path=self.path,
            lines=tuple(self.lines),
            pragmas=tuple(self.pragmas),
            changes=changes,
            tags=tuple(self.tags),
            errors=tuple(self.errors),
            project=self.project,
            uri=self.uri,
        )


def _with_tags(change: Change, tags: tuple[str, ...], rework: tuple[str, ...]) -> Change:
    if not tags and not rework:
        return change
    return replace(change, tags=tags, rework_tags=rework)


def parse_plan(data: bytes, path: str) -> Plan:
    """Parse a sqitch plan; ``path`` is used in messages (sqitch prints the plan's path)."""
    return _Parser(data, path).run()
