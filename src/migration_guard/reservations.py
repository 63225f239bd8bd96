"""Reservations: a number taken ahead of its migration. Pure: no I/O.

A reservation is a ref ``refs/migration-guard/<chain>/<number>`` on the remote, pointing at a
commit unique to the claimant (an empty tree, no parent) whose message says who took it, from
which host and branch, when, and for what (``key: value`` lines, as git trailers). Creating the
ref is a create-only compare-and-swap push, so two claimants can never both hold one number
(services/reservations.py talks to the remote; this module only reads, writes and judges the
messages).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

from migration_guard.collisions import Claim, ClaimSource

NAMESPACE = "refs/migration-guard/"
# Where a fetch mirrors a remote's reservations locally (never pushed, never shared).
LOCAL_NAMESPACE = "refs/migration-guard-remote/"
SUBJECT = "migration-guard reservation"
DEFAULT_MAX_AGE_DAYS = 14.0

_KEYS = {
    "chain": "Migration-Guard-Chain",
    "number": "Migration-Guard-Number",
    "who": "Reserved-By",
    "email": "Reserved-By-Email",
    "host": "Reserved-Host",
    "created": "Reserved-At",
    "branch": "Reserved-Branch",
    "slug": "Reserved-Slug",
    "nonce": "Reserved-Nonce",
}
_LEADING_NUMBER = re.compile(r"^[0-9]+[-_.]?")
_NUMBER = re.compile(r"^[0-9]{1,12}$")


class Claimant(NamedTuple):
    """Who reserves, as the message records it."""

    who: str
    email: str
    host: str
    branch: str | None
    slug: str | None
    nonce: str  # makes every reservation commit unique, even within one second


class Reservation(NamedTuple):
    chain: str
    number: int
    number_text: str
    ref: str
    oid: str
    who: str = ""
    email: str = ""
    host: str = ""
    created: datetime | None = None
    branch: str | None = None
    slug: str | None = None

    def age_seconds(self, now: datetime) -> float | None:
        return None if self.created is None else (now - self.created).total_seconds()

    @property
    def describe(self) -> str:
        """``reserved by Alice (branch feat-x) at 2026-06-05 10:00 UTC``."""
        who = self.who or self.email or "someone"
        branch = f" (branch {self.branch})" if self.branch else ""
        when = f" at {self.created:%Y-%m-%d %H:%M} UTC" if self.created else ""
        return f"reserved by {who}{branch}{when}"


class Deleted(NamedTuple):
    reservation: Reservation
    ok: bool
    reason: str


class ReservationStore(Protocol):
    """Where reservations are kept, whatever the transport: a git remote (fetch and
    create-only pushes, ``services/reservations.GitStore``) or GitHub's REST API (create-ref
    calls, ``forges/github_reservations.GitHubReservations``). Both give the same guarantee:
    ``create`` succeeds for one claimant only."""

    @property
    def where(self) -> str:
        """How messages name the place (``origin``, ``GitHub acme/app``)."""
        ...

    def read(self, chain: str | None = None) -> list[Reservation]:
        """Every reservation (of ``chain`` only, when given), by chain and number."""
        ...

    def create(self, chain: str, number_text: str, who: Claimant) -> Reservation | None:
        """The new reservation, or None when someone else holds the number (it existed, or
        another claimant won the race)."""
        ...

    def delete(self, reservation: Reservation) -> Deleted:
        """Delete ``reservation`` only while it is what was read."""
        ...


def ref_for(chain: str, number_text: str) -> str:
    return f"{NAMESPACE}{chain}/{number_text}"


def parse_ref(ref: str, prefix: str = NAMESPACE) -> tuple[str, int, str] | None:
    """(chain, number, number text) of a reservation ref below ``prefix``, or None."""
    if not ref.startswith(prefix):
        return None
    chain, _, number_text = ref[len(prefix) :].rpartition("/")
    if not chain or not _NUMBER.match(number_text):
        return None
    return chain, int(number_text), number_text


def _clean(value: str) -> str:
    return " ".join(value.split())


def message(chain: str, number_text: str, claimant: Claimant, created: datetime) -> str:
    """The reservation commit's message: a subject, then one ``Key: value`` line each."""
    fields = {
        "chain": chain,
        "number": number_text,
        "who": claimant.who,
        "email": claimant.email,
        "host": claimant.host,
        "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "branch": claimant.branch or "",
        "slug": claimant.slug or "",
        "nonce": claimant.nonce,
    }
    lines = [f"{_KEYS[k]}: {_clean(v)}" for k, v in fields.items() if _clean(v)]
    return f"{SUBJECT} {chain} {number_text}\n\n" + "\n".join(lines) + "\n"


