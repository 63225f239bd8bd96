"""Plan an Alembic renumber: move revision scripts to new ids and file names. Pure, no I/O.

:func:`plan_renumber` takes the text of every script of one chain and a list of
:class:`Move` values, and returns an :class:`~migration_guard.edits.EditPlan` (file edits and
renames) that the caller shows or applies. Nothing is reformatted: each change replaces only
the source span of the literal, docstring id or string constant it concerns, so a renumber
diff touches exactly the tokens that change. Line endings (``\\r\\n``, ``\\r``), a missing
final newline, a byte-order mark, quotes, string prefixes, annotations and comments are kept.

Semantics. All moves form one *block*; first every moved file's old id is mapped to its new
one (``new_revision``, or the old id when None), then:

1. Each moved file gets its new ``revision`` (span only, same quote style), its
   ``down_revision`` set to ``new_down_revisions`` when given (ids of the chain *after* the
   move), else its ``down_revision``/``depends_on`` mapped through the block's id map, so a
   block keeps its internal links; the docstring ``Revision ID:`` and ``Revises:`` lines get
   the same ids (only the ids in those lines change).
2. Every other file naming a moved id in ``down_revision``, ``depends_on`` (full ids; branch
   labels are left alone; Alembic resolves ``depends_on`` by exact id or label only) or its
   docstring ``Revises:`` line gets the new id. Exception: an id that an unmoved file also
   holds (the collision itself: ``0145`` on main and ``0145`` in the pull request) keeps
   pointing at that unmoved file, with a note. A file of the pull request that must follow
   the moved one is then made part of the block with a no-op move
   (``Move(path, path, None)``): block members read block ids as the block's.
3. A module-level ``NAME = "..."`` (or ``NAME: T = "..."``) string constant of a moved file
   whose value contains a changing id of the block *as a token* is rewritten, with one note
   per constant (``path:line: _FLAG 'b1_promote_0145' -> 'b1_promote_0193'``). Token rule:
   the id occurs where it is neither preceded nor followed by an ASCII letter or digit, so
   ``_``, ``-``, quotes, spaces and the string ends are boundaries: ``b1_promote_0145``,
   ``promote_0145_flag`` and ``0145`` match; ``t0145``, ``01450`` and ``0145a`` do not.
   Constants of *unmoved* files that name an id their links follow are only reported (an
   unmoved file may be a bystander), and so is any other mention of a moved file's old id left
   in it (a comment, a string inside a function, an f-string), unless another block member
   takes that id.
4. One :class:`~migration_guard.edits.Rename` per move whose path changes, ordered so that
   applying them one after the other never overwrites a file another move still has to
   vacate. ``FileEdit.path`` is the path *before* the rename; only changed files get one.

Refused (:class:`RenumberError`, nothing planned): a moved path that is not a script of the
chain or is moved twice; a moved file that cannot be read statically, does not parse, or
declares a source encoding other than UTF-8 while not being ASCII (the edit is written as
UTF-8); two moved files with the same old id; a new id that is empty, holds a character
Alembic forbids (``@ - + :``) or one this planner cannot write safely into a literal and a
``Revises:`` line (whitespace, ``,``, quotes, backslash, control characters); a new id held by
an unmoved file or used as a branch label, or given to two moved files; a new parent that will
not exist, is the file itself, or is named twice; a new path that is not a plain relative
path, that Alembic would not load (``__init__*.py``, ``.#*``, not ``.py``), that an unmoved
script holds, that two moves share, or a cycle of renames; a script with no ``revision``
assignment (legacy: Alembic takes its id from a hex file name) whose new file name would not
yield exactly its new id; an unmoved file that cannot be read statically but mentions a
changing or new id as a token; and finally any plan whose result has an error finding
(``alembic_graph.analyse``: a cycle, a file number that disagrees with its id, ...) that the
chain did not have before. A rewritten file that does not read back exactly as planned is a
bug and raises RuntimeError.
"""

from __future__ import annotations

import ast
import io
import itertools
import re
import tokenize
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from migration_guard.chains.alembic.graph import checked
from migration_guard.chains.alembic.reader import SCRIPT_NAME
from migration_guard.chains.alembic.script import (
    ParsedScript,
    ScriptInfo,
    Span,
    Unreadable,
    parse_script,
)
from migration_guard.edits import EditPlan, FileEdit, Rename
from migration_guard.errors import InputError
from migration_guard.model import Severity

ILLEGAL_ID_CHARS = "@-+:"  # Alembic's _revision_illegal_chars (1.20.1)


class RenumberError(InputError):
    """A renumber that cannot be planned safely; nothing is changed."""


