"""``gate --timeout``: a migration that hangs is killed and named (issue 10, item 13).

Real Alembic and real sqitch on SQLite; the hanging migration sleeps in a child process of its
own too, so the test sees that the whole process group went.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from testing.cli import run

from migration_guard import sample

pytestmark = pytest.mark.slow

HANG = (
    "    import subprocess\n"
    "    import time\n\n"
    '    child = subprocess.Popen(["sleep", "3600"])\n'
    '    with open({pidfile!r}, "w") as handle:\n'
    "        handle.write(str(child.pid))\n"
    "    time.sleep(3600)\n"
)


def _alembic_chain(root: Path, *, hang: int, where: str, pidfile: Path) -> list[str]:
    """Three revisions; revision ``hang``'s ``where`` (upgrade or downgrade) never ends."""
    (root / "db/versions").mkdir(parents=True)
    (root / "db/alembic.ini").write_text(sample.ALEMBIC_INI.format(script=".", db="x.db"))
    (root / "db/env.py").write_text(sample.ENV_PY)
    names = []
    for n in range(1, 4):
        rev = f"{n:04d}"
        text = sample.alembic_script(rev, f"{n - 1:04d}" if n > 1 else None, f"t{rev}", table=rev)
        if n == hang:
            head = f"def {where}() -> None:\n"
            assert head in text
            text = text.replace(head, head + HANG.format(pidfile=str(pidfile)))
        names.append(f"{rev}_t{rev}.py")
        (root / "db/versions" / names[-1]).write_text(text)
    (root / "migration-guard.toml").write_text(
        '[[chains]]\nname = "shop"\nkind = "alembic"\npath = "db/versions"\n'
    )
    return names


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def _gone(pidfile: Path) -> bool:
    pid = int(pidfile.read_text())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_a_hanging_upgrade_is_killed_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pidfile = tmp_path / "sleep.pid"
    repo = tmp_path / "repo"
    names = _alembic_chain(repo, hang=2, where="upgrade", pidfile=pidfile)
    line = _line_of(repo / "db/versions" / names[1], "time.sleep(3600)")
    start = time.monotonic()
    code, out, err = run(repo, capsys, "gate", "--timeout", "1.5")
    assert time.monotonic() - start < 30
    assert (code, err) == (1, "")
    assert out.splitlines()[1:] == [
        f"Shop (alembic, sqlite): upgrade head FAIL at 0002 (db/versions/{names[1]}): "
        f"timed out after 1.5 s (--timeout): still in upgrade() at line {line}",
        "gate: 1 of 1 chain failed (shop). FAIL.",
    ]
    assert _gone(pidfile), "the migration's own child survived the timeout"


def test_a_hanging_downgrade_is_named_after_the_upgrade_passed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pidfile = tmp_path / "sleep.pid"
    names = _alembic_chain(tmp_path, hang=3, where="downgrade", pidfile=pidfile)
    code, out, _ = run(tmp_path, capsys, "gate", "--timeout", "1", "--format", "json")
    assert code == 1
    (chain,) = json.loads(out)["chains"]
    assert [(s["step"], s["ok"]) for s in chain["steps"]] == [
        ("upgrade head", True),
        ("downgrade base", False),
    ]
    hung = chain["steps"][1]
    assert (hung["revision"], hung["path"]) == ("0003", f"db/versions/{names[2]}")
    assert hung["error"].startswith("timed out after 1 s (--timeout): still in downgrade() at")
    assert "time.sleep" not in hung["error"]
    assert f"{names[2]}" in hung["detail"]  # the stack the child dumped
    assert _gone(pidfile)


def test_each_stairway_move_has_its_own_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pidfile = tmp_path / "sleep.pid"
    names = _alembic_chain(tmp_path, hang=2, where="downgrade", pidfile=pidfile)
    code, out, _ = run(tmp_path, capsys, "gate", "--stairway", "--timeout", "1")
    assert code == 1
    assert out.splitlines()[1].startswith(
        f"Shop (alembic, sqlite): stairway FAIL at 0002 (db/versions/{names[1]}): downgrade: "
        "timed out after 1 s (--timeout): still in downgrade() at line "
    )


def test_no_timeout_with_zero_and_a_slow_step_under_the_limit_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "db/versions").mkdir(parents=True)
    (tmp_path / "db/alembic.ini").write_text(sample.ALEMBIC_INI.format(script=".", db="x.db"))
    (tmp_path / "db/env.py").write_text(sample.ENV_PY)
    text = sample.alembic_script("0001", None, "slow", table="slow")
    text = text.replace(
        "def upgrade() -> None:\n", "def upgrade() -> None:\n    import time\n\n    time.sleep(1)\n"
    )
    (tmp_path / "db/versions/0001_slow.py").write_text(text)
    (tmp_path / "migration-guard.toml").write_text(
        '[[chains]]\nname = "shop"\nkind = "alembic"\npath = "db/versions"\n'
    )
    for limit in ("0", "30"):
        code, out, _ = run(tmp_path, capsys, "gate", "--timeout", limit)
        assert code == 0, out


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_a_bad_timeout_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    _alembic_chain(tmp_path, hang=9, where="upgrade", pidfile=tmp_path / "unused")
    code, out, err = run(tmp_path, capsys, "gate", f"--timeout={value}")
    assert (code, out) == (2, "")
    assert "--timeout" in err and "is not a number of seconds" in err


def test_help_names_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(Path("."), capsys, "gate", "--help")
    assert "(default: 600; 0: no limit)" in " ".join(capsys.readouterr().out.split())


@pytest.mark.sqitch
def test_a_hanging_sqitch_change_is_killed_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pidfile = tmp_path / "sleep.pid"
    folder = tmp_path / "queue"
    changes = [
        sample.SqitchChange("01-orders", "orders", "Orders"),
        sample.SqitchChange("02-slow", "slow", "Slow"),
    ]
    folder.mkdir()
    (folder / "sqitch.conf").write_text("[core]\n\tengine = sqlite\n")
    plan = "%syntax-version=1.0.0\n%project=shop\n\n" + "".join(
        sample.plan_line(c) for c in changes
    )
    (folder / "sqitch.plan").write_text(plan)
    for change in changes:
        sample.write_sqitch_change(folder, change, project="shop")
    deploy = folder / "deploy/02-slow.sql"
    deploy.write_text(f".shell sh -c 'echo $$ > {pidfile}; exec sleep 3600'\n" + deploy.read_text())
    (tmp_path / "migration-guard.toml").write_text(
        '[[chains]]\nname = "queue"\nkind = "sqitch"\npath = "queue/sqitch.plan"\n'
    )
    start = time.monotonic()
    code, out, _ = run(tmp_path, capsys, "gate", "--timeout", "2")
    assert time.monotonic() - start < 30
    assert code == 1
    assert out.splitlines()[1:] == [
        "Queue (sqitch, sqlite): deploy --verify FAIL at 02-slow (queue/deploy/02-slow.sql): "
        "timed out after 2 s (--timeout)",
        "gate: 1 of 1 chain failed (queue). FAIL.",
    ]
    assert _gone(pidfile)
