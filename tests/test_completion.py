"""``migration-guard completion bash`` in a real bash, and the one-line ``--version``."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migration_guard import __version__, completion
from migration_guard.cli import build_parser, main

SRC = Path(__file__).resolve().parents[1] / "src"
BASH = shutil.which("bash")


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The script as the installed program prints it."""
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard", "completion", "bash"],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
    )
    path = tmp_path_factory.mktemp("completion") / "migration-guard.bash"
    path.write_text(proc.stdout)
    return path


def _complete(script: Path, *words: str, cwd: Path | None = None) -> list[str]:
    """What bash offers for the last of ``words`` (the word under the cursor)."""
    assert BASH is not None
    line = " ".join(shlex.quote(w) for w in words)
    program = (
        f"source {shlex.quote(str(script))}\n"
        f"COMP_WORDS=({line})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "COMPREPLY=()\n"
        "_migration_guard\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
        # The function is registered for the command:
        "complete -p migration-guard >&2\n"
    )
    proc = subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    assert "complete -o default -F _migration_guard migration-guard" in proc.stderr
    return sorted(line for line in proc.stdout.splitlines() if line)


pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")


def test_commands(script: Path) -> None:
    assert _complete(script, "migration-guard", "he") == ["heads"]
    assert _complete(script, "migration-guard", "re") == [
        "recover",
        "release",
        "renumber",
        "reservations",
        "reserve",
    ]
    every = _complete(script, "migration-guard", "")
    assert set(every) >= {"chains", "heads", "lint", "check", "next", "gate", "completion"}


def test_values_of_an_option_with_choices(script: Path) -> None:
    formats = ["github", "gitlab", "json", "junit", "markdown", "text"]
    assert _complete(script, "migration-guard", "check", "--format", "") == formats
    assert _complete(script, "migration-guard", "check", "--format", "j") == ["json", "junit"]
    # --format=<TAB>: bash splits at '='.
    assert _complete(script, "migration-guard", "heads", "--format", "=", "") == [
        "gitlab",
        "json",
        "junit",
        "text",
    ]
    assert _complete(script, "migration-guard", "next", "--provider", "g") == [
        "git",
        "github",
        "gitlab",
    ]
    assert _complete(script, "migration-guard", "completion", "") == ["bash"]


def test_options_of_a_command_after_global_options(script: Path) -> None:
    offered = _complete(script, "migration-guard", "-C", "some dir", "-q", "heads", "--")
    assert offered == ["--chain", "--format", "--help", "--rev"]
    assert "--temp-postgres" in _complete(script, "migration-guard", "gate", "--t")
    assert _complete(script, "migration-guard", "--ver") == ["--verbose", "--version"]


def test_folders_and_files(script: Path, tmp_path: Path) -> None:
    (tmp_path / "repo-a").mkdir()
    (tmp_path / "repo-file").write_text("")
    assert _complete(script, "migration-guard", "-C", "repo-", cwd=tmp_path) == ["repo-a"]
    assert _complete(script, "migration-guard", "--config", "repo-", cwd=tmp_path) == [
        "repo-a",
        "repo-file",
    ]


def test_the_script_follows_the_parser() -> None:
    """Every command and every --option of the parser is in the script."""
    parser = build_parser()
    text = completion.bash(parser)
    for name, sub in completion._subparsers(parser).items():
        assert re.search(rf"\b{re.escape(name)}\b", text)
        for action in completion._options(sub):
            for flag in action.option_strings:
                if flag.startswith("--"):
                    assert flag in text, (name, flag)


def test_version_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out == f"migration-guard {__version__}\n"
    assert re.fullmatch(r"migration-guard \d+\.\d+\.\d+\n", out)
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard", "--version"],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, out, "")