@dataclass(frozen=True)
class Move:
    """Move one script of the chain.

    ``new_revision`` None keeps the id (a hash-id chain only renames the file or re-parents);
    ``new_down_revisions`` None keeps the links (mapped through the block), else names the
    new parents among the ids of the chain *after* the move (``()`` makes it a base).
    ``Move(path, path, None)`` changes nothing by itself but makes ``path`` a block member.
    """

    path: str
    new_path: str
    new_revision: str | None
    new_down_revisions: tuple[str, ...] | None = None


# ---------------------------------------------------------------------------------------------
# Source text helpers: offsets, lines, literals

_BREAK = re.compile(r"\r\n|\r|\n")  # how Python numbers lines
_UNSAFE_ID = re.compile(r"[\s,'\"\\]|[^\x20-\x7e\u00a0-\U0010ffff]")
_DOC_REVISION = re.compile(r"[ \t\f]*Revision ID:[ \t]*")
_DOC_REVISES = re.compile(r"[ \t\f]*Revises:")
_DOC_ID = re.compile(r"[^\s,'\"]+")
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_LEGACY_NAME = re.compile(r"([a-f0-9]+)\.py")  # Alembic's legacy id rule, used with fullmatch
_BLANK_TOKENS = frozenset(
    {
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.COMMENT,
        tokenize.ENDMARKER,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
    }
)