def parse_message(text: str) -> dict[str, str]:
    """The ``Key: value`` lines of a reservation message, by field name (``who``...)."""
    by_key = {v.lower(): k for k, v in _KEYS.items()}
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        field = by_key.get(key.strip().lower())
        if sep and field is not None and field not in found:
            found[field] = value.strip()
    return found


def _timestamp(text: str | None, fallback: int | None) -> datetime | None:
    if text:
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            pass
    return None if fallback is None else datetime.fromtimestamp(fallback, UTC)


def reservation_of(
    ref: str, oid: str, text: str, *, committed: int | None = None, prefix: str = NAMESPACE
) -> Reservation | None:
    """The reservation a ref (below ``prefix``) and its commit message stand for; None when
    the ref is not a reservation's. A message that is not ours (someone pushed another commit)
    still reserves the number: who and when then come from what is known."""
    parsed = parse_ref(ref, prefix)
    if parsed is None:
        return None
    chain, number, number_text = parsed
    fields = parse_message(text)
    return Reservation(
        chain=chain,
        number=number,
        number_text=number_text,
        ref=ref_for(chain, number_text),
        oid=oid,
        who=fields.get("who", ""),
        email=fields.get("email", ""),
        host=fields.get("host", ""),
        created=_timestamp(fields.get("created"), committed),
        branch=fields.get("branch") or None,
        slug=fields.get("slug") or None,
    )


def slug_of(name: str) -> str:
    """A migration's slug: its name without the number prefix (``0145_add_x`` -> ``add_x``)."""
    return _LEADING_NUMBER.sub("", name)


def is_own(reservation: Reservation, *, branches: Iterable[str], slugs: Iterable[str]) -> bool:
    """Whether a change holds ``reservation`` itself: made from its branch, or for one of its
    new migrations (same slug)."""
    names = {b.removeprefix("origin/") for b in branches if b}
    if reservation.branch and reservation.branch in names:
        return True
    return bool(reservation.slug) and reservation.slug in set(slugs)


def claim_of(reservation: Reservation) -> Claim:
    """A reservation as a claim: it outranks every open change (collisions._PRIORITY)."""
    return Claim(
        reservation.chain,
        reservation.number,
        reservation.ref,
        ClaimSource.RESERVATION,
        ref=reservation.ref,
        number_text=reservation.number_text,
        detail=reservation.describe,
    )


def claims(
    reservations: Iterable[Reservation],
    *,
    branches: Iterable[str] = (),
    slugs: Mapping[str, Iterable[str]] | None = None,
) -> list[Claim]:
    """The claims of every reservation but a change's own (``slugs``: chain -> its new
    migrations' slugs)."""
    branches = tuple(branches)
    slugs = slugs or {}
    return [
        claim_of(r)
        for r in reservations
        if not is_own(r, branches=branches, slugs=slugs.get(r.chain, ()))
    ]


class Stale(NamedTuple):
    reservation: Reservation
    reason: str


def stale(
    reservations: Sequence[Reservation],
    *,
    landed: Mapping[str, Iterable[int]],
    now: datetime,
    max_age_days: float,
) -> list[Stale]:
    """The reservations to collect: their number is on the base branch (``landed``: chain ->
    the numbers its base holds), or they are older than ``max_age_days``."""
    found = []
    numbers = {chain: set(ns) for chain, ns in landed.items()}
    for r in reservations:
        age = r.age_seconds(now)
        if r.number in numbers.get(r.chain, set()):
            found.append(Stale(r, f"{r.chain} {r.number_text} is on the base branch"))
        elif age is not None and age > max_age_days * 86400:
            found.append(Stale(r, f"older than {max_age_days:g} days ({age_text(age)})"))
    return found


def age_text(seconds: float | None) -> str:
    """``3d``, ``5h``, ``12m``, ``40s`` (``?`` when unknown)."""
    if seconds is None:
        return "?"
    seconds = max(seconds, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
