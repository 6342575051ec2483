"""Every command and every doc page is reachable from the README (sqlite-utils' test_docs style)."""

from __future__ import annotations

import re
from pathlib import Path

from costsheet.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme_commands_table() -> None:
    for name in main.commands:
        assert f"| `costsheet {name}` |" in README, f"`costsheet {name}` is not documented"


def test_every_command_has_help_text() -> None:
    for name, command in main.commands.items():
        assert (command.help or "").strip(), f"`costsheet {name}` has no --help text"


def test_every_doc_page_is_linked_and_every_link_resolves() -> None:
    links = set(re.findall(r"\]\(((?:docs|templates|samples)/[^)#]+)\)", README))
    for link in links:
        assert (ROOT / link).exists(), f"README links to a missing file: {link}"
    for page in (ROOT / "docs").glob("*.md"):
        if page.name == "TEAM.md":
            continue  # for engineers; linked from the README's engineers section
        assert f"docs/{page.name}" in links, f"docs/{page.name} is not linked from the README"


def test_readme_names_the_two_setup_commands_and_ci_calls_the_test_one() -> None:
    assert "make demo" in README and "make test" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