class _Source:
    """One file's text with line/column to offset conversion (BOM-aware)."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.base = 1 if text.startswith("\ufeff") else 0
        body = text[self.base :]
        self.starts = [0] + [m.end() for m in _BREAK.finditer(body)]

    def offset(self, line: int, col: int) -> int:
        return self.base + self.starts[line - 1] + col

    def line_bounds(self, line: int) -> tuple[int, int]:
        """Offsets of the start and end (before the line break) of a 1-based line."""
        start = self.base + self.starts[line - 1]
        found = _BREAK.search(self.text, start)
        return start, found.start() if found else len(self.text)

    def line_count(self) -> int:
        return len(self.starts)


def _declared_encoding(text: str) -> str | None:
    """The PEP 263 encoding of the first two lines, normalised like ``tokenize`` does."""
    head = "\n".join(_BREAK.split(text, 2)[:2])
    match = _CODING.search(head)
    if match is None:
        return None
    name = match.group(1).lower().replace("_", "-")
    if name == "utf-8" or name.startswith("utf-8-"):
        return "utf-8"
    return name


def _source_bytes(text: str) -> bytes | None:
    """The bytes Python would have read this text from, or None if that is not knowable."""
    encoding = _declared_encoding(text)
    if encoding is None or encoding == "utf-8" or text.isascii():
        return text.encode("utf-8", "surrogateescape")
    try:
        return text.encode(encoding)
    except (LookupError, UnicodeError):
        return None


def _writable(text: str) -> bool:
    """Can an edit of this text be written back as UTF-8 with the same meaning?"""
    encoding = _declared_encoding(text)
    return encoding is None or encoding == "utf-8" or text.isascii()


@dataclass(frozen=True)
class _Part:
    """One string token: offsets in the file, its prefix, quote and source text."""

    start: int
    end: int
    prefix: str
    quote: str
    text: str


@dataclass(frozen=True)
class _Element:
    """One string value: one token or several adjacent ones (implicit concatenation)."""

    start: int
    end: int
    value: str
    parts: tuple[_Part, ...]

    @property
    def style(self) -> tuple[str, str]:
        return self.parts[0].prefix, self.parts[0].quote


@dataclass(frozen=True)
class _Literal:
    """A literal value in the source: None, a string, or a tuple/list/set of strings."""

    kind: str  # "none", "str", "tuple", "list", "set"
    start: int
    end: int
    elements: tuple[_Element, ...]

    @property
    def values(self) -> tuple[str, ...]:
        items = tuple(e.value for e in self.elements)
        return tuple(dict.fromkeys(items)) if self.kind == "set" else items

    def style(self) -> tuple[str, str] | None:
        """Prefix and quote of the first string in it, if any."""
        return self.elements[0].style if self.elements else None


def _split_token(token: str) -> tuple[str, str, str]:
    """``prefix, quote, body`` of a string token."""
    at = 0
    while token[at] not in "'\"":
        at += 1
    prefix, rest = token[:at], token[at:]
    quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[0]
    return prefix, quote, rest[len(quote) : -len(quote)]


def _read_literal(src: _Source, start: int, end: int) -> _Literal:
    """Lex the literal at ``text[start:end]``; RuntimeError if it is not one (a reader bug)."""
    snippet = src.text[start:end]
    starts = [0] + [m.end() for m in _BREAK.finditer(snippet)]
    readline = io.StringIO(_BREAK.sub("\n", snippet)).readline

    def offset(position: tuple[int, int]) -> int:
        return start + starts[position[0] - 1] + position[1]

    kind: str | None = None
    elements: list[_Element] = []
    parts: list[_Part] = []

    def close() -> None:
        if parts:
            value = "".join(_eval_str(p.text) for p in parts)
            elements.append(_Element(parts[0].start, parts[-1].end, value, tuple(parts)))
            parts.clear()

    try:
        for token in tokenize.generate_tokens(readline):
            if token.type in _BLANK_TOKENS:
                continue
            if token.type == tokenize.STRING:
                # The original text, not token.string: that has its line ends normalised.
                first, last = offset(token.start), offset(token.end)
                prefix, quote, _ = _split_token(token.string)
                parts.append(_Part(first, last, prefix, quote, src.text[first:last]))
                kind = kind or "str"
                continue
            close()
            if kind is None:
                kind = {"None": "none", "(": "tuple", "[": "list", "{": "set"}.get(token.string)
                if kind is None:
                    break
    except (tokenize.TokenError, SyntaxError, ValueError) as exc:
        raise RuntimeError(f"{src.path}: cannot lex literal {snippet!r}: {exc}") from exc
    close()
    if kind is None:
        raise RuntimeError(f"{src.path}: {snippet!r} is not a literal")
    return _Literal(kind, start, end, tuple(elements))


def _eval_str(token: str) -> str:
    value = ast.literal_eval(token)
    if not isinstance(value, str):
        raise ValueError(f"{token} is not a str literal")
    return value


def _write_str(value: str, style: tuple[str, str]) -> str:
    prefix, quote = style
    if "\\" in value or quote[0] in value or not value.isprintable():
        return repr(value)
    return f"{prefix}{quote}{value}{quote}"


def token_pattern(ids: Iterable[str]) -> re.Pattern[str]:
    """Whole-token matcher for ``ids``: not preceded or followed by an ASCII letter or digit.

    With no ids it matches nothing.
    """
    ordered = sorted(set(ids), key=lambda i: (-len(i), i))
    if not ordered:
        return re.compile(r"(?!)")
    alternatives = "|".join(re.escape(i) for i in ordered)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")


def _line_at(text: str, offset: int) -> int:
    """1-based line of ``offset`` in ``text``."""
    return 1 + len(_BREAK.findall(text, 0, offset))


# ---------------------------------------------------------------------------------------------
# Edits of one file


@dataclass(frozen=True)
class _Replace:
    start: int
    end: int
    text: str
    note: str | None = None  # reported as "<final path>:<line>: <note>"


def _apply(text: str, replaces: list[_Replace], final_path: str) -> tuple[str, list[str]]:
    """Apply non-overlapping replacements; returns the new text and the notes, with lines."""
    ordered = sorted(replaces, key=lambda r: (r.start, r.end))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise RuntimeError(f"{final_path}: overlapping edits at offset {after.start}")
    chunks: list[str] = []
    noted: list[tuple[int, str]] = []
    at = length = 0
    for replace in ordered:
        chunks.append(text[at : replace.start])
        length += replace.start - at
        if replace.note is not None:
            noted.append((length, replace.note))
        chunks.append(replace.text)
        length += len(replace.text)
        at = replace.end
    chunks.append(text[at:])
    new_text = "".join(chunks)
    return new_text, [f"{final_path}:{_line_at(new_text, o)}: {note}" for o, note in noted]


def _map_elements(literal: _Literal, mapping: Mapping[str, str]) -> list[_Replace]:
    """Replace each element whose whole value is a mapped id, keeping its quote style."""
    out = []
    for element in literal.elements:
        new = mapping.get(element.value, element.value)
        if new != element.value:
            out.append(_Replace(element.start, element.end, _write_str(new, element.style)))
    return out


def _set_value(
    literal: _Literal, target: tuple[str, ...], fallback: tuple[str, str]
) -> list[_Replace]:
    """Make ``literal`` hold ``target``: element by element when the shape fits, else anew.

    Anew: ``None`` for no id, one string for one, a tuple for several (a list stays a list),
    in the quote style of the literal's first string, else ``fallback``.
    """
    elements = literal.elements
    if literal.values == target and len(elements) == len(target):
        return []
    if target and len(elements) == len(target) and literal.kind != "set":
        return [
            _Replace(e.start, e.end, _write_str(t, e.style))
            for e, t in zip(elements, target, strict=True)
            if e.value != t
        ]
    style = literal.style() or fallback
    items = [_write_str(t, style) for t in target]
    if not items:
        text = "None"
    elif literal.kind == "list":
        text = "[" + ", ".join(items) + "]"
    elif len(items) == 1:
        text = items[0]
    else:
        text = "(" + ", ".join(items) + ")"
    return [_Replace(literal.start, literal.end, text)]


def _doc_revision(src: _Source, line: int | None, old: str, new: str) -> list[_Replace]:
    """The id in the docstring's ``Revision ID: <old>`` line (left alone if it shows another)."""
    if line is None or line > src.line_count() or old == new:
        return []
    start, end = src.line_bounds(line)
    head = _DOC_REVISION.match(src.text, start, end)
    token = _DOC_ID.match(src.text, head.end(), end) if head else None
    if token is None or token.group() != old:
        return []
    return [_Replace(token.start(), token.end(), new)]


