"""Read one Alembic revision script statically: ``ast``, never import, never execute.

Pure: source bytes in, a :class:`ScriptInfo` or an :class:`Unreadable` out.

What is read (reference/alembic.md, checked against Alembic 1.20.1): the module-level
``revision``, ``down_revision``, ``branch_labels`` and ``depends_on``, bound by a top-level
``x = value`` or ``x: T = value`` (the annotation is ignored, the last binding wins, ``x: T``
alone binds nothing). A value is a string literal (adjacent literals join), ``None``, or a
tuple, list or set of string literals. Every other way of giving one of these names a value
(a name, a call, an f-string, ``+``, a binding inside ``if``/``try``/``with``/``for``, an
import, ``del``, ``+=``, tuple unpacking, ``globals()``/``exec``/``setattr`` at top level, a
module ``__getattr__``, a star import) cannot be known without running the file, and is
never guessed.

The statements are taken in order, as Python runs them: a literal binding after such a
statement wins again (``from peewee import *`` then ``revision = "a1"``: Alembic reads
"a1"), except after a *lasting* one whose effect may come later (a function declaring
``global revision``, a ``globals()`` dict that may be kept, ``__getattr__``). A statement
leaves unknown every name it may bind; a star import, all four. If ``revision`` or
``down_revision`` ends up unknown, the result is :class:`Unreadable` naming the line and the
reason; if only ``branch_labels`` or ``depends_on`` does, the script is read all the same,
with those values listed in ``ScriptInfo.unknown`` (the graph says what goes unchecked).

Speed: ``ast.parse`` costs about 3 µs per source line here (85 µs for the default template),
too slow for 5,000 files. :func:`parse_script` therefore tries three readers in turn, each
one giving up (None) rather than guessing, and each giving exactly the full parse's result:

1. the scanner (``_scan``, about 7 µs a file): one regex match for Alembic's template shape
   (docstring, imports, the four names on consecutive lines in the template's order),
   with each run of other lines checked by a cached ``ast.parse`` of that run;
2. the pre-scan (``_prescan``, about 17 µs): reads the *header* (everything before the first
   top-level ``def``/``class``/decorator) line by line, the four values with a tiny literal
   scanner, every other statement with a cached ``ast.parse`` of that statement alone;
3. the full reader (``_parse_full``): ``ast`` over the whole file, the reference.

The first two only search the rest of the file (the tail) for any word that could bind the
names at import time; if one appears, the next reader decides. Every reader also makes sure
that the whole file compiles, as Alembic's import does (a syntax error inside ``upgrade()``,
or ``return`` outside a function, stops Alembic however well-formed the header is): the
fast readers through a cache of compiled "shapes" (``_text_compiles``), the full reader by
compiling the file. ``check_syntax=True`` sends every file through the full reader.

Columns in :class:`Span` count characters of the decoded line (0-based, end exclusive), so
``line_text[col:end_col]`` is the value's source text; lines are 1-based.
"""

from __future__ import annotations

import ast
import functools
import marshal
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, NamedTuple

NAMES = ("revision", "down_revision", "branch_labels", "depends_on")
_NAME_SET = frozenset(NAMES)

# Codes of per-file problems; alembic_graph.CODES has their titles.
UNREADABLE = "MG120"  # cannot be read statically
SYNTAX = "MG121"  # does not parse
NO_DOWN_REVISION = "MG122"  # Alembic: AttributeError
BAD_VALUE = "MG124"  # statically known, but not a string / strings / None
NO_REVISION = "MG125"  # Alembic: "Could not determine revision id from filename ..."
TOO_LARGE = "MG128"  # over MAX_SCRIPT_BYTES: not read
LEAVES_REPOSITORY = "MG129"  # a symbolic link out of the repository: not read

MAX_SCRIPT_BYTES = 1 << 20  # as tree.SCRIPT_LIMIT (sources may also come from a forge)

_LEGACY_REV = r"([a-f0-9]+)\.py$"  # Alembic's legacy rule, used with .match()


