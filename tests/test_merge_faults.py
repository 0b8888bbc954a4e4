"""The ledger and the consolidated workbook under faults: a killed merge, two merges at
once, outputs that cannot be written.

Each merge runs as a child ``python -m rmp_workbook merge`` so it can be killed or raced;
the ledger is then opened with sqlite3 (a second reader) and checked row by row.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SRC
from python_calamine import CalamineWorkbook

from rmp_workbook import merge as merge_module
from rmp_workbook.atomic import TEMP_PREFIX
from rmp_workbook.config import load_config
from rmp_workbook.findings import OutputError
from rmp_workbook.merge import merge
from rmp_workbook.sample.bench import fill_many

FILES = 30
ROUNDS = 2


def rmp(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``rmp`` in a child process (not waited for)."""
    full = dict(os.environ)
    full["PYTHONPATH"] = str(SRC) + os.pathsep + full.get("PYTHONPATH", "")
    full.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "rmp_workbook", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full,
    )


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = rmp(*args, env=env)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def counts(ledger: Path) -> dict[str, int]:
    """Rows per table, read with sqlite3 (not through rmp)."""
    with sqlite3.connect(ledger) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def integrity(ledger: Path) -> str:
    with sqlite3.connect(ledger) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """30 large partner workbooks, a first merge of two of them, and a clean merge of all."""
    base = tmp_path_factory.mktemp("faults")
    files = fill_many(base / "in", FILES)
    config = base / "in" / "rmp.toml"
    first = base / "first"
    first.mkdir()
    for f in files[:2]:
        shutil.copy2(f, first / f.name)
    prev = base / "prev"
    prev.mkdir()
    proc = run(
        "merge", str(first), "--config", str(config),
        "--ledger", str(prev / "ledger.sqlite"), "-o", str(prev / "out" / "consolidated.xlsx"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    full = base / "full"
    shutil.copytree(prev, full)
    proc = run(
        "merge", str(base / "in"), "--config", str(config),
        "--ledger", str(full / "ledger.sqlite"), "-o", str(full / "out" / "consolidated.xlsx"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    before, after = counts(prev / "ledger.sqlite"), counts(full / "ledger.sqlite")
    assert after["submissions"] == FILES and before["submissions"] == 2
    assert sum(after.values()) > sum(before.values()) + 10_000  # a large run
    return {"base": base, "files": files, "config": config, "prev": prev,
            "before": before, "after": after}  # fmt: skip


# --------------------------------------------------------------------------- killed midway


def wait_for_write_lock(ledger: Path, child: subprocess.Popen, limit: float = 120) -> bool:
    """Poll until ``child`` holds the ledger's write lock (True) or has ended (False).

    A BEGIN IMMEDIATE that finds the database locked proves another writer is inside its
    transaction; when it succeeds it is rolled back at once (the child's busy wait covers it).
    """
    db = sqlite3.connect(ledger, timeout=0, isolation_level=None)
    try:
        end = time.monotonic() + limit
        while time.monotonic() < end and child.poll() is None:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return True
                raise
            db.execute("ROLLBACK")
            time.sleep(0.002)
        return False
    finally:
        db.close()


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3])
def test_merge_killed_midway_leaves_all_or_nothing(bench, tmp_path: Path, delay: float) -> None:
    """kill -9 once the merge holds the ledger's write lock (plus ``delay`` seconds)."""
    trial = tmp_path / "trial"
    shutil.copytree(bench["prev"], trial)
    ledger, out = trial / "ledger.sqlite", trial / "out" / "consolidated.xlsx"
    previous = out.read_bytes()
    child = rmp(
        "merge", str(bench["base"] / "in"), "--config", str(bench["config"]),
        "--ledger", str(ledger), "-o", str(out),
    )  # fmt: skip
    try:
        locked = wait_for_write_lock(ledger, child)
        if delay:
            time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    finally:
        child.communicate(timeout=60)
    assert locked, "the merge ended before it took the ledger's write lock"
    if delay == 0.0:
        assert child.returncode == -signal.SIGKILL  # it was killed inside the transaction

    assert integrity(ledger) == "ok"
    got = counts(ledger)
    assert got in (bench["before"], bench["after"]), got
    if delay == 0.0:
        assert got == bench["before"]
    # The previous workbook is whole: either untouched or replaced by a complete new one.
    now = out.read_bytes()
    if now != previous:
        assert got == bench["after"]
        with zipfile.ZipFile(out) as zf:
            assert zf.testzip() is None
    # A half-written temporary file is never taken for the workbook, nor for an input.
    leftovers = [p for p in out.parent.iterdir() if p != out]
    assert all(p.name.startswith(TEMP_PREFIX) and p.suffix == ".xlsx" for p in leftovers)

    # The next merge finishes the job: the same ledger as one clean run, a readable workbook.
    again = run(
        "merge", str(bench["base"] / "in"), str(out.parent), "--config", str(bench["config"]),
        "--ledger", str(ledger), "-o", str(out),
    )  # fmt: skip
    assert again.returncode == 1, again.stdout + again.stderr  # the output folder's files skip
    assert "Traceback" not in again.stdout + again.stderr
    assert counts(ledger) == bench["after"]
    assert integrity(ledger) == "ok"
    assert "Submissions" in CalamineWorkbook.from_path(str(out)).sheet_names


def test_merge_killed_while_writing_the_workbook_keeps_the_previous_one(
    bench, tmp_path: Path
) -> None:
    """kill -9 as soon as the new workbook's temporary file appears beside the old one."""
    trial = tmp_path / "trial"
    shutil.copytree(bench["prev"], trial)
    ledger, out = trial / "ledger.sqlite", trial / "out" / "consolidated.xlsx"
    previous = out.read_bytes()
    child = rmp(
        "merge", str(bench["base"] / "in"), "--config", str(bench["config"]),
        "--ledger", str(ledger), "-o", str(out),
    )  # fmt: skip
    temps: list[Path] = []
    try:
        end = time.monotonic() + 120
        while not temps and child.poll() is None and time.monotonic() < end:
            temps = list(out.parent.glob(f"{TEMP_PREFIX}*.xlsx"))
            time.sleep(0.001)
        child.send_signal(signal.SIGKILL)
    finally:
        child.communicate(timeout=60)
    assert temps and child.returncode == -signal.SIGKILL, "the merge ended before writing"
    assert out.read_bytes() == previous  # byte for byte
    assert integrity(ledger) == "ok"
    assert counts(ledger) == bench["after"]  # recording had committed before the write
    # The half-written file is a hidden temporary file; the next merge skips it, says so.
    leftovers = [p for p in out.parent.iterdir() if p != out]
    assert all(p.name.startswith(TEMP_PREFIX) for p in leftovers)
    again = run(
        "merge", str(bench["base"] / "in"), *map(str, leftovers), "--config",
        str(bench["config"]), "--ledger", str(ledger), "-o", str(out),
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert counts(ledger) == bench["after"]
    assert out.read_bytes() != previous
    if leftovers:
        assert "temporary file an interrupted rmp run left" in again.stdout


# --------------------------------------------------------------------------- two at once


def test_two_merges_at_once_equal_one_merge_of_the_union(bench, tmp_path: Path) -> None:
    files: list[Path] = bench["files"]  # type: ignore[assignment]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for f in files[:17]:
        shutil.copy2(f, a / f.name)
    for f in files[14:]:  # three files in both
        shutil.copy2(f, b / f.name)
    config = str(bench["config"])
    for round_ in range(ROUNDS):
        ledger = tmp_path / f"ledger-{round_}.sqlite"  # fresh: both also race to create it
        children = [
            rmp("merge", str(folder), "--config", config, "--ledger", str(ledger),
                "-o", str(tmp_path / f"out-{round_}-{folder.name}.xlsx"))
            for folder in (a, b)
        ]  # fmt: skip
        done = [c.communicate(timeout=300) for c in children]
        for child, (out, err) in zip(children, done, strict=True):
            assert "Traceback" not in out + err
            if child.returncode == 2:
                assert len(err.strip().splitlines()) == 1
                assert "another run is writing to the ledger" in err
            else:
                assert child.returncode == 0, out + err
        assert integrity(ledger) == "ok"
        assert all(c.returncode == 0 for c in children)  # the 30 s wait covers a run
    union = tmp_path / "union"
    union.mkdir()
    for f in files:
        shutil.copy2(f, union / f.name)
    single = tmp_path / "single.sqlite"
    proc = run("merge", str(union), "--config", config, "--ledger", str(single),
               "-o", str(tmp_path / "single.xlsx"))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for round_ in range(ROUNDS):
        assert counts(tmp_path / f"ledger-{round_}.sqlite") == counts(single)


def pg_counts(url: str) -> dict[str, int]:
    import psycopg

    host = url.split("host=", 1)[1]
    name = url.split("@/", 1)[1].split("?", 1)[0]
    with psycopg.connect(host=host, user="postgres", dbname=name) as db:
        names = [
            r[0]
            for r in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def test_two_merges_at_once_on_postgresql(bench, tmp_path: Path, postgres_database: str):
    """The same race on a fresh PostgreSQL ledger: the advisory lock serialises the writers."""
    files: list[Path] = bench["files"]  # type: ignore[assignment]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for f in files[:17]:
        shutil.copy2(f, a / f.name)
    for f in files[14:]:
        shutil.copy2(f, b / f.name)
    children = [
        rmp("merge", str(folder), "--config", str(bench["config"]), "--ledger",
            postgres_database, "-o", str(tmp_path / f"out-{folder.name}.xlsx"))
        for folder in (a, b)
    ]  # fmt: skip
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, out + err
    single = tmp_path / "single.sqlite"
    union = tmp_path / "union"
    union.mkdir()
    for f in files:
        shutil.copy2(f, union / f.name)
    proc = run("merge", str(union), "--config", str(bench["config"]), "--ledger", str(single),
               "-o", str(tmp_path / "single.xlsx"))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert pg_counts(postgres_database) == counts(single)


def test_a_merge_that_cannot_get_the_lock_says_ledger_busy(bench, tmp_path: Path) -> None:
    shutil.copytree(bench["prev"], tmp_path / "t")
    ledger = tmp_path / "t" / "ledger.sqlite"
    out = tmp_path / "t" / "new.xlsx"
    holder = sqlite3.connect(ledger, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run, mid-write
    try:
        start = time.monotonic()
        proc = run(
            "merge", str(bench["base"] / "in"), "--config", str(bench["config"]),
            "--ledger", str(ledger), "-o", str(out), env={"RMP_LEDGER_WAIT": "0.5"},
        )  # fmt: skip
        waited = time.monotonic() - start
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert str(ledger) in line and "another run is writing to the ledger; waited 0.5 s" in line
    assert waited < 30  # the wait came from RMP_LEDGER_WAIT, not the 30 s default
    assert counts(ledger) == bench["before"] and integrity(ledger) == "ok"
    assert not out.exists()


def test_ledger_wait_must_be_a_number(bench, tmp_path: Path) -> None:
    proc = run(
        "merge", str(bench["base"] / "in"), "--config", str(bench["config"]),
        "--ledger", str(tmp_path / "l.sqlite"), "-o", str(tmp_path / "o.xlsx"),
        env={"RMP_LEDGER_WAIT": "soon"},
    )  # fmt: skip
    assert proc.returncode == 2
    assert "RMP_LEDGER_WAIT='soon' is not a number" in one_line_error(proc)


# --------------------------------------------------------------------------- outputs that fail


def mount_tmpfs(where: Path, *options: str) -> bool:
    """Mount a tmpfs at ``where`` (root only); False when this machine does not allow it."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir(parents=True, exist_ok=True)
    opts = ",".join(("size=64k", *options))
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "rmp-test", str(where)], capture_output=True
    )
    return proc.returncode == 0


@pytest.fixture
def small_merge(bench, tmp_path: Path) -> dict[str, Path]:
    """Two workbooks to merge and a copy of the previous ledger."""
    shutil.copytree(bench["prev"], tmp_path / "t")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in bench["files"][2:4]:  # type: ignore[index]
        shutil.copy2(f, inbox / f.name)
    return {"ledger": tmp_path / "t" / "ledger.sqlite", "inbox": inbox,
            "config": bench["config"]}  # fmt: skip


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[list[Path]]:
    """Mount points made in the test; unmounted afterwards."""
    points: list[Path] = []
    yield points
    for p in points:
        subprocess.run(["umount", "-l", str(p)], capture_output=True)


def readonly_folder(tmp_path: Path, mounted: list[Path]) -> Path:
    folder = tmp_path / "readonly"
    if mount_tmpfs(folder, "ro"):
        mounted.append(folder)
    elif os.geteuid() != 0:
        folder.mkdir()
        folder.chmod(0o555)
    else:
        pytest.skip("as root only a read-only mount makes a folder read-only, and mount failed")
    return folder


def merge_to(small: dict[str, Path], output: Path, *extra: str) -> subprocess.CompletedProcess:
    return run(
        "merge", str(small["inbox"]), "--config", str(small["config"]),
        "--ledger", str(small["ledger"]), "-o", str(output), *extra,
    )  # fmt: skip


def test_read_only_output_folder_fails_before_recording(bench, small_merge, tmp_path, mounted):
    folder = readonly_folder(tmp_path, mounted)
    out = folder / "consolidated.xlsx"
    proc = merge_to(small_merge, out)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert str(out) in line and "read-only" in line and "nothing was recorded" in line
    assert counts(small_merge["ledger"]) == bench["before"]


def test_read_only_feedback_folder_fails_before_recording(
    bench, small_merge, tmp_path, mounted
) -> None:
    folder = readonly_folder(tmp_path, mounted)
    proc = merge_to(small_merge, tmp_path / "out.xlsx", "--feedback", str(folder / "fb"))
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert str(folder / "fb") in line and "nothing was recorded" in line
    assert counts(small_merge["ledger"]) == bench["before"]
    assert not (tmp_path / "out.xlsx").exists()


def test_output_path_that_is_a_folder_fails_before_recording(bench, small_merge, tmp_path):
    out = tmp_path / "consolidated.xlsx"
    out.mkdir()
    proc = merge_to(small_merge, out)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert str(out) in line and "it is a folder" in line
    assert counts(small_merge["ledger"]) == bench["before"]
    assert list(out.iterdir()) == []


def test_output_under_a_file_fails_before_recording(bench, small_merge, tmp_path):
    (tmp_path / "plain").write_text("a file, not a folder")
    out = tmp_path / "plain" / "consolidated.xlsx"
    proc = merge_to(small_merge, out)
    assert proc.returncode == 2
    assert str(out) in one_line_error(proc)
    assert counts(small_merge["ledger"]) == bench["before"]


def test_full_disk_fails_before_recording(bench, small_merge, tmp_path, mounted) -> None:
    folder = tmp_path / "tiny"
    if not mount_tmpfs(folder):
        pytest.skip("cannot mount a tmpfs here (the in-process test covers a full disk)")
    mounted.append(folder)
    out = folder / "consolidated.xlsx"
    proc = merge_to(small_merge, out)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert str(out) in line and "disk is full" in line and "nothing was recorded" in line
    assert counts(small_merge["ledger"]) == bench["before"]
    assert list(folder.iterdir()) == []


def test_disk_full_while_writing_keeps_the_previous_workbook(
    bench, small_merge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC at the last step: one clear error, the old workbook whole, no temp files."""
    ledger = small_merge["ledger"]
    out = ledger.parent / "out" / "consolidated.xlsx"
    previous = out.read_bytes()
    config = load_config(small_merge["config"])

    def full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr("rmp_workbook.dashboard.workbook.os.replace", full)
    with pytest.raises(OutputError) as caught:
        merge([small_merge["inbox"]], ledger=ledger, output=out, config=config)
    message = str(caught.value)
    assert str(out) in message and "disk is full" in message and "\n" not in message
    assert "running again adds nothing twice" in message
    assert out.read_bytes() == previous
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]
    recorded = counts(ledger)
    assert recorded["submissions"] == bench["before"]["submissions"] + 2

    monkeypatch.undo()
    result = merge([small_merge["inbox"]], ledger=ledger, output=out, config=config)
    assert result.exit_code == 0 and out.read_bytes() != previous
    assert counts(ledger) == recorded  # the re-run recorded nothing twice


def test_preflight_refuses_a_folder_with_too_little_space(
    bench, small_merge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.statvfs

    class Full:
        def __init__(self, path: str) -> None:
            self.f_frsize = real(path).f_frsize
            self.f_bavail = 1

    monkeypatch.setattr(merge_module.os, "statvfs", Full)
    config = load_config(small_merge["config"])
    with pytest.raises(OutputError, match=r"disk is full.*nothing was recorded"):
        merge([small_merge["inbox"]], ledger=small_merge["ledger"],
              output=tmp_path / "o.xlsx", config=config)  # fmt: skip
    assert counts(small_merge["ledger"]) == bench["before"]