def _revises_ids(src: _Source, line: int | None) -> tuple[int, list[re.Match[str]]] | None:
    """Where the value of a docstring ``Revises:`` line starts, and its ids."""
    if line is None or line > src.line_count():
        return None
    start, end = src.line_bounds(line)
    head = _DOC_REVISES.match(src.text, start, end)
    if head is None:
        return None
    stop = end
    for quote in ('"""', "'''"):
        found = src.text.find(quote, head.end(), end)
        if found >= 0:
            stop = min(stop, found)
    return head.end(), list(_DOC_ID.finditer(src.text, head.end(), stop))


def _doc_revises_map(src: _Source, line: int | None, mapping: Mapping[str, str]) -> list[_Replace]:
    found = _revises_ids(src, line)
    if found is None:
        return []
    return [
        _Replace(m.start(), m.end(), mapping[m.group()])
        for m in found[1]
        if mapping.get(m.group(), m.group()) != m.group()
    ]


def _doc_revises_set(src: _Source, line: int | None, target: tuple[str, ...]) -> list[_Replace]:
    found = _revises_ids(src, line)
    if found is None:
        return []
    value_start, ids = found
    if tuple(m.group() for m in ids) == target:
        return []
    text = ", ".join(target)
    if ids:
        return [_Replace(ids[0].start(), ids[-1].end(), text)]
    if src.text[value_start : value_start + 1] in (" ", "\t"):
        return [_Replace(value_start + 1, value_start + 1, text)]
    return [_Replace(value_start, value_start, " " + text)]


@dataclass(frozen=True)
class _Constant:
    names: str
    at: int  # offset of the assignment statement
    element: _Element

    def note(self, text: str) -> _Replace:
        """A note about this constant, on the line of its assignment (in the new text)."""
        return _Replace(self.at, self.at, "", f"{self.names} {text}")


def _string_constants(src: _Source, tree: ast.Module) -> list[_Constant]:
    """Module-level ``NAME = "..."`` / ``NAME: T = "..."`` (not the four revision names)."""
    out = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets = [stmt.target]
        else:
            continue
        value = stmt.value
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if (
            not isinstance(value, ast.Constant)
            or not isinstance(value.value, str)
            or len(names) != len(targets)
            or any(n in _REVISION_NAMES for n in names)
        ):
            continue
        start = _node_offset(src, value.lineno, value.col_offset)
        end = _node_offset(src, value.end_lineno or value.lineno, value.end_col_offset or 0)
        literal = _read_literal(src, start, end)
        if literal.kind == "str" and len(literal.elements) == 1:
            at = _node_offset(src, stmt.lineno, stmt.col_offset)
            out.append(_Constant(" = ".join(names), at, literal.elements[0]))
    return out


_REVISION_NAMES = frozenset({"revision", "down_revision", "branch_labels", "depends_on"})


def _node_offset(src: _Source, line: int, byte_col: int) -> int:
    """Offset of an ``ast`` position (``col_offset`` counts UTF-8 bytes)."""
    start, end = src.line_bounds(line)
    text = src.text[start:end]
    if not text.isascii():
        head = text.encode("utf-8", "surrogateescape")[:byte_col]
        byte_col = len(head.decode("utf-8", "surrogateescape"))
    return start + byte_col


def _rewrite_constant(
    constant: _Constant, pattern: re.Pattern[str], mapping: Mapping[str, str]
) -> list[_Replace] | None:
    """Replace the ids inside the constant's string tokens; None unless that gives exactly
    the value with its ids replaced (escapes, an id split across adjacent literals)."""
    element = constant.element

    def swap(match: re.Match[str]) -> str:
        return mapping[match.group()]

    wanted = pattern.sub(swap, element.value)
    out: list[_Replace] = []
    texts: list[str] = []
    for part in element.parts:
        _, _, inner = _split_token(part.text)
        new_text = f"{part.prefix}{part.quote}{pattern.sub(swap, inner)}{part.quote}"
        texts.append(new_text)
        if new_text != part.text:
            out.append(_Replace(part.start, part.end, new_text))
    try:
        exact = "".join(_eval_str(t) for t in texts) == wanted
    except (ValueError, SyntaxError):
        exact = False
    if not exact or not out:
        return None
    return [*out, constant.note(f"{element.value!r} -> {wanted!r}")]


