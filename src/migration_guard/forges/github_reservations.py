"""Reservations kept through GitHub's REST API (``--via github``): for CI jobs that hold an
API token but cannot push. The refs and commits are the ones a push would make
(``refs/migration-guard/<chain>/<number>`` pointing at a parentless commit of the empty tree
whose message says who reserved what), so ``--via git`` and ``--via github`` see each other's
reservations.

* read: ``GET /repos/{o}/{r}/git/matching-refs/migration-guard`` (``Link`` pages; refs
  outside ``refs/migration-guard/`` are dropped), then each commit's message with
  ``GET /git/commits/{sha}``: one request per reservation *not seen before* by this client
  (messages are cached by sha, and a commit this client made is known without asking), so the
  claim loop's re-reads cost one list request plus the newcomers. The client's deadline
  (``--forge-deadline``) bounds the whole.
* create: ``POST /git/commits`` (empty tree, no parents, the reservation message), then
  ``POST /git/refs``. GitHub creates a ref only if it does not exist, else answers 422
  "Reference already exists": the same create-only compare-and-swap as the git push's
  ``--force-with-lease=<ref>:``. A 422 is judged by reading the ref back (our own commit there
  means an earlier try of ours got through before a retry; someone else's: the race is lost;
  none: GitHub refused the ref for another reason, an error).
* delete: ``GET /git/ref/...`` and compare with the commit read, then ``DELETE /git/refs/...``.

Errors: 401 and 403 (but rate limits, which the client waits out or reports) say which
permission the token needs (``contents: write``), exit 3. The token is never printed: every
message goes through the client's masking.
"""

from __future__ import annotations

import secrets
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from migration_guard.errors import ForgeError, UndecidableError, UsageError
from migration_guard.forges.answers import Answers
from migration_guard.forges.github import GitHubSettings
from migration_guard.forges.http import (
    ForgeLimits,
    HTTPStatusError,
    JsonClient,
    RetryPolicy,
)
from migration_guard.reservations import (
    NAMESPACE,
    Claimant,
    Deleted,
    Reservation,
    message,
    ref_for,
    reservation_of,
)

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
PAGE_SIZE = 100
_ANSWERS = Answers("GitHub")


class GitHubRefusedError(ForgeError):
    """GitHub refused the token (401) or the operation (403): a permission is missing."""


