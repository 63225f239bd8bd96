"""Real git repositories for tests: a work tree with a bare ``origin`` beside it."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

_IDENTITY = [
    "-c",
    "user.name=Test",
    "-c",
    "user.email=test@example.invalid",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "init.defaultBranch=main",
]


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", *_IDENTITY, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


@dataclass(frozen=True)
class GitRepo:
    path: Path
    origin: Path

    @classmethod
    def create(cls, base: Path, name: str = "repo") -> GitRepo:
        origin = base / f"{name}-origin.git"
        path = base / name
        path.mkdir(parents=True)
        git(base, "init", "-q", "--bare", "-b", "main", str(origin))
        git(path, "init", "-q", "-b", "main")
        git(path, "remote", "add", "origin", str(origin))
        return cls(path=path, origin=origin)

    def git(self, *args: str) -> str:
        return git(self.path, *args)

    def write(self, rel: str, text: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit_all(self, message: str, *, date: str | None = None) -> str:
        """Commit everything; ``date`` (e.g. ``2026-06-05T10:00:00Z``) sets the author and
        committer dates, for tests where the order of commits matters."""
        self.git("add", "-A")
        env = None if date is None else {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.git("rev-parse", "HEAD").strip()

    def push(self, *refs: str) -> None:
        self.git("push", "-q", "origin", *(refs or ("HEAD",)))
        self.git("fetch", "-q", "origin")