def _mentioning(src: _Source, tree: ast.Module, pattern: re.Pattern[str]) -> list[_Constant]:
    return [c for c in _string_constants(src, tree) if pattern.search(c.element.value)]


# ---------------------------------------------------------------------------------------------
# Checks


def _refuse(message: str, hint: str | None = None) -> RenumberError:
    return RenumberError(message, hint=hint)


def _parse(path: str, text: str) -> ParsedScript:
    data = _source_bytes(text)
    if data is None:
        return Unreadable(path, None, "its declared source encoding cannot encode its text")
    return parse_script(path, data)


def _check_new_path(move: Move) -> None:
    path = move.new_path
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        raise _refuse(
            f"new path {path!r} for {move.path} is not a plain relative path",
            "give a repository-relative path such as console/migrations/versions/0193_x.py",
        )
    if not SCRIPT_NAME.match(parts[-1]):
        raise _refuse(
            f"Alembic would not load {path} (new path for {move.path})",
            "keep the .py suffix; Alembic skips names starting with __init__ or .#",
        )


def _check_new_id(move: Move) -> None:
    new = move.new_revision
    if new is None:
        return
    if not new:
        raise _refuse(f"the new revision id for {move.path} is empty")
    illegal = "".join(sorted({c for c in new if c in ILLEGAL_ID_CHARS}))
    if illegal:
        raise _refuse(
            f"new revision id {new!r} for {move.path} contains {' '.join(illegal)}; Alembic "
            "does not allow @ - + : in revision ids",
            "use letters, digits and underscores",
        )
    if _UNSAFE_ID.search(new):
        raise _refuse(
            f"new revision id {new!r} for {move.path} contains whitespace, a comma, a quote, "
            "a backslash or a control character",
            "use letters, digits and underscores",
        )


def _check_moved_file(move: Move, script: ParsedScript, text: str) -> ast.Module:
    if isinstance(script, Unreadable):
        where = f"{script.path}:{script.line}" if script.line else script.path
        raise _refuse(
            f"cannot renumber {where}: {script.reason}",
            "fix the file; Alembic cannot load it"
            if script.code == "MG121"
            else "make revision and down_revision plain literals at the top of the file",
        )
    if not _writable(text):
        raise _refuse(
            f"{move.path} declares a source encoding other than UTF-8 and is not ASCII; "
            "renumber only edits UTF-8 files"
        )
    try:
        return ast.parse(text[1:] if text.startswith("\ufeff") else text)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        where = f"{move.path}:{line}" if line else move.path
        raise _refuse(
            f"cannot renumber {where}: syntax error", "fix the file; Alembic cannot load it"
        ) from exc


def _rename_order(renames: list[Rename]) -> tuple[Rename, ...]:
    """Order renames so that none overwrites a file a later one has still to move away."""
    pending = list(renames)
    ordered: list[Rename] = []
    while pending:
        sources = {r.old_path for r in pending}
        ready = [r for r in pending if r.new_path not in sources]
        if not ready:
            names = ", ".join(f"{r.old_path} -> {r.new_path}" for r in pending)
            raise _refuse(
                f"the renames form a cycle ({names})",
                "move the files to free names, in two steps if needed",
            )
        ordered += ready
        pending = [r for r in pending if r not in ready]
    return tuple(ordered)


@dataclass(frozen=True)
class _Block:
    moves: dict[str, Move]  # by path
    infos: dict[str, ScriptInfo]  # by path
    trees: dict[str, ast.Module]  # by path
    ids: dict[str, str]  # old id -> new id, every member
    owner: dict[str, str]  # old id -> path
    changing: dict[str, str]  # old id -> new id, only those that change
    following: dict[str, str]  # the part of ``changing`` unmoved files follow
    unmoved_ids: dict[str, str]  # id -> first unmoved path holding it
    final_ids: frozenset[str]

    def final(self, path: str) -> str:
        move = self.moves.get(path)
        return move.new_path if move is not None else path


