from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from migration_guard import __version__
from migration_guard.cli import main


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"migration-guard {__version__}"
    assert main([]) == 2
    out = capsys.readouterr().out
    for command in ("chains", "heads", "lint", "check", "next", "gate", "demo"):
        assert f"    {command} " in out


def test_unknown_option_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["heads", "--bogus"])
    assert info.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_expected_errors_are_one_line_and_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "migration-guard.toml").write_text('[[chains]]\nname = "x"\n')
    assert main(["-C", str(tmp_path), "heads"]) == 2
    err = capsys.readouterr().err
    assert (
        err == "migration-guard heads: error: migration-guard.toml: chains[1]: missing "
        "required key 'kind'\n"
    )


def test_no_chains_found_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(tmp_path), "chains"]) == 0
    assert capsys.readouterr().out.startswith("No migration chains found (discovered).")
    assert main(["-C", str(tmp_path), "heads"]) == 2
    assert "no Alembic or Django chains to check" in capsys.readouterr().err


def test_internal_errors_exit_3_and_traceback_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from migration_guard.commands import chains

    def boom(**_: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(chains, "run", boom)
    assert main(["-C", str(tmp_path), "chains"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaboom" in err and "Traceback" not in err
    assert main(["--traceback", "-C", str(tmp_path), "chains"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_cli(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, f"migration-guard {__version__}")
