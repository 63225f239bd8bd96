"""``--quiet`` and ``--verbose`` per command, on the demo monorepo (main, pr-3277 and pr-3322
both adding console 0193, incident with both merged, bad-plan).

--quiet: only what needs attention (and a command's answer), exit codes unchanged.
--verbose: stdout unchanged; what was read, on stderr."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from testing.cli import run
from testing.tools import require_module

from migration_guard import sample

V = sample.CONSOLE_VERSIONS
PLAN = sample.QUEUE_PLAN


def _checkout(repo: Path, branch: str) -> None:
    subprocess.run(["git", "checkout", "-q", branch], cwd=repo, check=True)


def _three(
    repo: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> list[tuple[int, str, str]]:
    """(code, out, err) of ARGS run normally, with -q and with -v."""
    return [run(repo, capsys, *flags, *args) for flags in ((), ("-q",), ("-v",))]


def _verbose_is_normal_plus_stderr(
    normal: tuple[int, str, str], verbose: tuple[int, str, str]
) -> list[str]:
    assert verbose[:2] == normal[:2]
    said = normal[2].splitlines()
    assert [line for line in verbose[2].splitlines() if line in said] == said
    added = [line for line in verbose[2].splitlines() if line not in said]
    assert added[0].startswith("migration-guard: configuration: migration-guard.toml; chains:")
    assert added[-1].startswith("migration-guard: ") and " after " in added[-1]
    assert all(line.startswith("migration-guard: ") for line in added)
    return added


def test_heads(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    normal, quiet, verbose = _three(sample_repo, capsys, "heads")
    assert normal[0] == quiet[0] == 0
    assert "Console: OK (exactly 1 head)" in normal[1]
    assert quiet[1:] == ("", "")
    added = _verbose_is_normal_plus_stderr(normal, verbose)
    assert (
        f"migration-guard: read console (alembic, {V}): 192 migrations, 1 head, 0 findings" in added
    )
    assert added[-1].startswith("migration-guard: heads: exit 0 after ")

    _checkout(sample_repo, "incident")
    normal, quiet, verbose = _three(sample_repo, capsys, "heads")
    assert normal[0] == quiet[0] == verbose[0] == 1
    lines = normal[1].splitlines()
    raptor = lines.index("Raptor: OK (exactly 1 head)")
    assert quiet[1].splitlines() == lines[:raptor]  # the failing chain in full, nothing else
    assert quiet[1].startswith("Console: FAIL (2 heads)")


def test_lint(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    normal, quiet, verbose = _three(sample_repo, capsys, "lint")
    assert normal[0] == quiet[0] == 0
    assert quiet[1] == ""
    added = _verbose_is_normal_plus_stderr(normal, verbose)
    assert f"migration-guard: read queue (sqitch, {PLAN}): 7 changes, 1 head, 0 findings" in added

    normal, quiet, _ = _three(sample_repo, capsys, "lint", "--rev", "bad-plan")
    assert normal[0] == quiet[0] == 1
    assert quiet[1].splitlines() == [
        line for line in normal[1].splitlines() if not line.startswith(("Console", "Raptor"))
    ]
    assert quiet[1].splitlines()[0] == f"Queue (sqitch, {PLAN}): FAIL (1 problem)"
    assert quiet[1].splitlines()[-1] == "lint: 3 chains checked. 1 chain with problems. FAIL."


def test_chains(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    normal, quiet, verbose = _three(sample_repo, capsys, "chains")
    assert normal[0] == quiet[0] == 0
    assert normal[1].splitlines()[0] == "3 chains (migration-guard.toml):"
    # The table is the answer; only its title line is chatter.
    assert quiet[1].splitlines() == normal[1].splitlines()[1:]
    added = _verbose_is_normal_plus_stderr(normal, verbose)
    assert sum(line.startswith("migration-guard: read ") for line in added) == 3


def test_check(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _checkout(sample_repo, "pr-3322")
    normal, quiet, verbose = _three(sample_repo, capsys, "check", "--provider", "git")
    assert normal[0] == quiet[0] == 1
    lines = normal[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("COLLISION"))
    assert start > 0
    assert quiet[1].splitlines() == lines[start:]
    assert quiet[1].splitlines()[-1] == "Found 1 migration-number collision(s). FAIL."
    added = _verbose_is_normal_plus_stderr(normal, verbose)
    assert any(line.startswith("migration-guard: open changes via git (") for line in added)
    assert "migration-guard: this change adds 1 migration file(s)" in added

    _checkout(sample_repo, "main")
    normal, quiet, _ = _three(sample_repo, capsys, "check", "--provider", "none")
    assert normal[0] == quiet[0] == 0
    assert normal[1].splitlines()[-1] == "no migrations touched: OK"  # main adds nothing
    assert quiet[1:] == ("", "")


def test_next(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    normal, quiet, verbose = _three(sample_repo, capsys, "next", "console", "--provider", "git")
    assert normal[0] == quiet[0] == 0
    assert normal[1] == quiet[1]  # the answer stays
    assert len(normal[1]) == 5 and normal[1][:4].isdigit() and normal[1] > "0192"
    assert normal[2].startswith("next Console number after origin/main")
    assert quiet[2] == ""
    added = _verbose_is_normal_plus_stderr(normal, verbose)
    assert any("console has 192 migration(s)" in line for line in added)


def test_renumber(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _checkout(sample_repo, "pr-3322")
    args = ("renumber", "console:0193", "--to", "0194", "--provider", "git")
    code, out, _ = run(sample_repo, capsys, "-q", *args, "--dry-run")
    assert code == 0
    assert out.splitlines()[0].startswith("[console] 0193 -> 0194: ")
    assert '+revision: str = "0194"' in out  # a dry run's diff is its answer
    code, out, err = run(sample_repo, capsys, "-q", *args)
    assert code == 0
    assert out.splitlines() == [
        f"[console] 0193 -> 0194: {V}/0193_add_refund_audit.py -> {V}/0194_add_refund_audit.py"
    ]
    assert err == ""
    assert (sample_repo / V / "0194_add_refund_audit.py").exists()
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=sample_repo, check=True)
    code, out, err = run(sample_repo, capsys, "-v", *args)
    assert code == 0
    assert "Console: OK (1 head: 0194)" in out.splitlines()
    assert "migration-guard: planned 1 move(s): " in err


def test_recover(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    normal, quiet, _ = _three(sample_repo, capsys, "recover")
    assert normal[0] == quiet[0] == 0
    assert normal[1].splitlines()[-1] == "recover: no collision found. OK."
    assert quiet[1:] == ("", "")
    _checkout(sample_repo, "incident")
    normal, quiet, verbose = _three(sample_repo, capsys, "recover")
    assert normal[0] == quiet[0] == 1
    assert quiet[1].splitlines() == [
        line for line in normal[1].splitlines() if "OK (no collision)" not in line
    ]
    assert len(quiet[1].splitlines()) == len(normal[1].splitlines()) - 2  # raptor, queue
    added = _verbose_is_normal_plus_stderr(normal, verbose)
    assert any("read console" in line and "2 heads" in line for line in added)


def test_gate(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_module("alembic")
    normal, quiet, verbose = _three(sample_repo, capsys, "gate", "--chain", "raptor")
    assert normal[0] == quiet[0] == 0, normal[2]
    assert normal[1].splitlines()[-1] == "gate: 1 chain round-tripped. OK."
    assert quiet[1] == ""
    added = _verbose_is_normal_plus_stderr(normal, verbose)
    assert any(line.startswith("migration-guard: gated raptor in ") for line in added)


def test_quiet_gate_still_names_a_failure(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_module("alembic")
    path = next((sample_repo / sample.RAPTOR_VERSIONS).glob("0057_*.py"))
    path.write_text(
        path.read_text().replace(
            "def upgrade() -> None:\n",
            "def upgrade() -> None:\n    raise RuntimeError('boom')\n",
            1,
        )
    )
    code, out, _ = run(sample_repo, capsys, "-q", "gate", "--chain", "raptor")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("Raptor (alembic, sqlite): upgrade head FAIL at 0057")
    assert lines[-1] == "gate: 1 of 1 chain failed (raptor). FAIL."
    assert not any(line.startswith("Database:") for line in lines)


def test_quiet_and_verbose_exclude_each_other(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        run(sample_repo, capsys, "-q", "-v", "heads")
    assert exc.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_machine_formats_ignore_quiet(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("json", "gitlab", "junit"):
        assert (
            run(sample_repo, capsys, "-q", "heads", "--format", fmt)[:2]
            == run(sample_repo, capsys, "heads", "--format", fmt)[:2]
        )