@functools.cache
def _rx(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled on first use: most patterns here serve rare paths, and compiling
    one costs about 0.1 ms of every run."""
    return re.compile(pattern)


# Calls at module level that can read or write the module namespace.
_NAMESPACE_CALLS = frozenset({"globals", "locals", "exec", "eval"})


class Span(NamedTuple):
    """Where a value node sits in the source: 1-based lines, 0-based character columns."""

    line: int
    col: int
    end_line: int
    end_col: int


class Unknown(NamedTuple):
    """Values of a readable script that cannot be known without running it: ``names`` among
    ``branch_labels`` and ``depends_on`` (a computed ``revision`` or ``down_revision`` makes
    the whole script :class:`Unreadable`). ``reason`` names them and what they are; the
    graph says which checks skip them."""

    names: tuple[str, ...]
    line: int | None
    reason: str
    hint: str


class ScriptInfo(NamedTuple):
    """The statically known identity and links of one revision script.

    ``down_revisions``/``depends_on``/``branch_labels`` are tuples in source order (a set is
    deduplicated, its order is the source order although Alembic's is arbitrary); ``()`` when
    the value is ``None``, ``()``, ``[]`` or the name is not bound (not allowed for
    ``down_revision``). Empty strings are kept: the graph reports them. ``revision_span`` is
    None when the id comes from a legacy hex file name; the other spans are None when the
    name is not bound. ``unknown``: the values that cannot be read statically (their fields
    then hold ``()`` and no span).
    """

    path: str
    revision: str
    down_revisions: tuple[str, ...]
    depends_on: tuple[str, ...]
    branch_labels: tuple[str, ...]
    revision_span: Span | None
    down_revision_span: Span
    depends_on_span: Span | None = None
    branch_labels_span: Span | None = None
    doc_revision_line: int | None = None
    doc_revises_line: int | None = None
    unknown: tuple[Unknown, ...] = ()

    @property
    def labels_known(self) -> bool:
        return not self.unknown or all("branch_labels" not in u.names for u in self.unknown)

    @property
    def depends_known(self) -> bool:
        return not self.unknown or all("depends_on" not in u.names for u in self.unknown)

    @property
    def line(self) -> int:
        """The line that names this revision (its ``revision`` or, failing that, down link)."""
        return (self.revision_span or self.down_revision_span).line


class Unreadable(NamedTuple):
    """A script whose revision data cannot be known statically, or is invalid on its face.

    ``code`` is one of this module's per-file codes; ``revision`` is the id when it is known
    anyway (so that children of this file are not reported as orphans).
    """

    path: str
    line: int | None
    reason: str
    code: str = UNREADABLE
    revision: str | None = None


ParsedScript = ScriptInfo | Unreadable


def parse_script(path: str, source: bytes, *, check_syntax: bool = False) -> ParsedScript:
    """Read one revision script. ``path`` is only used for messages and the legacy id rule."""
    if len(source) > MAX_SCRIPT_BYTES:
        return _not_read(path, source, None)
    if not check_syntax:
        fast = _scan(path, source)
        if fast is None:
            fast = _prescan(path, source)
        if fast is not None:
            return fast
    return _parse_full(path, source, check_syntax=check_syntax)


def parse_many(
    paths: Sequence[str],
    sources: Mapping[str, bytes],
    *,
    check_syntax: bool = False,
    refused: Mapping[str, tuple[str, str]] | None = None,
) -> list[ParsedScript]:
    """``[parse_script(p, sources[p], check_syntax=check_syntax) for p in paths]``, with the
    per-file overhead trimmed (it runs for thousands of files). A path missing from
    ``sources`` was not read: ``refused[path]`` is ``(code, reason)``."""
    scan, prescan, full = _scan, _prescan, _parse_full
    parsed: list[ParsedScript] = []
    append = parsed.append
    for path in paths:
        source = sources.get(path)
        if source is None or len(source) > MAX_SCRIPT_BYTES:
            append(_not_read(path, source, refused))
        elif check_syntax:
            append(full(path, source, check_syntax=True))
        else:
            append(
                scan(path, source)
                or prescan(path, source)
                or full(path, source, check_syntax=False)
            )
    return parsed


def _not_read(
    path: str, source: bytes | None, refused: Mapping[str, tuple[str, str]] | None
) -> Unreadable:
    if source is None:
        if refused is None or path not in refused:
            raise KeyError(path)
        code, reason = refused[path]
        return Unreadable(path, None, reason, code)
    mib = len(source) / (1 << 20)
    return Unreadable(
        path,
        None,
        f"file too large to be a migration ({mib:.1f} MiB, more than 1.0 MiB); not read",
        TOO_LARGE,
    )


def pack(scripts: Sequence[ParsedScript]) -> bytes:
    """``scripts`` without their paths as ``marshal`` bytes, to hand results from a worker
    process back: ``unpack([s.path for s in scripts], pack(scripts)) == list(scripts)``.
    Spans go in a table (a template's files share most of them); a record names them by
    index, -1 for none."""
    table: dict[Span, int] = {}
    records: list[tuple[Any, ...]] = []
    for script in scripts:
        if isinstance(script, Unreadable):
            records.append((script.line, script.reason, script.code, script.revision))
            continue
        spans = [
            -1 if span is None else table.setdefault(span, len(table))
            for span in script[5:9]  # revision, down_revision, depends_on, branch_labels
        ]
        unknown = script.unknown
        records.append(
            (*script[1:5], *spans, *script[9:11], tuple(map(tuple, unknown)) if unknown else ())
        )
    return marshal.dumps(([tuple(span) for span in table], records))


def unpack(paths: Sequence[str], data: bytes) -> list[ParsedScript]:
    """The inverse of ``pack``."""
    table, records = marshal.loads(data)
    if len(records) != len(paths):
        raise ValueError(f"{len(records)} results for {len(paths)} scripts")
    spans: list[Span | None] = [Span(*plain) for plain in table]
    spans.append(None)  # index -1
    new = _new_info
    parsed: list[ParsedScript] = []
    append = parsed.append
    for path, record in zip(paths, records, strict=True):
        if len(record) == 4:
            append(Unreadable(path, *record))
            continue
        rev, downs, deps, labels, at_rev, at_down, at_deps, at_labels, doc1, doc2, unknown = record
        append(
            new(
                ScriptInfo,
                (
                    path,
                    rev,
                    downs,
                    deps,
                    labels,
                    spans[at_rev],
                    spans[at_down],
                    spans[at_deps],
                    spans[at_labels],
                    doc1,
                    doc2,
                    tuple(Unknown(*u) for u in unknown) if unknown else (),
                ),
            )
        )
    return parsed


# ---------------------------------------------------------------------------------------------
# Values and results shared by both readers


_Value = str | None | tuple[str, ...]
_Binding = tuple[_Value, Span]


class _Refusal(Exception):
    """Why some of the names' values cannot be known from here on.

    ``names``: the names left unknown (all four unless said). ``lasting``: the effect may
    come later than this statement (a function declaring ``global``, a ``globals()`` dict
    kept, a module ``__getattr__``), so a later literal binding does not make the value
    known again; otherwise a later binding wins, as it does when the module runs. ``cause``
    says how a warning names it: ``("computed", source)`` or ``("star", source)``.
    """

    def __init__(
        self,
        line: int | None,
        reason: str,
        code: str = UNREADABLE,
        name: str | None = None,
        *,
        lasting: bool | None = None,
        cause: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.code = code
        self.names = frozenset((name,)) if name else _NAME_SET
        self.lasting = name is None if lasting is None else lasting
        self.cause = cause
        self.derived = False  # stands for another refusal of the same statement


def _as_tuple(value: _Value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


def _result(
    path: str,
    bindings: dict[str, _Binding],
    doc_lines: tuple[int | None, int | None],
) -> ParsedScript:
    # Checked in Alembic's order: the legacy file name rule, then down_revision, then the id.
    filename = path.rsplit("/", 1)[-1]
    rev_binding = bindings.get("revision")
    down = bindings.get("down_revision")
    if rev_binding is None:
        legacy = _rx(_LEGACY_REV).match(filename)
        if legacy is None:
            return Unreadable(
                path,
                down[1].line if down else None,
                f"no revision, and the file name {filename} is not a hex revision id "
                "(Alembic: Could not determine revision id from filename)",
                NO_REVISION,
            )
        revision: _Value = legacy.group(1)
        rev_span = None
    else:
        revision, rev_span = rev_binding
    if down is None:
        return Unreadable(
            path,
            rev_span.line if rev_span else None,
            "no down_revision (Alembic fails with AttributeError); use None for a base",
            NO_DOWN_REVISION,
            revision if isinstance(revision, str) else None,
        )
    if not isinstance(revision, str):
        what = "None" if revision is None else "a tuple"
        line = rev_span.line if rev_span else None
        return Unreadable(path, line, f"revision is {what}, not a string", BAD_VALUE)
    deps = bindings.get("depends_on")
    labels = bindings.get("branch_labels")
    return ScriptInfo(
        path=path,
        revision=revision,
        down_revisions=_as_tuple(down[0]),
        depends_on=_as_tuple(deps[0]) if deps else (),
        branch_labels=_as_tuple(labels[0]) if labels else (),
        revision_span=rev_span,
        down_revision_span=down[1],
        depends_on_span=deps[1] if deps else None,
        branch_labels_span=labels[1] if labels else None,
        doc_revision_line=doc_lines[0],
        doc_revises_line=doc_lines[1],
    )


def _doc_lines(lines: list[str], first: int, last: int) -> tuple[int | None, int | None]:
    """Line numbers of ``Revision ID:`` / ``Revises:`` among docstring lines first..last."""
    rev_line = revises_line = None
    for number in range(first, last + 1):
        text = lines[number - 1].lstrip()
        if rev_line is None and text.startswith("Revision ID:"):
            rev_line = number
        elif revises_line is None and text.startswith("Revises:"):
            revises_line = number
    return rev_line, revises_line


# ---------------------------------------------------------------------------------------------
# The full reader: ast over the whole file. The reference for what the pre-scan must match.


def _parse_full(path: str, source: bytes, *, check_syntax: bool) -> ParsedScript:
    import warnings

    try:
        with warnings.catch_warnings():  # ("invalid escape sequence"...: not ours to show)
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=path)
        if check_syntax or not _compiles_fast(source):
            _compile_file(path, source)
    except SyntaxError as exc:
        return Unreadable(path, exc.lineno, f"syntax error: {exc.msg}", SYNTAX)
    except (ValueError, RecursionError, MemoryError) as exc:
        return Unreadable(path, None, f"syntax error: {exc}", SYNTAX)
    lines = _source_lines(source)
    bindings, unknown = _module_names(tree, lines)
    if unknown:
        fatal = [
            (refusal.line or 0, refusal.derived, NAMES.index(name), refusal)
            for name, refusal in unknown.items()
            if name in ("revision", "down_revision") or refusal.code != UNREADABLE
        ]
        if fatal:
            refused = min(fatal, key=lambda entry: entry[:3])[3]
            rev = bindings.get("revision")
            known = rev[0] if rev is not None and "revision" not in unknown else None
            names = [
                n
                for n in NAMES
                if unknown.get(n) is refused
                and (n in ("revision", "down_revision") or refused.code != UNREADABLE)
            ]
            star = refused.cause is not None and refused.cause[0] == "star"
            return Unreadable(
                path,
                refused.line,
                _refusal_reason(refused, names) if star else refused.reason,
                refused.code,
                known if isinstance(known, str) else None,
            )
    doc_lines: tuple[int | None, int | None] = (None, None)
    first = tree.body[0] if tree.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and first.end_lineno is not None
    ):
        doc_lines = _doc_lines(lines, first.lineno, first.end_lineno)
    result = _result(path, bindings, doc_lines)
    if unknown and isinstance(result, ScriptInfo):
        return result._replace(unknown=_unknowns(unknown))
    return result


def _compile_file(path: str, source: bytes) -> None:
    """Compile the file as Alembic's import does (``importlib``: ``compile`` of the bytes),
    raising its SyntaxError; warnings (``invalid escape sequence``...) are not shown."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(source, path, "exec", dont_inherit=True)


def _compiles_fast(source: bytes) -> bool:
    """True when the file surely compiles (see :func:`_text_compiles`); False: not shown,
    :func:`_compile_file` decides."""
    text = _plain_text(source)
    return text is not None and _text_compiles(text)


def _plain_text(source: bytes) -> str | None:
    """The text of a file in the plain encoding (UTF-8, no BOM, no coding cookie, no NUL,
    line ends ``\n`` or ``\r\n``), with ``\n`` line ends; None for any other file, which
    the full reader handles (columns before a line end are unchanged by the normalising)."""
    if source.startswith(b"\xef\xbb\xbf") or b"\0" in source:
        return None
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        return None
    first_two = "\n".join(text.split("\n", 2)[:2])
    if "coding" in first_two and _rx(_CODING).search(first_two):
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    return text


# Whole-file validity: Alembic compiles every script when it loads it, so a syntax error
# anywhere (conflict markers inside ``upgrade()``, ``def upgrade(:``) stops it, however
# well-formed the header is. Compiling costs about 80 µs a file, more than reading and
# parsing it; but the files of one chain mostly differ only in their string literals and
# comments (table names, ids, messages). So the text is compiled with every plain string
# literal and every comment emptied, and the verdict is cached by that text. Emptying a
# plain literal (no prefix, no backslash: valid whatever it holds) or a comment never turns
# an invalid file into a valid one. Anything the lexer is unsure of
# (an f-string, whose fields are code; a quote it cannot pair) makes it give up, and the
# text is compiled as it is. The lexer keeps in step with Python's tokenizer: each match
# starts outside any literal or comment and consumes one whole literal or comment.
_LEXEME = (
    r"#[^\n]*+"  # a comment: emptied
    r'|"(?<!\w")(?:""(?:[^"\\]++|"(?!""))*+"""|(?!"")[^"\\\n]*+")'  # plain literal: ""
    r"|'(?<!\w')(?:''(?:[^'\\]++|'(?!''))*+'''|(?!'')[^'\\\n]*+')"
    r'|"(?:(?<=[fF]")|(?<=[fF][rRbB]"))()'  # 1, 2: an f-string
    r"|'(?:(?<=[fF]')|(?<=[fF][rRbB]'))()"
    r'|"((?:""(?:[^"\\]|\\[\s\S]|"(?!""))*+"""|(?!"")(?:[^"\\\n]|\\[\s\S])*+"))'  # 3, 4: kept
    r"|'((?:''(?:[^'\\]|\\[\s\S]|'(?!''))*+'''|(?!'')(?:[^'\\\n]|\\[\s\S])*+'))"
    r'|"()'  # 5, 6: a quote that opens no complete literal
    r"|'()"
)  # (compiled on first use, as _rx does: most runs never need it)


class _NotPlain(Exception):
    """The lexer is unsure of a literal: compile the text as it is."""


def _lexeme(match: re.Match[str]) -> str:
    group = match.lastindex
    if group is None:  # (the blank keeps two emptied literals from reading as """)
        return "#" if match.group()[0] == "#" else '"" '  # ("\#": still an error)
    if group == 3:
        return '"' + match[3]
    if group == 4:
        return "'" + match[4]
    raise _NotPlain


_COMPILED: dict[str, bool] = {}  # verdicts by normalised text
_COMPILED_MAX = 4096


# The common case, quicker (no Python call per literal): a text with no single quote, no
# backslash and no triple quote holds only one-line double-quoted literals. Each match is
# emptied; if every quote of the text went into a match, the matches were exactly the
# literals (between two, code holds no quote; a pair inside a comment stays in it).
_PLAIN_DOUBLE = re.compile(r'"(?<!\w")[^"\n]*+"')


def _text_compiles(text: str) -> bool:
    """Whether ``text`` (decoded, no BOM, coding cookie, NUL or lone CR) compiles: True when
    it surely does; False when that is not shown (the caller then compiles the file)."""
    key = None
    if "'" not in text and "\\" not in text and '"""' not in text:
        key, count = _PLAIN_DOUBLE.subn('"" ', text)
        if key.count('"') != 2 * count:
            key = None
    if key is None:
        try:
            key = _rx(_LEXEME).sub(_lexeme, text)
        except _NotPlain:
            key = text
    verdict = _COMPILED.get(key)
    if verdict is None:
        import warnings

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(key, "<migration>", "exec", dont_inherit=True)
            verdict = True
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            verdict = False
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = verdict
    return verdict


def _refusal_reason(refusal: _Refusal, names: Sequence[str]) -> str:
    """What a refusal leaves unknown, in words naming ``names``."""
    kind, source = refusal.cause or ("", "")
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if kind == "star" and names:
        return f"{listed} may be bound by the star import ({source})"
    if kind == "computed" and names:
        return f"{listed} {'is' if len(names) == 1 else 'are'} computed ({_short(source)})"
    return refusal.reason


def _short(source: str, limit: int = 60) -> str:
    text = " ".join(source.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


_UNKNOWN_HINTS = {
    "branch_labels": 'write it as a literal tuple of strings, e.g. branch_labels = ("expand",), '
    "or None",
    "depends_on": 'write it as a literal tuple of revision ids, e.g. depends_on = ("0192",), '
    "or None",
}


def _unknowns(unknown: Mapping[str, _Refusal]) -> tuple[Unknown, ...]:
    """The unknown values of a readable script, one entry per refusal, in line order."""
    by_refusal: dict[int, tuple[_Refusal, list[str]]] = {}
    for name in NAMES:
        refusal = unknown.get(name)
        if refusal is not None:
            by_refusal.setdefault(id(refusal), (refusal, []))[1].append(name)
    out = []
    for refusal, names in sorted(by_refusal.values(), key=lambda pair: pair[0].line or 0):
        if refusal.cause is not None and refusal.cause[0] == "star":
            bind = ", ".join(f"{n} = None" for n in names)
            hint = f"bind {'it' if len(names) == 1 else 'them'} after the import ({bind}), or "
            hint += "import the names the file uses one by one"
        elif len(names) == 1:
            hint = _UNKNOWN_HINTS[names[0]]
        else:
            hint = "bind each at top level as a literal: a string, a tuple of strings or None"
        out.append(Unknown(tuple(names), refusal.line, _refusal_reason(refusal, names), hint))
    return tuple(out)


def _source_lines(source: bytes) -> list[str]:
    """The decoded source split the way Python numbers lines (\\n, \\r\\n, \\r only)."""
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError:
        encoding = "utf-8"
    text = source.decode(encoding, "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return re.split(r"\r\n|\r|\n", text)


def _span(node: ast.expr, lines: list[str]) -> Span:
    end_line = node.end_lineno if node.end_lineno is not None else node.lineno
    end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return Span(
        node.lineno,
        _char_col(lines, node.lineno, node.col_offset),
        end_line,
        _char_col(lines, end_line, end_col),
    )


def _char_col(lines: list[str], line: int, byte_col: int) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if text.isascii():
        return byte_col
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def _module_names(
    tree: ast.Module, lines: list[str]
) -> tuple[dict[str, _Binding], dict[str, _Refusal]]:
    """Each name's state once the module has run, statement by statement as Python runs it:
    its last literal binding, or the refusal that leaves its value unknown.

    A literal binding after a refusal wins again (``from peewee import *`` before
    ``revision = "a1"``: Alembic reads "a1"), except after a *lasting* refusal, whose effect
    may come later (see ``_Refusal``). A refused statement leaves unknown every one of the
    names it may bind, not only the one its refusal names.
    """
    bindings: dict[str, _Binding] = {}
    unknown: dict[str, _Refusal] = {}
    lasting: dict[str, _Refusal] = {}
    for stmt in tree.body:
        try:
            bound = _bind_statement(stmt, lines, bindings)
        except _Refusal as refusal:
            for later in _lasting_refusals(stmt, refusal):
                for name in later.names:
                    lasting.setdefault(name, later)
            if refusal.lasting:
                continue
            touched = _touched_names(stmt)
            for name in sorted(touched.keys() | refusal.names, key=NAMES.index):
                bindings.pop(name, None)
                if name in refusal.names:
                    unknown[name] = refusal
                else:
                    kind = _KIND_NAMES.get(type(stmt))
                    how = f"inside {kind}" if kind else f"by the statement on line {stmt.lineno}"
                    line = touched.get(name, refusal.line)
                    derived = _Refusal(line, f"{name} is bound {how}", name=name)
                    derived.derived = True
                    unknown[name] = derived
        else:
            for name in bound:
                unknown.pop(name, None)
    for name, kept in lasting.items():
        bindings.pop(name, None)
        earlier = unknown.get(name)
        if earlier is None or (kept.line or 0) < (earlier.line or 0):
            unknown[name] = kept
    return bindings, unknown


def _lasting_refusals(stmt: ast.stmt, raised: _Refusal) -> list[_Refusal]:
    """Every lasting refusal of ``stmt`` (the one raised may hide others behind it)."""
    found = [raised] if raised.lasting else []
    found += [r for r in _code_refusals(stmt) if r.lasting]
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == "__getattr__":
        found.append(
            _Refusal(stmt.lineno, "the module defines __getattr__, so any name may resolve")
        )
    return found


def _touched_names(stmt: ast.stmt) -> dict[str, int]:
    """The names a refused statement may bind (all unknown after it), with their lines."""
    touched: dict[str, int] = {}
    for name, line in _bound_names(stmt, class_body=isinstance(stmt, ast.ClassDef)):
        if name in _NAME_SET:
            touched.setdefault(name, line)
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        touched.update({stmt.name: stmt.lineno} if stmt.name in _NAME_SET else {})
    for node in ast.walk(stmt):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            if node.attr in _NAME_SET:
                touched.setdefault(node.attr, node.lineno)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Store | ast.Del)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value in _NAME_SET
        ):
            touched.setdefault(str(node.slice.value), node.lineno)
    return touched


def _bind_statement(stmt: ast.stmt, lines: list[str], bindings: dict[str, _Binding]) -> list[str]:
    """Bind what ``stmt`` binds to a literal; the names bound. Raises a refusal instead."""
    if isinstance(stmt, ast.Assign):
        ours = [t for t in stmt.targets if isinstance(t, ast.Name) and t.id in _NAME_SET]
        for target in stmt.targets:
            if not isinstance(target, ast.Name):
                _check_target(target)
        _check_code(stmt.value)
        if ours:
            try:
                value = _literal(stmt.value, ours[0].id)
            except _Refusal as refusal:
                refusal.names = frozenset(t.id for t in ours)  # one value for every target
                raise
            for target in ours:
                bindings[target.id] = (value, _span(stmt.value, lines))
        return [t.id for t in ours]
    if isinstance(stmt, ast.AnnAssign):
        _check_code(stmt.annotation)
        if stmt.value is not None:
            _check_code(stmt.value)
        if isinstance(stmt.target, ast.Name):
            if stmt.target.id in _NAME_SET and stmt.value is not None:
                value = _literal(stmt.value, stmt.target.id)
                bindings[stmt.target.id] = (value, _span(stmt.value, lines))
                return [stmt.target.id]
        else:
            _check_target(stmt.target)
        return []
    _check_statement(stmt)
    return []


_KIND_NAMES: dict[type[ast.AST], str] = {
    ast.If: "an if block",
    ast.Try: "a try block",
    ast.With: "a with block",
    ast.AsyncWith: "a with block",
    ast.For: "a for loop",
    ast.AsyncFor: "a for loop",
    ast.While: "a while loop",
    ast.Match: "a match block",
    ast.ClassDef: "a class body",
}
if hasattr(ast, "TryStar"):  # Python 3.11+
    _KIND_NAMES[ast.TryStar] = "a try block"


def _check_statement(stmt: ast.stmt) -> None:
    """Refuse a top-level statement other than a plain assignment that could bind a name."""
    line = stmt.lineno
    if isinstance(stmt, ast.AugAssign):
        if isinstance(stmt.target, ast.Name) and stmt.target.id in _NAME_SET:
            raise _Refusal(
                line, f"{stmt.target.id} is changed by augmented assignment", name=stmt.target.id
            )
        _check_target(stmt.target)
        _check_code(stmt.value)
    elif isinstance(stmt, ast.Import | ast.ImportFrom):
        _check_import(stmt)
    elif isinstance(stmt, ast.Delete):
        for target in stmt.targets:
            if isinstance(target, ast.Name) and target.id in _NAME_SET:
                raise _Refusal(line, f"{target.id} is deleted with del", name=target.id)
            _check_target(target)
    elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        if stmt.name in _NAME_SET:
            raise _Refusal(line, f"{stmt.name} is bound by a def statement", name=stmt.name)
        if stmt.name == "__getattr__":
            raise _Refusal(line, "the module defines __getattr__, so any name may resolve")
        for node in (*stmt.decorator_list, stmt.args, *([stmt.returns] if stmt.returns else ())):
            _check_code(node)
        _check_globals_decl(stmt)
    elif isinstance(stmt, ast.Global):
        return
    else:
        kind = _KIND_NAMES.get(type(stmt))
        if kind is not None:
            if isinstance(stmt, ast.ClassDef) and stmt.name in _NAME_SET:
                raise _Refusal(line, f"{stmt.name} is bound by a class statement", name=stmt.name)
            bound = _bound_names(stmt, class_body=isinstance(stmt, ast.ClassDef))
            ours = sorted((at, name) for name, at in bound if name in _NAME_SET)
            if ours:
                at, name = ours[0]
                raise _Refusal(at, f"{name} is bound inside {kind}", name=name)
        _check_code(stmt)


def _check_import(stmt: ast.Import | ast.ImportFrom) -> None:
    for alias in stmt.names:
        if alias.name == "*":
            raise _Refusal(
                stmt.lineno,
                "a star import may bind revision names",
                lasting=False,
                cause=("star", ast.unparse(stmt)),
            )
        bound = alias.asname or alias.name.split(".")[0]
        if bound in _NAME_SET:
            raise _Refusal(stmt.lineno, f"{bound} is bound by an import", name=bound)


def _check_target(target: ast.expr) -> None:
    """A non-Name assignment target: refuse unpacking into, or attribute/item writes of, names."""
    for node in ast.walk(target):
        if isinstance(node, ast.Name) and node.id in _NAME_SET:
            if isinstance(node.ctx, ast.Store | ast.Del):
                raise _Refusal(
                    target.lineno, f"{node.id} is bound by tuple-unpacking assignment", name=node.id
                )
        elif isinstance(node, ast.Attribute) and node.attr in _NAME_SET:
            if isinstance(node.ctx, ast.Store | ast.Del):
                raise _Refusal(target.lineno, f"{node.attr} is set as an attribute", name=node.attr)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value in _NAME_SET
        ):
            key = str(node.slice.value)
            raise _Refusal(target.lineno, f"{key} is set through a subscript", name=key)
    _check_code(target)


def _walk_code(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes that run when ``node`` runs at import: skips function and lambda bodies."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
            todo.extend(current.decorator_list)
            todo.append(current.args)
            if current.returns is not None:
                todo.append(current.returns)
        elif isinstance(current, ast.Lambda):
            todo.append(current.args)
        else:
            todo.extend(ast.iter_child_nodes(current))


def _check_code(node: ast.AST) -> None:
    """Refuse code run at import that reaches the module namespace or binds by walrus."""
    for refusal in _code_refusals(node):
        raise refusal


def _code_refusals(node: ast.AST) -> Iterator[_Refusal]:
    """Every refusal of ``_check_code``, in walk order."""
    for sub in _walk_code(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
            name = sub.func.id
            if name in _NAMESPACE_CALLS or (name == "vars" and not sub.args):
                yield _Refusal(sub.lineno, f"{name}() at module level can change any name")
            elif name == "setattr" and len(sub.args) >= 2:
                attr = sub.args[1]
                if not isinstance(attr, ast.Constant) or attr.value in _NAME_SET:
                    yield _Refusal(sub.lineno, "setattr() at module level may set revision names")
        elif isinstance(sub, ast.Attribute) and sub.attr == "__dict__":
            yield _Refusal(sub.lineno, "__dict__ at module level can change any name")
        elif (
            isinstance(sub, ast.NamedExpr)
            and isinstance(sub.target, ast.Name)
            and sub.target.id in _NAME_SET
        ):
            yield _Refusal(
                sub.lineno,
                f"{sub.target.id} is bound by an assignment expression",
                name=sub.target.id,
            )
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _globals_decl_refusals(sub)


def _check_globals_decl(func: ast.AST) -> None:
    """A function declaring ``global revision`` may set it when called at import."""
    for refusal in _globals_decl_refusals(func):
        raise refusal


def _globals_decl_refusals(func: ast.AST) -> Iterator[_Refusal]:
    for sub in ast.walk(func):
        if isinstance(sub, ast.Global):
            for name in sub.names:
                if name in _NAME_SET:
                    yield _Refusal(
                        sub.lineno, f"a function declares global {name}", name=name, lasting=True
                    )


def _bound_names(stmt: ast.stmt, *, class_body: bool) -> Iterator[tuple[str, int]]:
    """Names a compound statement binds in the module namespace, with their lines."""
    for node in _walk_code(stmt):
        line = getattr(node, "lineno", stmt.lineno)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            if not class_body:
                yield node.id, line
        elif isinstance(node, ast.alias) and not class_body:
            yield node.asname or node.name.split(".")[0], line
        elif (
            isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar)
            and node.name
            and not class_body
        ):
            yield node.name, line
        elif isinstance(node, ast.MatchMapping) and node.rest and not class_body:
            yield node.rest, line
        elif (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node is not stmt
            and not class_body
        ):
            yield node.name, line
        elif isinstance(node, ast.Global):
            yield from ((name, line) for name in node.names)
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            yield node.target.id, line


def _describe(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return f"the name {node.id}"
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    if isinstance(node, ast.Call):
        return "a call"
    if isinstance(node, ast.Attribute):
        return "an attribute"
    if isinstance(node, ast.Starred):
        return "a starred expression"
    return "an expression"


def _literal(node: ast.expr, name: str) -> _Value:
    """The value of a literal, or a refusal naming what the value is instead."""
    line = node.lineno
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, str):
            return value
        raise _Refusal(
            line, f"{name} is {_type_name(value)}, not a string, strings or None", BAD_VALUE, name
        )
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items: list[str] = []
        for elt in node.elts:
            if isinstance(elt, ast.Constant):
                if isinstance(elt.value, str):
                    items.append(elt.value)
                    continue
                raise _Refusal(
                    line, f"{name} contains {_type_name(elt.value)}, not a string", BAD_VALUE, name
                )
            raise _Refusal(
                line,
                f"{name} contains {_describe(elt)}; cannot read it without running the file",
                name=name,
                cause=("computed", ast.unparse(elt)),
            )
        if isinstance(node, ast.Set):
            return tuple(dict.fromkeys(items))
        return tuple(items)
    if isinstance(node, ast.Dict):
        raise _Refusal(line, f"{name} is a dict, not a string, strings or None", BAD_VALUE, name)
    raise _Refusal(
        line,
        f"{name} is {_describe(node)}; cannot read it without running the file",
        name=name,
        cause=("computed", ast.unparse(node)),
    )


def _type_name(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, bytes):
        return "bytes"
    if value is Ellipsis:
        return "Ellipsis"
    article = "an" if type(value).__name__[0] in "aeiou" else "a"
    return f"{article} {type(value).__name__}"


# ---------------------------------------------------------------------------------------------
# The pre-scan. Returns None whenever anything differs from the plain shape; the full reader
# then decides. Everything it accepts, it accepts with the same meaning as the full reader.

_OUR_STMT = r"(down_revision|revision|branch_labels|depends_on)[ \t]*([:=])"
_STRING_START = r"[rRuUbBfF]{0,2}['\"]"
_CODING = r"(?m)^[ \t\f]*#.*?coding[:=]"
_STRING_FIRST = frozenset("rRuUbBfF'\"")
_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# After the header: any of these words (as a whole word) could (re)bind a name at import,
# and then the whole file is parsed. Checked with str.find, which is ~6x faster than a regex.
_TAIL_WORDS = (
    "revision",
    "down_revision",
    "branch_labels",
    "depends_on",
    "globals",
    "locals",
    "vars",
    "exec",
    "eval",
    "setattr",
    "__getattr__",
    "__dict__",
)
_STAR_IMPORT = r"import[ \t\\\n]*\*"
_MAX_STATEMENT_LINES = 60

_OK, _INCOMPLETE, _FALLBACK = 0, 1, 2


def _prescan(path: str, source: bytes) -> ParsedScript | None:
    text = _plain_text(source)
    if text is None:
        return None
    lines = text.split("\n")
    count = len(lines)
    bindings: dict[str, _Binding] = {}
    doc_lines: tuple[int | None, int | None] = (None, None)
    statements = 0
    index = 0  # 0-based line index
    while index < count:
        line = lines[index]
        if not line:
            index += 1
            continue
        first = line[0]
        if first == "#":
            index += 1
            continue
        if first in " \t\f":
            stripped = line.lstrip()
            if not stripped or stripped[0] == "#":
                index += 1
                continue
            return None  # indented code at top level: a block, or broken
        match = _rx(_OUR_STMT).match(line) if first in "rdb" else None
        if match is not None:
            statements += 1
            step = _our_statement(lines, index, match, bindings)
        elif first in "dac@" and line.startswith(("def ", "async ", "class ", "@")):
            tail = sum(map(len, lines[:index])) + index
            if _tail_may_bind(text, tail):
                return None
            break
        elif statements == 0 and first in _STRING_FIRST and _rx(_STRING_START).match(line):
            if not line.startswith(('"""', "'''")):
                return None
            end = _docstring_end(lines, index)
            if end is None:
                return None
            doc_lines = _doc_lines(lines, index + 1, end + 1)
            statements = 1
            step = end + 1
        else:
            statements += 1
            step = _other_statement(lines, index)
        if step is None:
            return None
        index = step
    if not _text_compiles(text):
        return _parse_full(path, source, check_syntax=False)  # (to report the error)
    return _result(path, bindings, doc_lines)


def _tail_may_bind(text: str, start: int) -> bool:
    """Could the code from ``start`` on bind one of the names at import time?"""
    if not text.isascii():
        # Python folds identifiers with NFKC: a fullwidth 'ｒevision' is 'revision'.
        import unicodedata

        text = unicodedata.normalize("NFKC", text[start:])
        start = 0
    for word in _TAIL_WORDS:
        at = text.find(word, start)
        while at >= 0:
            end = at + len(word)
            if (at == 0 or text[at - 1] not in _IDENT_CHARS) and (
                end == len(text) or text[end] not in _IDENT_CHARS
            ):
                return True
            at = text.find(word, end)
    return "*" in text[start:] and _rx(_STAR_IMPORT).search(text, start) is not None


def _docstring_end(lines: list[str], index: int) -> int | None:
    """Index of the line closing a plain triple-quoted docstring that starts the line."""
    line = lines[index]
    quote = line[:3]
    close = line.find(quote, 3)
    at = index
    while close < 0:
        if "\\" in line:
            return None
        at += 1
        if at >= len(lines):
            return None
        line = lines[at]
        close = line.find(quote)
    if "\\" in line[:close]:
        return None
    rest = line[close + 3 :].lstrip()
    if rest and rest[0] != "#":
        return None
    return at


def _our_statement(
    lines: list[str], index: int, match: re.Match[str], bindings: dict[str, _Binding]
) -> int | None:
    line = lines[index]
    name = match.group(1)
    equals = line.find("=", match.end(2) - 1 if match.group(2) == "=" else match.end())
    if equals < 0:
        # ``name: T`` alone: binds nothing, if it is that.
        return index + 1 if _classify_annotation_only(line, name) else None
    if line[equals + 1 : equals + 2] == "=":
        return None
    if not _prefix_ok(line[: equals + 1], name):
        return None
    scanned = _scan_value(lines, index, equals + 1)
    if scanned is None:
        return None
    value, span, next_index = scanned
    bindings[name] = (value, span)
    return next_index


@functools.lru_cache(maxsize=4096)
def _prefix_ok(prefix: str, name: str) -> bool:
    """``prefix`` + a value is a plain (annotated) assignment to ``name`` alone."""
    try:
        body = ast.parse(prefix + " None").body
    except (SyntaxError, ValueError):
        return False
    if len(body) != 1 or "#" in prefix:
        return False
    stmt = body[0]
    try:
        if isinstance(stmt, ast.AnnAssign):
            _check_code(stmt.annotation)
            return (
                isinstance(stmt.target, ast.Name)
                and stmt.target.id == name
                and stmt.value is not None
            )
        if isinstance(stmt, ast.Assign):
            return (
                len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and stmt.targets[0].id == name
            )
    except _Refusal:
        return False
    return False


@functools.lru_cache(maxsize=1024)
def _classify_annotation_only(line: str, name: str) -> bool:
    try:
        body = ast.parse(line).body
    except (SyntaxError, ValueError):
        return False
    if len(body) != 1 or not isinstance(body[0], ast.AnnAssign):
        return False
    stmt = body[0]
    try:
        _check_code(stmt.annotation)
    except _Refusal:
        return False
    return isinstance(stmt.target, ast.Name) and stmt.target.id == name and stmt.value is None


def _other_statement(lines: list[str], index: int) -> int | None:
    """A statement not starting with one of the names: accept it if it is simple and harmless."""
    text = lines[index]
    last = index
    while True:
        verdict = _INCOMPLETE if text.endswith("\\") else _classify(text)
        if verdict == _OK:
            return last + 1
        if verdict == _FALLBACK:
            return None
        last += 1
        if last >= len(lines) or last - index >= _MAX_STATEMENT_LINES:
            return None
        text = text + "\n" + lines[last]


_SIMPLE = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Pass)


@functools.lru_cache(maxsize=8192)
def _classify(text: str) -> int:
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError):
        return _INCOMPLETE
    for stmt in body:
        if not isinstance(stmt, _SIMPLE):
            return _FALLBACK
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            return _FALLBACK  # maybe a docstring the full reader would see; rare anyway
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Name)
                and node.id in _NAME_SET
                and isinstance(node.ctx, ast.Store | ast.Del)
            ):
                return _FALLBACK
        try:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                _check_import(stmt)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                _check_assign(stmt)
            else:
                _check_statement(stmt)
        except _Refusal:
            return _FALLBACK
    return _OK