class GitHubReservations:
    """A ``ReservationStore`` on GitHub's REST API."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        limits: ForgeLimits | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not settings.token:
            raise UsageError(
                "--via github needs a token: GITHUB_TOKEN (or GH_TOKEN) is not set",
                hint="In a workflow: env: GITHUB_TOKEN: ${{ github.token }} with "
                "`permissions: contents: write`. Where you can push, use --via git.",
            )
        self.settings = settings
        self.client = JsonClient(
            settings.api_url,
            token=settings.token,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
            name="GitHub",
            limits=limits,
            retry=retry,
            sleep=sleep,
        )
        self._rest = f"/repos/{settings.owner}/{settings.name}/git"
        self._messages: dict[str, tuple[str, int | None]] = {}  # sha -> (message, committed)

    def __repr__(self) -> str:
        return f"GitHubReservations({self.settings!r})"

    @property
    def where(self) -> str:
        return f"GitHub {self.settings.repository}"

    # -- the store -------------------------------------------------------------------------

    def read(self, chain: str | None = None) -> list[Reservation]:
        # No trailing slash: a ``chain`` prefix also matches ``console2``; those are dropped
        # below, as are refs outside the namespace (``refs/migration-guard-x/...``).
        prefix = NAMESPACE.removeprefix("refs/").rstrip("/") + (f"/{chain}" if chain else "")
        found = []
        with self._refused("read the reservations (refs/migration-guard/*)", "read"):
            refs = self.client.get_all(
                f"{self._rest}/matching-refs/{_quote(prefix)}", {"per_page": PAGE_SIZE}
            )
            for item in refs:
                item = _ANSWERS.dict(item, "ref")
                ref = _ANSWERS.str(item.get("ref"), "ref name")
                target = _ANSWERS.dict(item.get("object"), "ref object")
                sha = _ANSWERS.str(target.get("sha"), "ref object sha")
                text, committed = "", None
                if target.get("type", "commit") == "commit":
                    text, committed = self._message(sha)
                reservation = reservation_of(ref, sha, text, committed=committed)
                if reservation is not None and (chain is None or reservation.chain == chain):
                    found.append(reservation)
        return sorted(found, key=lambda r: (r.chain, r.number, r.ref))

    def create(
        self, chain: str, number_text: str, who: Claimant, *, now: datetime | None = None
    ) -> Reservation | None:
        created = (now or datetime.now(UTC)).replace(microsecond=0)
        text = message(chain, number_text, who._replace(nonce=secrets.token_hex(8)), created)
        ref = ref_for(chain, number_text)
        with self._refused(f"create {ref}", "write"):
            # The same body always makes the same commit: retrying it is harmless.
            answer = self.client.request(
                "POST",
                f"{self._rest}/commits",
                body={
                    "message": text,
                    "tree": EMPTY_TREE,
                    "parents": [],
                    "author": {
                        "name": who.who,
                        "email": who.email or "unknown",
                        "date": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    },
                },
                idempotent=True,
            )
            commit = _ANSWERS.str(_ANSWERS.dict(answer.data, "commit").get("sha"), "commit sha")
            self._messages[commit] = (text, int(created.timestamp()))
            # Retried on a lost answer too: a 422 then is judged by reading the ref back.
            made = self.client.request(
                "POST",
                f"{self._rest}/refs",
                body={"ref": ref, "sha": commit},
                idempotent=True,
                allow=(422,),
            )
            if made.status == 422:
                holder = self._target(ref)
                if holder is None:
                    raise UndecidableError(
                        self.client.mask(
                            f"GitHub {self.settings.repository} refused to create {ref}: "
                            f"{_detail(made.data)}"
                        ),
                        hint=f"check that refs under {NAMESPACE} may be created in the "
                        "repository (rulesets, push rules)",
                    )
                if holder != commit:
                    return None  # someone else's: the race is lost
        return reservation_of(ref, commit, text)

    def delete(self, reservation: Reservation) -> Deleted:
        with self._refused(f"delete {reservation.ref}", "write"):
            holder = self._target(reservation.ref)
            if holder is None:
                return Deleted(reservation, False, "it no longer exists")
            if holder != reservation.oid:
                return Deleted(reservation, False, f"it now points at {holder[:12]}")
            # The window: GitHub's DELETE /git/refs takes no expected value (no lease), so a
            # ref deleted and created again by someone else between the GET above and this
            # DELETE (milliseconds; it takes a release and a new reservation of the same
            # number) would be deleted too. The git transport has no such window.
            gone = self.client.request(
                "DELETE", f"{self._rest}/refs/{_ref_path(reservation.ref)}", allow=(404, 422)
            )
        if gone.status in (404, 422):
            return Deleted(reservation, False, "it no longer exists")
        return Deleted(reservation, True, "deleted")

    # -- helpers ---------------------------------------------------------------------------

    def _message(self, sha: str) -> tuple[str, int | None]:
        if sha not in self._messages:
            answer = self.client.request("GET", f"{self._rest}/commits/{sha}", allow=(404,))
            if answer.status == 404:
                return "", None  # gone since it was listed: it still held the number then
            data = _ANSWERS.dict(answer.data, "commit")
            text = data.get("message")
            self._messages[sha] = (
                text if isinstance(text, str) else "",
                _epoch(data.get("committer")),
            )
        return self._messages[sha]

    def _target(self, ref: str) -> str | None:
        """The commit ``ref`` points at now, or None when it does not exist."""
        answer = self.client.request("GET", f"{self._rest}/ref/{_ref_path(ref)}", allow=(404,))
        if answer.status == 404:
            return None
        target = _ANSWERS.dict(_ANSWERS.dict(answer.data, "ref").get("object"), "ref object")
        return _ANSWERS.str(target.get("sha"), "ref object sha")

    def _refused(self, what: str, access: str) -> _Refused:
        return _Refused(self, what, access)


class _Refused:
    """Turns 401/403 (not rate limits: those are ``RateLimitError``) into one sentence."""

    def __init__(self, store: GitHubReservations, what: str, access: str) -> None:
        self.store = store
        self.what = what
        self.access = access

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if not isinstance(exc, HTTPStatusError) or exc.status not in (401, 403):
            return
        repo = self.store.settings.repository
        if exc.status == 401:
            sentence = (
                f"GitHub did not accept the token (HTTP 401) trying to {self.what} in {repo}: "
                "it is missing, expired or wrong"
            )
        else:
            needs = (
                "`contents: write`"
                if self.access == "write"
                else "`contents: read` (`contents: write` to reserve or release)"
            )
            sentence = (
                f"GitHub refused to {self.what} in {repo} (HTTP 403): the token needs "
                f"{needs} on the repository"
            )
        raise GitHubRefusedError(
            self.store.client.mask(sentence),
            hint="in a workflow: `permissions: contents: write` for the job; a fine-grained "
            'token: "Contents: Read and write"; a classic token: the repo scope',
        ) from None


def _quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/")


def _ref_path(ref: str) -> str:
    """``refs/migration-guard/c/1`` as the REST API names it: ``migration-guard/c/1``."""
    return _quote(ref.removeprefix("refs/"))


def _epoch(person: Any) -> int | None:
    date = person.get("date") if isinstance(person, dict) else None
    if not isinstance(date, str):
        return None
    try:
        return int(datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _detail(data: Any) -> str:
    text = data.get("message") if isinstance(data, dict) else None
    return str(text)[:300] if text else "HTTP 422"
