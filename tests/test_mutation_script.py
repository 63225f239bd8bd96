"""scripts/mutation: the parts that decide its verdict, without running mutmut.

A survivor listed without a reason, or a module the script does not know, must stop it: an
equivalents file that explains nothing would turn the mutation step into one that cannot fail.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "mutation"


def _load() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("mutation_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader("mutation_script", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_an_equivalent_needs_a_reason(tmp_path: Path) -> None:
    listed = tmp_path / "apply.txt"
    listed.write_text("# why each survivor cannot change an output\nm__mutmut_1 \n")
    with pytest.raises(SystemExit, match="m__mutmut_1 has no reason"):
        _load().load_equivalents(listed)


def test_equivalents_are_read_with_their_reasons(tmp_path: Path) -> None:
    listed = tmp_path / "apply.txt"
    listed.write_text("# comment\n\nm__mutmut_1 the sort key is unique  \nm__mutmut_2 dead\n")
    assert _load().load_equivalents(listed) == {
        "m__mutmut_1": "the sort key is unique",
        "m__mutmut_2": "dead",
    }
    assert _load().load_equivalents(tmp_path / "missing.txt") == {}


def test_every_target_names_test_files_that_exist() -> None:
    root = SCRIPT.parent.parent
    for target in _load().TARGETS.values():
        assert (root / target.path).is_file(), target.path
        for pattern in target.tests:
            assert list(root.glob(pattern)), f"{target.name}: {pattern} matches no test file"


def test_an_unknown_module_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "nosuch"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "unknown module 'nosuch'; choose from collisions, numbering, apply" in done.stderr


def test_help_names_the_equivalents_files() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "scripts/mutation-equivalents/<module>.txt" in " ".join(done.stdout.split())


def test_only_narrows_a_target_to_functions_and_methods() -> None:
    script = _load()
    narrowed = script.TARGETS["github"].only(["GitHubForge._add_files", "_count_problem"])
    assert narrowed.functions == (
        "migration_guard.forges.github.x\u01c1GitHubForge\u01c1_add_files__mutmut_*",
        "migration_guard.forges.github.x__count_problem__mutmut_*",
    )
    assert narrowed.tests == script.TARGETS["github"].tests


def test_only_needs_exactly_one_module() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "apply", "numbering", "--only", "undo"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "--only needs exactly one MODULE" in done.stderr


def _last_run(tmp_path: Path, script: ModuleType, target: Any, codes: dict[str, int]) -> None:
    """A finished mutmut run of ``target`` as --report reads it: the exit code per mutant."""
    meta = tmp_path / "numbering" / "mutants" / (target.path + ".meta")
    meta.parent.mkdir(parents=True)
    meta.write_text(script.json.dumps({"exit_code_by_key": codes}), encoding="utf-8")


def test_a_report_names_unexplained_survivors_and_stale_equivalents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _load()
    monkeypatch.setattr(script, "WORK", tmp_path)
    target = script.TARGETS["numbering"]
    name = "migration_guard.numbering.x_next_free__mutmut_"
    _last_run(tmp_path, script, target, {name + "1": 1, name + "2": 0, name + "3": 0})
    equivalents = {name + "3": "a reason", name + "1": "killed now", "gone__mutmut_1": "renamed"}
    unexplained = script.run_one(target, 1, equivalents, False, False)
    out = capsys.readouterr().out
    assert unexplained == [name + "2"]
    assert "3 mutants  killed 1  timeout 0  survived 2  no-tests 0  equivalent 1" in out
    assert "score 66.7%" in out
    assert f"STALE equivalent (no longer survives; remove it): {name}1\n" in out
    assert "STALE equivalent (no longer survives; remove it): gone__mutmut_1\n" in out
    assert f"UNEXPLAINED survived: {name}2\n" in out


def test_a_narrowed_report_calls_no_equivalent_of_another_function_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _load()
    monkeypatch.setattr(script, "WORK", tmp_path)
    target = script.TARGETS["numbering"].only(["next_free"])
    name = "migration_guard.numbering.x_next_free__mutmut_"
    other = "migration_guard.numbering.x_parse_number__mutmut_4"
    _last_run(tmp_path, script, target, {name + "1": 1, other: 0})
    unexplained = script.run_one(target, 1, {other: "a reason", name + "1": "x"}, False, False)
    out = capsys.readouterr().out
    assert unexplained == []
    assert "1 mutants  killed 1" in out
    assert "STALE" in out and other not in out