def _check_assign(stmt: ast.Assign | ast.AnnAssign) -> None:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    for target in targets:
        if not isinstance(target, ast.Name):
            _check_target(target)
    if isinstance(stmt, ast.AnnAssign):
        _check_code(stmt.annotation)
    if stmt.value is not None:
        _check_code(stmt.value)


def _scan_value(lines: list[str], index: int, col: int) -> tuple[_Value, Span, int] | None:
    """Scan a literal starting at ``lines[index][col:]`` (after the ``=``).

    Returns the value, its span and the index of the line after the statement.
    """
    line = lines[index]
    n = len(line)
    while col < n and line[col] in " \t":
        col += 1
    if col >= n:
        return None
    start = (index, col)
    char = line[col]
    value: _Value
    if line.startswith("None", col):
        col += 4
        if col < n and line[col] in _IDENT_CHARS:
            return None
        value = None
    elif char in "\"'":
        scanned = _scan_string(line, col)
        if scanned is None:
            return None
        value, col = scanned
    elif char in "([{":
        closer = {"(": ")", "[": "]", "{": "}"}[char]
        items: list[str] = []
        trailing_comma = False
        col += 1
        while True:
            moved = _skip_blank(lines, index, col)
            if moved is None:
                return None
            index, col = moved
            line = lines[index]
            if line[col] == closer:
                col += 1
                break
            if line[col] not in "\"'":
                return None
            scanned = _scan_string(line, col)
            if scanned is None:
                return None
            item, col = scanned
            items.append(item)
            moved = _skip_blank(lines, index, col)
            if moved is None:
                return None
            index, col = moved
            line = lines[index]
            if line[col] == ",":
                trailing_comma = True
                col += 1
                continue
            if line[col] == closer:
                trailing_comma = False
                col += 1
                break
            return None
        if char == "{":
            if not items:
                return None  # {} is a dict
            value = tuple(dict.fromkeys(items))
        elif char == "(" and len(items) == 1 and not trailing_comma:
            return None  # ("x") is a string; ast's span would exclude the parentheses
        else:
            value = tuple(items)
        n = len(line)
    else:
        return None
    span = Span(start[0] + 1, start[1], index + 1, col)
    while col < n and line[col] in " \t":
        col += 1
    if col < n and line[col] != "#":
        return None
    return value, span, index + 1


