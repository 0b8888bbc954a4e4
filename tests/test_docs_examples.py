"""The docs' examples are real: runnable blocks run, images exist, every page is linked.

A fenced ``bash`` block right after a ``<!-- run -->`` line in a getting-started page
is runnable. Each of its lines is one command, run by bash in a fresh folder shared by
the page's blocks in order, with ``rmp`` standing for ``python -m rmp_workbook``. A
trailing ``# exit N`` comment gives the line's expected exit code (default 0).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SRC

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GETTING_STARTED = sorted(DOCS.glob("getting-started-*.md"))
RUN_BLOCK = re.compile(r"^<!-- run -->\n```bash\n(.*?)^```", re.M | re.S)
EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
LINK = re.compile(r"\]\(([^)\s#]+\.md)(?:#[^)]*)?\)")


def runnable_commands(page: Path) -> list[tuple[str, int]]:
    """(command, expected exit code) of every runnable line of a page, in order."""
    commands = []
    for block in RUN_BLOCK.findall(page.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = EXIT.search(line)
            commands.append((line, int(m.group(1)) if m else 0))
    return commands


def test_the_marker_finds_blocks_and_exit_codes() -> None:
    """The parser itself: a marked block is found, an unmarked one is not."""
    page = DOCS / "getting-started-manager.md"
    commands = runnable_commands(page)
    assert commands[0] == ("rmp init northwind-contoso", 0)
    assert any(code == 1 and "rmp merge" in cmd for cmd, code in commands)
    assert not any("postgresql://" in cmd or "pip install" in cmd for cmd, _ in commands)


def test_the_manager_page_shows_the_cycle_with_runnable_commands() -> None:
    pages = [p.name for p in GETTING_STARTED if runnable_commands(p)]
    assert "getting-started-manager.md" in pages
    assert len(runnable_commands(DOCS / "getting-started-manager.md")) >= 10


@pytest.mark.parametrize(
    "page", [p for p in GETTING_STARTED if runnable_commands(p)], ids=lambda p: p.stem
)
def test_runnable_examples_exit_as_the_page_says(page: Path, tmp_path: Path) -> None:
    commands = runnable_commands(page)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    prelude = f'rmp() {{ {shlex.quote(sys.executable)} -m rmp_workbook "$@"; }}\n'
    cwd = tmp_path
    for command, expected in commands:
        if command.split()[0] == "cd":  # the page moves into a folder for the lines after it
            cwd = (cwd / shlex.split(command)[1]).resolve()
            assert cwd.is_dir() and tmp_path in (cwd, *cwd.parents), command
            continue
        proc = subprocess.run(
            ["bash", "-c", prelude + command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == expected, (command, proc.stdout[-2000:], proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr, command
    if page.stem.endswith("manager"):
        # What the page says the commands leave behind, in one folder layout per relationship.
        own = tmp_path / "northwind-contoso"
        assert (own / "rmp.toml").exists()
        assert len(list((own / "2026-11").glob("*.xlsx"))) == 3
        assert len(list((own / "outbox").glob("*-2026-11-templates.eml"))) == 3
        practice = tmp_path / "practice"
        assert (practice / "consolidated-2026-11.xlsx").exists()
        assert [p.name for p in (practice / "feedback").iterdir()] == [
            "contoso-engineering-plc_2026-09.feedback.xlsx"
        ]
        assert sorted(p.name for p in (practice / "outbox").iterdir()) == [
            "contoso-engineering-plc-2026-09-feedback.eml",
            "fabrikam-logistics-2026-11-reminders.eml",
        ]
        assert (practice / "report" / "summary.pdf").exists()
        assert (practice / "report" / "audit.pdf").exists()
        assert len(list((practice / "2026-12").glob("*-2026-12.xlsx"))) == 3
        for name in ("problems.json", "merge.json", "history.json"):
            assert (practice / name).stat().st_size > 100, name


def _pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def test_every_image_referenced_in_the_docs_exists() -> None:
    referenced = []
    for page in [*_pages(), ROOT / "README.md"]:
        for target in IMAGE.findall(page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://")):
                continue
            path = (page.parent / target).resolve()
            assert path.is_file(), (page.name, target)
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", target
            referenced.append(path)
    assert len(referenced) >= 11
    images = sorted((DOCS / "images").glob("*.png"))
    total = sum(p.stat().st_size for p in images)
    assert total < 3 * 1024 * 1024, f"docs/images holds {total} bytes"
    assert set(images) <= set(referenced), "an image no page shows"


def test_every_docs_page_is_linked_from_the_index_and_links_resolve() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = set(LINK.findall(index))
    for page in _pages():
        if page.name != "index.md":
            assert page.name in linked, f"{page.name} is not linked from docs/index.md"
    for page in [*_pages(), ROOT / "README.md"]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).is_file(), (page.name, target)
