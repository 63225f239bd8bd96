"""A missing comparison tool skips on a developer's machine and fails in CI (CI=true)."""

from __future__ import annotations

import pytest
from testing import tools


def test_a_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-mg is not installed"):
        tools.require_tool("no-such-tool-mg", "nowhere")
    with pytest.raises(pytest.skip.Exception):
        tools.require_module("no_such_module_mg")
    mark = tools.needs_tool("no-such-tool-mg", "nowhere")
    assert mark.args == (True,)


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_a_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true: a missing tool fails"):
        tools.require_tool("no-such-tool-mg", "nowhere")
    with pytest.raises(pytest.fail.Exception, match="no_such_module_mg is not installed"):
        tools.require_module("no_such_module_mg")
    mark = tools.needs_tool("no-such-tool-mg", "nowhere")
    assert mark.args == (False,)  # the test runs, and its own check of the tool fails


def test_an_installed_tool_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert tools.require_tool("git", "apt-get install git").endswith("git")
    assert tools.needs_tool("git", "apt-get install git").args == (False,)
    assert tools.require_module("json").__name__ == "json"