def _scan_string(line: str, col: int) -> tuple[str, int] | None:
    """A one-line, unprefixed, escape-free string literal at ``col``: (value, end col)."""
    quote = line[col]
    if line.startswith(quote * 3, col):
        return None
    end = line.find(quote, col + 1)
    if end < 0:
        return None
    value = line[col + 1 : end]
    if "\\" in value:
        return None
    after = end + 1
    rest = line[after:].lstrip(" \t")
    if rest[:1] in ("'", '"'):
        return None  # adjacent literals: let ast join them
    return value, after


def _skip_blank(lines: list[str], index: int, col: int) -> tuple[int, int] | None:
    """Skip spaces, comments and line ends inside brackets; None at the end of the file."""
    while True:
        line = lines[index]
        n = len(line)
        while col < n and line[col] in " \t":
            col += 1
        if col < n and line[col] != "#":
            return index, col
        index += 1
        col = 0
        if index >= len(lines):
            return None


# ---------------------------------------------------------------------------------------------
# The scanner: one regex match per file for the usual shape, the four names assigned on
# consecutive lines in Alembic's template order (revision, down_revision, then optionally
# branch_labels and depends_on). Returns None whenever anything differs from that shape; the
# pre-scan (then the full reader) decides. Everything it accepts, it accepts with the same
# meaning as the full reader (the fuzz tests compare all three readers).
#
# The regex lexes the header into: blank and comment lines, a """docstring""", a run of other
# lines, our assignments (each value a literal: lexed in full, or a bracketed list that
# ``_scanned_list`` checks in full), another run of other lines, and the start of the tail
# (the first top-level ``def``/``class``/``async``/decorator, or the end). Each run of other
# lines must pass ``_classify`` on its own (``ast.parse``, cached by text, so a template's
# import block is parsed once per process): parsing on its own proves that no bracket, string
# or line continuation crosses into one of our lines, and the checks prove that it binds none
# of the names. Each assignment's target and annotation pass ``_prefix_ok`` (cached too). The
# tail is searched for words as in the pre-scan. The file must be ASCII (columns are then
# bytes, and no NFKC folding applies), end with a line end, and have no NUL, no \r other than
# in \r\n (normalised first), no "coding" in its first two lines, and no backslash in the
# docstring.
#
# Cost, for the record (CPython 3.11, the generated 5,000-file chain): about 7 µs a file
# against 17 µs for the pre-scan and 85 µs for ``ast.parse``; compiling the regex, once per
# process, about 1 ms (so it is kept small: values in brackets are checked in Python).

