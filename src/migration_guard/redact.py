"""Keep secrets (and undecodable bytes) out of everything the tool prints or posts.

Secrets are registered as they are learned (forge tokens from the environment, the password of
every URL the user or the CI gives: ``--database-url``, ``--target``, API URLs, sqitch.conf
targets) and :func:`redact` replaces each with ``***`` wherever it appears: in any letter case,
URL-encoded (``%2F`` or ``%2f``, ``+`` for spaces), JSON- or repr-escaped, and with
configparser's doubled ``%``. The password part of any ``scheme://user:password@host`` is
masked too, known or not (except the placeholders our own examples use). :func:`scrub` also
shows the undecodable bytes of a non-UTF-8 file name as ``\\xNN``. The CLI applies it at the
output boundary (its stdout and stderr), and posted comments and the GitHub step summary go
through it, so a migration's exception text or a forge's echo of the token cannot leak one.

Long secrets (tokens) are masked wherever they occur; short ones (typical passwords such as
``postgres``) only where they are not glued to other letters or digits, so that the word
``PostgreSQL`` survives a password ``postgres`` while ``user:postgres@`` does not.
"""

from __future__ import annotations

import io
import re
from typing import Any, TextIO

MASK = "***"
_LONG = 12  # from this length on, a secret is masked even inside a longer word
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s/:@'\"<>]*:)([^\s/@'\"<>]+)(@)")
_URL_PASSWORD = re.compile(r"(?i)^[a-z][a-z0-9+.:-]*://([^/?#@]*)@")
# The passwords of our own examples (``--help``, hints), unless someone really uses one.
_PLACEHOLDERS = frozenset({"password", "pw", "postgres", "PASSWORD", MASK})
# A short secret's edges: not next to a letter or digit, unless that is the end of a %XX.
_BEFORE = r"(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{2}))"
_AFTER = r"(?![A-Za-z0-9])"

_secrets: set[str] = set()
# The pattern and the secrets it was built from (no lock: a stale one is rebuilt).
_cache: tuple[frozenset[str], re.Pattern[str] | None] = (frozenset(), None)


def register(secret: str | None) -> None:
    """Mask ``secret`` from now on (empty or whitespace-only values are ignored)."""
    if secret and secret.strip() and secret != MASK:
        _secrets.add(secret)


def register_url(url: str | None) -> None:
    """Mask the password of ``url`` (``scheme://user:password@host...``, also ``db:pg://``),
    as given and percent-decoded. Tolerates URLs that ``urllib`` refuses (bad IPv6 hosts)."""
    if not url:
        return
    match = _URL_PASSWORD.match(url.strip())
    if match is None:
        return
    userinfo = match.group(1)
    if ":" not in userinfo:
        return
    import urllib.parse  # only when there is a password: not on every run's path

    password = userinfo.split(":", 1)[1]
    register(password)
    register(urllib.parse.unquote(password))


def reset() -> None:
    """Forget every secret: each run (``main`` call) learns its own."""
    _secrets.clear()


def _forms(secret: str) -> set[str]:
    import json
    import urllib.parse

    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
    }
    forms |= {form.replace("%", "%%") for form in forms if "%" in form}
    return {form for form in forms if form}


def _compile() -> re.Pattern[str] | None:
    global _cache
    known = frozenset(_secrets)
    if known != _cache[0]:
        parts = []
        # Longest first: a secret that contains another is masked whole.
        for form in sorted({f for s in known for f in _forms(s)}, key=len, reverse=True):
            escaped = re.escape(form)
            parts.append(escaped if len(form) >= _LONG else f"{_BEFORE}{escaped}{_AFTER}")
        _cache = (known, re.compile("|".join(parts), re.IGNORECASE) if parts else None)
    return _cache[1]


def _mask_userinfo(match: re.Match[str]) -> str:
    password = match.group(2)
    if password in _PLACEHOLDERS and password not in _secrets:
        return match.group()  # an example in a help text or a hint, not a secret
    return f"{match.group(1)}{MASK}{match.group(3)}"


def mask_passwords(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` in it masked (also in
    URLs that ``urllib`` refuses to parse)."""
    return _USERINFO.sub(_mask_userinfo, text)


def redact(text: str) -> str:
    """``text`` with every known secret, and every URL password, replaced by ``***``."""
    if not text:
        return text
    text = mask_passwords(text)
    pattern = _compile()
    return pattern.sub(MASK, text) if pattern is not None else text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _show(match: re.Match[str]) -> str:
    code = ord(match.group())
    # surrogateescape: an undecodable byte 0xNN of a file name is U+DCNN.
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def show_bytes(text: str) -> str:
    """``text`` with lone surrogates (the undecodable bytes of a non-UTF-8 file name) shown
    as ``\\xNN``: they cannot be encoded as UTF-8, in a file, a comment or a terminal."""
    return _SURROGATE.sub(_show, text)


def scrub(text: str) -> str:
    """What may leave the tool: undecodable bytes shown as ``\\xNN``, secrets masked."""
    return redact(show_bytes(text))


class RedactingStream(io.TextIOBase):
    """A text stream that masks secrets (and shows undecodable bytes as ``\\xNN``) before
    they reach ``target``.

    Whole lines are masked, so a secret written in pieces is still caught; what is left of a
    line goes out on ``flush()``. Everything else (``fileno``, ``isatty``, ``encoding``) is
    the target's.
    """

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target
        self._pending = ""

    def write(self, text: str) -> int:
        data = self._pending + text
        cut = data.rfind("\n") + 1
        self._pending = data[cut:]
        if cut:
            self.target.write(scrub(data[:cut]))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self.target.write(scrub(pending))
        self.target.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.target, "errors", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)