def _block(
    sources: Mapping[str, str], parsed: Mapping[str, ParsedScript], moves: Sequence[Move]
) -> _Block:
    by_path: dict[str, Move] = {}
    infos: dict[str, ScriptInfo] = {}
    trees: dict[str, ast.Module] = {}
    for move in moves:
        if move.path not in sources:
            raise _refuse(f"{move.path} is not a revision script of this chain")
        if move.path in by_path:
            raise _refuse(f"{move.path} is moved twice")
        by_path[move.path] = move
        trees[move.path] = _check_moved_file(move, parsed[move.path], sources[move.path])
        script = parsed[move.path]
        assert isinstance(script, ScriptInfo)
        infos[move.path] = script
        _check_new_id(move)
        _check_new_path(move)

    unmoved_ids: dict[str, str] = {}
    labels: dict[str, str] = {}
    for path, script in parsed.items():
        if path not in by_path and script.revision is not None:
            unmoved_ids.setdefault(script.revision, path)
        if isinstance(script, ScriptInfo):
            for label in script.branch_labels:
                labels.setdefault(label, path)

    ids: dict[str, str] = {}
    owner: dict[str, str] = {}
    new_owner: dict[str, str] = {}
    for move in moves:
        info = infos[move.path]
        old = info.revision
        new = move.new_revision if move.new_revision is not None else old
        if old in owner:
            raise _refuse(
                f"{owner[old]} and {move.path} are both revision {old!r}; links to it "
                "cannot be told apart",
                "renumber one of them on its own first",
            )
        if new in new_owner:
            raise _refuse(f"{new_owner[new]} and {move.path} would both become revision {new!r}")
        if new != old and new in unmoved_ids:
            raise _refuse(
                f"revision {new!r} already exists: {unmoved_ids[new]}",
                "pick a free number (migration-guard next)",
            )
        if new != old and new in labels:
            raise _refuse(
                f"{new!r} is a branch label of {labels[new]}; Alembic refuses a revision id "
                "that is also a branch label"
            )
        if info.revision_span is None:
            legacy = _LEGACY_NAME.fullmatch(move.new_path.rsplit("/", 1)[-1])
            if legacy is None or legacy.group(1) != new:
                raise _refuse(
                    f"{move.path} has no revision assignment: Alembic takes its id {old!r} "
                    f"from the file name, and {move.new_path} would not give {new!r}",
                    f'add revision = "{old}" to the file first',
                )
        owner[old] = move.path
        new_owner[new] = move.path
        ids[old] = new

    changing = {old: new for old, new in ids.items() if old != new}
    return _Block(
        moves=by_path,
        infos=infos,
        trees=trees,
        ids=ids,
        owner=owner,
        changing=changing,
        following={old: new for old, new in changing.items() if old not in unmoved_ids},
        unmoved_ids=unmoved_ids,
        final_ids=frozenset(unmoved_ids) | frozenset(ids.values()),
    )


def _check_paths(sources: Mapping[str, str], block: _Block) -> tuple[Rename, ...]:
    targets: dict[str, str] = {}
    for move in block.moves.values():
        if move.new_path in targets:
            raise _refuse(
                f"{targets[move.new_path]} and {move.path} would both become {move.new_path}"
            )
        targets[move.new_path] = move.path
        if move.new_path in sources and move.new_path not in block.moves:
            raise _refuse(f"{move.new_path} already exists", "pick another file name")
    return _rename_order(
        [Rename(m.path, m.new_path) for m in block.moves.values() if m.new_path != m.path]
    )


def _check_parents(block: _Block) -> None:
    for move in block.moves.values():
        target = move.new_down_revisions
        if target is None:
            continue
        own = block.ids[block.infos[move.path].revision]
        for ref in target:
            if ref == own:
                raise _refuse(f"{move.path} cannot be its own down revision ({ref!r})")
            if ref not in block.final_ids:
                hint = None
                if ref in block.changing:
                    hint = f"name the new id ({block.changing[ref]!r}), not the old one"
                raise _refuse(
                    f"new down revision {ref!r} of {move.path} is not a revision of the chain "
                    "after the move",
                    hint,
                )
        if len(set(target)) != len(target):
            raise _refuse(f"the new down revisions of {move.path} name a revision twice")


def _check_unreadable(
    sources: Mapping[str, str], parsed: Mapping[str, ParsedScript], block: _Block
) -> None:
    """A file we cannot read (or whose depends_on we cannot) must not mention an id that
    changes or appears (a moved file: another than its own), and no new id may be a branch
    label we cannot read."""
    ids = [*block.changing, *block.changing.values()]
    if not ids:
        return
    for path, script in parsed.items():
        if isinstance(script, Unreadable):
            if path in block.moves:
                continue
            reason = script.reason
        elif not script.depends_known:
            reason = next(u.reason for u in script.unknown if "depends_on" in u.names)
        else:
            continue
        own = block.infos[path].revision if path in block.moves else None
        pattern = token_pattern([i for i in ids if own is None or i not in (own, block.ids[own])])
        mention = pattern.search(sources[path])
        if mention is not None:
            raise _refuse(
                f"{path} cannot be read statically ({reason}) and mentions "
                f"{mention.group()!r}; cannot tell whether it links to a moved revision",
                "fix that file first (migration-guard lint)",
            )
    for path, script in parsed.items():
        if isinstance(script, ScriptInfo) and not script.labels_known:
            unknown = next(u for u in script.unknown if "branch_labels" in u.names)
            raise _refuse(
                f"cannot tell whether the new revision id(s) are also branch labels: "
                f"{path}:{unknown.line}: {unknown.reason}",
                "write its branch_labels as a literal first (migration-guard lint)",
            )