_S_END = r"[ \t]*+(?:\#[^\n]*+)?+\n"
# Lines that start none of our statements and no tail.
_S_OTHER = (
    r"(?:(?!(?:revision|down_revision|branch_labels|depends_on|def|class|async)\b|@)"
    r"[^\n]*+\n)*+"
)
# None, a one-line string without prefix or backslash, or something in brackets.
_S_VALUE = r"""(?>None|'[^'\\\n]*+'|"[^"\\\n]*+"|[(\[{][^()\[\]{}=]*+[)\]}])"""


def _s_ours(name: str) -> str:
    """Groups: the statement from its line start to its value, then the value."""
    return rf"({name}[ \t]*+(?::[^=\n]*+)?+=[ \t]*+)({_S_VALUE}){_S_END}"


_SCAN = re.compile(
    r"(?:[ \t]*+(?:\#[^\n]*+)?+\n)*+"  # blank and comment lines
    rf'("""[^"]*+(?:"(?!"")[^"]*+)*+"""{_S_END})?+'  # 1 the docstring
    rf"({_S_OTHER})"  # 2 other lines
    + _s_ours("revision")  # 3, 4
    + _s_ours("down_revision")  # 5, 6
    + rf"(?:{_s_ours('branch_labels')})?+"  # 7, 8
    + rf"(?:{_s_ours('depends_on')})?+"  # 9, 10
    + rf"({_S_OTHER})(?:(?=(?:def|class|async)[ \t]|@)|\Z)"  # 11 other lines
)
# In a docstring, a line that starts (after blanks, as str.lstrip() sees them) with the words.
_DOC_REVISION = re.compile(r"\n\s*+(Revision ID:)")
_DOC_REVISES = re.compile(r"\n\s*+(Revises:)")
_S_STR = r"""(?:'[^'\\\n]*+'|"[^"\\\n]*+")"""
_S_LIST = rf"[(\[{{][ \t\n]*+(?:{_S_STR}[ \t\n]*+,[ \t\n]*+)*+(?:{_S_STR}[ \t\n]*+)?+[)\]}}]"
_S_ITEM = r"""'([^'\n]*)'|"([^"\n]*)\""""
_CLOSER = {"(": ")", "[": "]", "{": "}"}
_NOT_SURE = ("not sure",)  # a value the scanner leaves to the pre-scan
_SCAN_PREFIXES: dict[str, bool] = {}  # _prefix_ok by statement start (it names the name)
_SPANS: dict[tuple[int, int, int], Span] = {}  # one-line spans, by line, col and length
_new_info = tuple.__new__  # ScriptInfo(*fields) without the generated __new__'s frame


