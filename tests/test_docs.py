"""The documentation lists every finding code the code can emit, and nothing else."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from migration_guard.chains.alembic.graph import CODES as ALEMBIC_CODES
from migration_guard.chains.django.reader import CODES as DJANGO_CODES
from migration_guard.chains.numbered.reader import CODES as NUMBERED_CODES
from migration_guard.chains.sqitch.reader import CODES as SQITCH_CODES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "findings.md"
CATALOGUES = {**ALEMBIC_CODES, **SQITCH_CODES, **DJANGO_CODES, **NUMBERED_CODES}


def test_every_code_is_documented_once() -> None:
    documented = re.findall(r"^\| (MG\d{3}) \|", DOCS.read_text(), flags=re.MULTILINE)
    assert sorted(documented) == sorted(CATALOGUES)
    assert len(documented) == len(set(documented))


def test_every_code_in_the_source_is_in_a_catalogue() -> None:
    """A code a kind emits but no ``CODES`` catalogue lists would escape the check above."""
    found = {
        node.value
        for path in sorted((ROOT / "src" / "migration_guard").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"MG\d{3}", node.value)
    }
    assert found, "no finding code found in the source: the scan is broken"
    assert sorted(found - set(CATALOGUES)) == []


# --- the command pages, the configuration reference and the links -------------------------

# Pages other parts of issue 13 write on their own branches: a link to one, or a command whose
# page is one of them, is accepted while the page is missing (until those branches merge).
# A command documented on a page of its own rather than docs/commands/<name>.md.
DOCUMENTED_ELSEWHERE = {"completion": "docs/shell-completion.md"}
SETUP_COMMANDS = ("python3 -m pip install '.[gate]' && migration-guard demo", "bash scripts/test")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    from migration_guard.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for action in parser._actions
        for option in action.option_strings
        if option not in ("-h", "--help")
    ]


def _page_of(command: str) -> str:
    return DOCUMENTED_ELSEWHERE.get(command, f"docs/commands/{command}.md")


def test_the_parser_has_the_commands_the_pages_are_checked_for() -> None:
    """The checks below derive everything from the parser: make sure they see it."""
    commands = _subcommands()
    assert {"check", "new", "renumber", "gate", "demo"} <= set(commands)
    assert "--post-comment" in _options(commands["check"])


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_command_has_a_page_naming_every_option(command: str) -> None:
    page = _page_of(command)
    path = ROOT / page
    assert path.is_file(), f"`migration-guard {command}` has no page: write {page}"
    text = path.read_text(encoding="utf-8")
    missing = [o for o in _options(_subcommands()[command]) if not _mentions(text, o)]
    assert missing == [], f"{page} does not document {missing}"


def _mentions(text: str, option: str) -> bool:
    """``option`` as a whole word (``--to`` is not found inside ``--to-x`` or ``--tool``)."""
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def test_the_docs_index_names_every_command_page_and_the_global_options() -> None:
    from migration_guard.cli import build_parser

    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for command in _subcommands():
        assert f"({_page_of(command).removeprefix('docs/')})" in index, command
    missing = [o for o in _options(build_parser()) if not _mentions(index, o)]
    assert missing == []


def _config_keys() -> set[str]:
    from migration_guard import config
    from migration_guard.chains import registry

    kind_keys = {k for kind in registry.supported() for k in registry.kind_of(kind).config_keys}
    return set(config._TOP_KEYS) | set(config._CHAIN_KEYS) | kind_keys


def test_every_configuration_key_is_in_the_reference() -> None:
    keys = _config_keys()
    assert {"chains", "name", "path", "pattern", "settings"} <= keys  # the scan sees the code
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert sorted(k for k in keys if f"`{k}`" not in text) == []


def test_every_kind_is_in_the_configuration_reference() -> None:
    from migration_guard.chains import registry

    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert sorted(k.value for k in registry.supported() if f"`{k.value}`" not in text) == []


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")


def _broken_links(path: Path, root: Path = ROOT) -> list[str]:
    broken = []
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        if not resolved.exists():
            broken.append(target)
    return broken


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(path: Path) -> None:
    assert _broken_links(path) == []


def test_the_link_check_finds_a_broken_link(tmp_path: Path) -> None:
    folder = tmp_path / "docs" / "commands"
    folder.mkdir(parents=True)
    (folder / "chains.md").write_text("# chains\n")
    probe = folder / "probe.md"
    probe.write_text(
        "[ok](chains.md#usage) [gone](nope.md) [up](../../README.md) "
        "[web](https://x.invalid) [anchor](#x)\n```\n[in code](skipped.md)\n```\n"
    )
    assert _broken_links(probe, tmp_path.resolve()) == ["nope.md", "../../README.md"]


def test_the_readme_keeps_the_two_setup_commands_near_the_top() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    for command in SETUP_COMMANDS:
        assert command in lines, command
        assert lines.index(command) < 40, f"{command!r} should be near the top of the README"


def test_the_readme_installs_a_release_from_the_repository() -> None:
    from migration_guard import project

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert project.pip_requirement(extras="gate") in readme