# ---------------------------------------------------------------------------------------------
# Planning

_Expected = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@dataclass
class _FilePlan:
    replaces: list[_Replace]
    expected: _Expected
    reason: str


def _span_literal(src: _Source, span: Span | None) -> _Literal | None:
    if span is None:
        return None
    return _read_literal(
        src, src.offset(span.line, span.col), src.offset(span.end_line, span.end_col)
    )


def _literals(
    src: _Source, script: ScriptInfo
) -> tuple[_Literal | None, _Literal, _Literal | None]:
    """The revision, down_revision and depends_on literals, checked against the reader."""
    rev = _span_literal(src, script.revision_span)
    down = _span_literal(src, script.down_revision_span)
    deps = _span_literal(src, script.depends_on_span)
    assert down is not None
    checks = [(down, script.down_revisions), (deps, script.depends_on)]
    checks.append((rev, (script.revision,)))
    for literal, value in checks:
        if literal is not None and literal.values != value:
            raise RuntimeError(f"{src.path}: span text {literal.values!r} is not {value!r}")
    return rev, down, deps


def _file_style(*literals: _Literal | None) -> tuple[str, str]:
    """The quote style of the first string among the file's values; Alembic's ``'`` if none."""
    for literal in literals:
        style = literal.style() if literal is not None else None
        if style is not None:
            return style
    return ("", "'")


def _plan_moved(src: _Source, script: ScriptInfo, block: _Block) -> _FilePlan:
    move = block.moves[src.path]
    rev, down, deps = _literals(src, script)
    old, new = script.revision, block.ids[script.revision]
    style = _file_style(rev, down, deps)
    replaces: list[_Replace] = []
    if rev is not None:
        replaces += _set_value(rev, (new,), style)
    replaces += _doc_revision(src, script.doc_revision_line, old, new)
    if move.new_down_revisions is not None:
        downs = tuple(move.new_down_revisions)
        replaces += _set_value(down, downs, style)
        replaces += _doc_revises_set(src, script.doc_revises_line, downs)
    else:
        downs = tuple(block.ids.get(d, d) for d in script.down_revisions)
        replaces += _map_elements(down, block.ids)
        replaces += _doc_revises_map(src, script.doc_revises_line, block.ids)
    depends = tuple(block.ids.get(d, d) for d in script.depends_on)
    if deps is not None:
        replaces += _map_elements(deps, block.ids)
    pattern = token_pattern(block.changing)
    if pattern.search(src.text):
        for constant in _mentioning(src, block.trees[src.path], pattern):
            rewritten = _rewrite_constant(constant, pattern, block.changing)
            if rewritten is None:
                replaces.append(
                    constant.note(
                        "mentions a renumbered id in a form this tool does not rewrite; "
                        "not changed, check it by hand"
                    )
                )
            else:
                replaces += rewritten
    reason = f"revision {old} -> {new}" if old != new else f"revision {old}"
    if move.new_down_revisions is not None and downs != script.down_revisions:
        reason += f"; down_revision -> {', '.join(downs) or 'None'}"
    return _FilePlan(replaces, (new, downs, depends, script.branch_labels), reason)


def _plan_unmoved(src: _Source, script: ScriptInfo, block: _Block) -> _FilePlan:
    _, down, deps = _literals(src, script)
    follow = block.following
    replaces = _map_elements(down, follow)
    if deps is not None:
        replaces += _map_elements(deps, follow)
    replaces += _doc_revises_map(src, script.doc_revises_line, follow)
    for ref in dict.fromkeys((*script.down_revisions, *script.depends_on)):
        if ref in block.changing and ref not in follow:
            span = script.down_revision_span
            if ref not in script.down_revisions and script.depends_on_span is not None:
                span = script.depends_on_span
            at = src.offset(span.line, span.col)
            note = (
                f"names {ref!r}, which {block.unmoved_ids[ref]} keeps; left pointing at it "
                f"(add this file to the move to follow {block.final(block.owner[ref])})"
            )
            replaces.append(_Replace(at, at, "", note))
    pattern = token_pattern(follow)
    if pattern.search(src.text):
        try:
            tree = ast.parse(src.text[src.base :])
        except (SyntaxError, ValueError):
            tree = ast.Module(body=[], type_ignores=[])
        for constant in _mentioning(src, tree, pattern):
            found = ", ".join(
                f"{m.group()!r} (now {follow[m.group()]!r})"
                for m in pattern.finditer(constant.element.value)
            )
            replaces.append(
                constant.note(
                    f"mentions {found}; not changed (only moved files' constants are rewritten)"
                )
            )
    downs = tuple(follow.get(d, d) for d in script.down_revisions)
    depends = tuple(follow.get(d, d) for d in script.depends_on)
    followed = sorted({d for d in (*script.down_revisions, *script.depends_on) if d in follow})
    reason = "follow " + ", ".join(f"{d} -> {follow[d]}" for d in followed)
    return _FilePlan(replaces, (script.revision, downs, depends, script.branch_labels), reason)