def _scan(path: str, source: bytes) -> ParsedScript | None:
    try:
        text = source.decode("ascii")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    if "\0" in text or text[-1:] != "\n":
        return None
    if text.find("coding", 0, text.find("\n", text.find("\n") + 1)) >= 0:
        return None  # maybe an encoding cookie
    match = _SCAN.match(text)
    if match is None:
        return None
    end = match.end()
    tail = text[end:]
    if (
        "revision" in tail
        or "depends_on" in tail
        or "branch_labels" in tail
        or "globals" in tail
        or "locals" in tail
        or "vars" in tail
        or "exec" in tail
        or "eval" in tail
        or "setattr" in tail
        or "__getattr__" in tail
        or "__dict__" in tail
        or "*" in tail
    ) and _tail_may_bind(text, end):
        return None
    (
        doc,
        other,
        rev_prefix,
        rev_raw,
        down_prefix,
        down_raw,
        labels_prefix,
        labels_raw,
        deps_prefix,
        deps_raw,
        rest,
    ) = match.groups()
    if _classify(other) != _OK or (rest and _classify(rest) != _OK):
        return None
    if doc is not None and "\\" in doc:
        return None  # an escape could hide a quote: let the pre-scan decide
    at = match.start(3)
    line = text.count("\n", 0, at) + 1
    rev = _scan_binding(rev_prefix, rev_raw, "revision", text, at, line)
    if rev is None:
        return None
    line = rev[1].end_line + 1
    down = _scan_binding(down_prefix, down_raw, "down_revision", text, match.start(5), line)
    if down is None:
        return None
    line = down[1].end_line + 1
    labels: _Binding | None = None
    deps: _Binding | None = None
    if labels_prefix is not None:
        if labels_raw == "None" and _SCAN_PREFIXES.get(labels_prefix):  # the usual, quicker
            labels = (None, _one_line_span(line, len(labels_prefix), 4))
        else:
            labels = _scan_binding(
                labels_prefix, labels_raw, "branch_labels", text, match.start(7), line
            )
            if labels is None:
                return None
        line = labels[1].end_line + 1
    if deps_prefix is not None:
        if deps_raw == "None" and _SCAN_PREFIXES.get(deps_prefix):
            deps = (None, _one_line_span(line, len(deps_prefix), 4))
        else:
            deps = _scan_binding(deps_prefix, deps_raw, "depends_on", text, match.start(9), line)
            if deps is None:
                return None
    doc_lines: tuple[int | None, int | None] = (None, None)
    if doc is not None:
        doc_start, doc_end = match.span(1)
        doc_lines = (
            _doc_line(text, "Revision ID:", _DOC_REVISION, doc_start, doc_end),
            _doc_line(text, "Revises:", _DOC_REVISES, doc_start, doc_end),
        )
    # (a plain docstring, checked above, compiles as "" does: the shape skips it)
    if not _text_compiles(text if doc is None else '""\n' + text[match.end(1) :]):
        return _parse_full(path, source, check_syntax=False)  # (to report the error)
    if type(rev[0]) is not str:
        named = {"revision": rev, "down_revision": down}
        if labels:
            named["branch_labels"] = labels
        if deps:
            named["depends_on"] = deps
        return _result(path, named, doc_lines)
    return _new_info(
        ScriptInfo,
        (
            path,
            rev[0],
            _as_tuple(down[0]),
            _as_tuple(deps[0]) if deps else (),
            _as_tuple(labels[0]) if labels else (),
            rev[1],
            down[1],
            deps[1] if deps else None,
            labels[1] if labels else None,
            *doc_lines,
            (),
        ),
    )


