"""The command pages show real output: every complete example of a read-only command (no
``...`` left out) is run on the sample repository and must print exactly what the page shows."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from migration_guard.cli import main
from migration_guard.commands.demo import build_demo_repository

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs" / "commands").glob("*.md"))
# Commands that change nothing, so every example can run on one fresh sample repository.
READ_ONLY = {"chains", "heads", "lint", "check", "next"}


def _examples(text: str) -> list[tuple[str, str]]:
    """(command line, output) for each ``$ migration-guard ...`` in the console blocks."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        parts = re.split(r"^\$ ", block, flags=re.M)
        for part in parts[1:]:
            command, _, output = part.partition("\n")
            found.append((command.strip(), output.rstrip()))
    return found


def _complete_read_only_examples() -> list[tuple[str, str, str]]:
    examples = []
    for page in PAGES:
        for command, output in _examples(page.read_text(encoding="utf-8")):
            words = shlex.split(command)
            if words[:1] != ["migration-guard"] or words[1] not in READ_ONLY:
                continue
            if "..." in output or "--format" in words:
                continue
            examples.append((page.name, command, output))
    return examples


EXAMPLES = _complete_read_only_examples()


def test_the_pages_have_examples_to_check() -> None:
    pages = {page for page, _, _ in EXAMPLES}
    assert {"chains.md", "heads.md", "lint.md", "check.md", "next.md"} <= pages


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    build_demo_repository(root)
    return root / "monorepo"


@pytest.mark.parametrize(
    ("page", "command", "output"), EXAMPLES, ids=[f"{p}: {c}" for p, c, _ in EXAMPLES]
)
def test_a_page_example_prints_what_the_page_shows(
    sample: Path, page: str, command: str, output: str
) -> None:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        main(["-C", str(sample), *shlex.split(command)[1:]])
    printed = "\n".join(line.rstrip() for line in buffer.getvalue().rstrip().splitlines())
    shown = "\n".join(line.rstrip() for line in output.splitlines())
    assert printed == shown, f"{page}: `{command}` prints something else now"
