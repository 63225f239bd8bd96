"""Colour only on a terminal: the real CLI in a subprocess, its stdout on a pseudo-terminal or a
pipe, with NO_COLOR and FORCE_COLOR (no-color.org, force-color.org)."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from migration_guard import ui

SRC = Path(__file__).resolve().parents[1] / "src"
GREEN_OK = f"{ui.GREEN}OK{ui.RESET}"
RED_FAIL = f"{ui.RED}FAIL{ui.RESET}"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    return {**env, "PYTHONPATH": str(SRC), "TERM": "xterm-256color", **extra}


def _on_tty(repo: Path, *args: str, stream: str = "stdout", **env: str) -> tuple[int, str]:
    """Run the CLI with ``stream`` on a pseudo-terminal: (exit code, what the terminal got)."""
    master, slave = pty.openpty()
    ends = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: slave}
    proc = subprocess.Popen(
        [sys.executable, "-m", "migration_guard", *args],
        cwd=repo,
        env=_env(**env),
        stdin=subprocess.DEVNULL,
        stdout=ends["stdout"],
        stderr=ends["stderr"],
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=60)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    os.close(master)
    return code, b"".join(chunks).decode().replace("\r\n", "\n")


def _piped(repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", *args],
        cwd=repo,
        env=_env(**env),
        capture_output=True,
        text=True,
    )


def test_a_terminal_gets_colour(sample_repo: Path) -> None:
    code, seen = _on_tty(sample_repo, "heads")
    assert code == 0
    assert f"Console: {GREEN_OK} (exactly 1 head)" in seen.splitlines()
    subprocess.run(["git", "checkout", "-q", "incident"], cwd=sample_repo, check=True)
    code, seen = _on_tty(sample_repo, "heads")
    assert code == 1
    assert f"Console: {RED_FAIL} (2 heads)" in seen.splitlines()
    assert f"Raptor: {GREEN_OK} (exactly 1 head)" in seen.splitlines()


def test_a_pipe_gets_none(sample_repo: Path) -> None:
    proc = _piped(sample_repo, "heads")
    assert proc.returncode == 0
    assert "\x1b" not in proc.stdout + proc.stderr
    assert "Console: OK (exactly 1 head)" in proc.stdout.splitlines()


def test_no_color_wins_over_a_terminal_and_over_force_color(sample_repo: Path) -> None:
    code, seen = _on_tty(sample_repo, "heads", NO_COLOR="1")
    assert code == 0 and "Console: OK (exactly 1 head)" in seen.splitlines()
    assert "\x1b" not in seen
    code, seen = _on_tty(sample_repo, "heads", NO_COLOR="1", FORCE_COLOR="1")
    assert "\x1b" not in seen
    # An empty NO_COLOR is not set (no-color.org).
    code, seen = _on_tty(sample_repo, "heads", NO_COLOR="")
    assert GREEN_OK in seen


def test_term_dumb_gets_none(sample_repo: Path) -> None:
    code, seen = _on_tty(sample_repo, "heads", TERM="dumb")
    assert code == 0 and "\x1b" not in seen


def test_force_color_colours_a_pipe(sample_repo: Path) -> None:
    proc = _piped(sample_repo, "lint", FORCE_COLOR="1")
    assert proc.returncode == 0
    assert f"lint: 3 chains checked. {GREEN_OK}." in proc.stdout.splitlines()
    # FORCE_COLOR=0 (as Node reads it) and an empty one do not force.
    for value in ("0", ""):
        assert "\x1b" not in _piped(sample_repo, "lint", FORCE_COLOR=value).stdout


def test_machine_formats_are_never_coloured(sample_repo: Path) -> None:
    subprocess.run(["git", "checkout", "-q", "incident"], cwd=sample_repo, check=True)
    for fmt in ("json", "gitlab", "junit"):
        proc = _piped(sample_repo, "heads", "--format", fmt, FORCE_COLOR="1")
        assert proc.returncode == 1
        assert "\x1b" not in proc.stdout, fmt
    code, seen = _on_tty(sample_repo, "heads", "--format", "json")
    assert code == 1 and "\x1b" not in seen
    json.loads(seen)
    subprocess.run(["git", "checkout", "-q", "pr-3322"], cwd=sample_repo, check=True)
    for fmt in ("github", "markdown"):
        proc = _piped(sample_repo, "check", "--provider", "git", "--format", fmt, FORCE_COLOR="1")
        assert proc.returncode == 1
        assert "\x1b" not in proc.stdout, fmt


def test_errors_are_red_on_a_terminal_only(sample_repo: Path) -> None:
    code, seen = _on_tty(sample_repo, "heads", "--chain", "nope", stream="stderr")
    assert code == 2
    assert f"migration-guard heads: {ui.RED}error:{ui.RESET}" in seen
    proc = _piped(sample_repo, "heads", "--chain", "nope")
    assert proc.returncode == 2 and "\x1b" not in proc.stderr


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"TERM": "dumb"}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),
        (False, {"FORCE_COLOR": "1"}, True),
        (False, {"FORCE_COLOR": "true"}, True),
        (False, {"FORCE_COLOR": "0"}, False),
        (True, {"FORCE_COLOR": "0"}, True),
        (False, {"FORCE_COLOR": ""}, False),
        (True, {"FORCE_COLOR": "1", "TERM": "dumb"}, True),
        (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ],
)
def test_the_decision(tty: bool, env: dict[str, str], expected: bool) -> None:
    assert ui.wants_colour(_Stream(tty), env) is expected


def test_paint_colours_verdict_words_only() -> None:
    assert ui.paint("Console: OK (exactly 1 head)") == f"Console: {GREEN_OK} (exactly 1 head)"
    assert ui.paint("COLLISION [console] 0193") == f"{ui.RED}COLLISION{ui.RESET} [console] 0193"
    assert ui.paint("warning: x") == f"{ui.YELLOW}warning:{ui.RESET} x"
    assert ui.paint("lint: COULD NOT DECIDE.") == (f"lint: {ui.YELLOW}COULD NOT DECIDE{ui.RESET}.")
    plain = "0193_OKAY_fail_ok.py NOT-OK ROK"
    assert ui.paint(plain) == plain