def _doc_line(text: str, words: str, pattern: re.Pattern[str], start: int, end: int) -> int | None:
    """The first line of the docstring at ``start:end`` that starts with ``words`` after
    blanks (as ``str.lstrip`` sees them; its first line starts with quotes, never counts)."""
    at = text.find(words, start, end)
    if at < 0:
        return None
    if text[at - 1] != "\n":  # (at > start: the docstring starts with quotes)
        found = pattern.search(text, start, end)  # \s*+ may cross blank lines: fine
        if found is None:
            return None
        at = found.start(1)
    return text.count("\n", 0, at) + 1


def _scan_binding(
    prefix: str, raw: str, name: str, text: str, at: int, line: int
) -> _Binding | None:
    """The value and span of one assignment the regex found at ``at``, on line ``line``."""
    ok = _SCAN_PREFIXES.get(prefix)
    if ok is None:
        ok = _prefix_ok(prefix, name)
        if len(_SCAN_PREFIXES) < 1024:
            _SCAN_PREFIXES[prefix] = ok
    if not ok:
        return None
    value: _Value
    if raw == "None":
        value = None
    elif raw[0] == '"' or raw[0] == "'":
        value = raw[1:-1]
    else:
        value = _scanned_list(raw)
        if value is _NOT_SURE:
            return None
    col = len(prefix)
    if "\n" in raw:
        stop = at + col + len(raw)
        return value, Span(line, col, line + raw.count("\n"), stop - text.rfind("\n", 0, stop) - 1)
    return value, _one_line_span(line, col, len(raw))