def _leftovers(path: str, text: str, old: str) -> list[str]:
    lines = sorted({_line_at(text, m.start()) for m in token_pattern([old]).finditer(text)})
    return [f"{path}:{line}: still mentions {old!r}; not changed" for line in lines]


def plan_renumber(sources: Mapping[str, str], moves: Sequence[Move]) -> EditPlan:
    """Plan the ``moves`` (one block) in the chain whose scripts are ``sources``.

    ``sources`` maps every script path of the chain (repository-relative, Alembic's load
    order) to its text. Raises :class:`RenumberError` when it cannot be done safely.
    """
    if not moves:
        return EditPlan()
    parsed = {path: _parse(path, text) for path, text in sources.items()}
    block = _block(sources, parsed, moves)
    renames = _check_paths(sources, block)
    _check_parents(block)
    _check_unreadable(sources, parsed, block)

    refs = token_pattern(block.changing)
    taken = set(block.ids.values())  # a moved file's old id may be another member's new one
    edits: list[FileEdit] = []
    notes: list[str] = []
    new_texts: dict[str, str] = {}  # final path -> text, for every moved or edited file
    expected: dict[str, _Expected] = {}
    for path, text in sources.items():
        script = parsed[path]
        moved = path in block.moves
        if not isinstance(script, ScriptInfo) or not (moved or refs.search(text)):
            continue
        src = _Source(path, text)
        plan = (_plan_moved if moved else _plan_unmoved)(src, script, block)
        final = block.final(path)
        new_text, file_notes = _apply(text, plan.replaces, final)
        notes += file_notes
        # A moved file may now point at another file holding its old id (a duplicated id
        # being repaired): those mentions are its new links, not leftovers.
        new_links = {*plan.expected[1], *plan.expected[2]}
        if (
            moved
            and script.revision in block.changing
            and script.revision not in taken
            and script.revision not in new_links
        ):
            notes += _leftovers(final, new_text, script.revision)
        if moved or new_text != text:
            new_texts[final] = new_text
            expected[final] = plan.expected
        if new_text != text:
            edits.append(FileEdit(path, text, new_text, plan.reason))
    _verify(parsed, block, new_texts, expected)
    return EditPlan(tuple(edits), renames, tuple(notes))


def _load_order(script: ParsedScript) -> tuple[tuple[int, str], ...]:
    """Alembic's load order: a folder's files (sorted), then its subfolders (sorted)."""
    parts = script.path.split("/")
    return (*((1, part) for part in parts[:-1]), (0, parts[-1]))


def _verify(
    parsed: Mapping[str, ParsedScript],
    block: _Block,
    new_texts: Mapping[str, str],
    expected: Mapping[str, _Expected],
) -> None:
    """Every rewritten file must read back as planned, and the chain gain no error finding."""
    after: list[ParsedScript] = []
    for path, script in parsed.items():
        final = block.final(path)
        if final not in new_texts:
            after.append(script)
            continue
        reread = _parse(final, new_texts[final])
        if not isinstance(reread, ScriptInfo):
            raise RuntimeError(f"rewriting {path} made it unreadable: {reread}")
        got = (reread.revision, reread.down_revisions, reread.depends_on, reread.branch_labels)
        if got != expected[final]:
            raise RuntimeError(f"rewriting {path} gave {got!r}, not {expected[final]!r}")
        unknown = script.unknown if isinstance(script, ScriptInfo) else ()
        if [u.names for u in reread.unknown] != [u.names for u in unknown]:
            raise RuntimeError(f"rewriting {path} changed which of its values can be read")
        after.append(reread)
    before = Counter(
        (f.code, block.final(f.path or ""))
        for f in checked(sorted(parsed.values(), key=_load_order))
        if f.severity is Severity.ERROR
    )
    findings = checked(sorted(after, key=_load_order))
    errors = Counter((f.code, f.path or "") for f in findings if f.severity is Severity.ERROR)
    new_errors = errors - before
    for finding in findings:
        if (finding.code, finding.path or "") in new_errors:
            where = f"{finding.path}:{finding.line}" if finding.line else finding.path
            raise _refuse(
                f"the renumber would break the chain: {where}: {finding.code} {finding.message}",
                finding.hint,
            )