def _one_line_span(line: int, col: int, length: int) -> Span:
    key = (line, col, length)
    span = _SPANS.get(key)
    if span is None:
        span = Span(line, col, line, col + length)
        if len(_SPANS) < 4096:
            _SPANS[key] = span
    return span


def _scanned_list(raw: str) -> _Value:
    """The value of a bracketed literal the regex found, or ``_NOT_SURE``."""
    if _CLOSER[raw[0]] != raw[-1] or _rx(_S_LIST).fullmatch(raw) is None:
        return _NOT_SURE  # (comments between items, for one: rare, let the pre-scan read it)
    items = [single or double for single, double in _rx(_S_ITEM).findall(raw)]
    if raw[0] == "{":
        return tuple(dict.fromkeys(items)) if items else _NOT_SURE  # {} is a dict
    if raw[0] == "(" and len(items) == 1 and not raw[:-1].rstrip().endswith(","):
        return _NOT_SURE  # ("x") is a string; ast's span would exclude the parentheses
    return tuple(items)


Mode = Literal["scan", "fast", "full"]


def parse_script_with(path: str, source: bytes, mode: Mode) -> ParsedScript | None:
    """Testing aid: the result of one reader only (``scan``, the regex scanner, and ``fast``,
    the line pre-scan, may return None: "not sure")."""
    if mode == "scan":
        return _scan(path, source)
    if mode == "fast":
        return _prescan(path, source)
    return _parse_full(path, source, check_syntax=False)
