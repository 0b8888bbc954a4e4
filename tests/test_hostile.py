"""Hostile files end in one line and an exit code, in bounded time and memory.

The corpus is crafted at test time (tests/hostile_corpus.py). Each file runs in a
child process so its time and peak memory are measured on their own.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import SRC, run_rmp
from hostile_corpus import build_corpus, valid_xlsx

from rmp_workbook.feedback import write_feedback
from rmp_workbook.validate import read_workbook, validate_paths

SECRET = "TOP-SECRET-c0ffee"
MAX_SECONDS = 20
MAX_RSS_MB = 600

# Runs the command in a grandchild, so RUSAGE_CHILDREN holds that one run alone.
MEASURE = """
import resource, subprocess, sys, time
start = time.monotonic()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
seconds = time.monotonic() - start
rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.write(f"{proc.returncode} {seconds:.3f} {rss_kb}\\n")
sys.stdout.write(proc.stdout)
sys.stderr.write(proc.stderr)
"""


def run_measured(*args: str) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``python args`` in a child; return it, its seconds and its peak RSS in MB."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    first, _, rest = proc.stdout.partition("\n")
    code, seconds, rss_kb = first.split()
    child = subprocess.CompletedProcess(args, int(code), rest, proc.stderr)
    return child, float(seconds), int(rss_kb) / 1024


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, tuple[Path, str]], Path]:
    folder = tmp_path_factory.mktemp("hostile")
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    return build_corpus(folder / "files", secret), folder


def test_every_corpus_file_ends_in_one_line(corpus) -> None:
    """``rmp validate --feedback`` on each file: exit 2, one line why, bounded, nothing leaks."""
    files, folder = corpus
    for name, (path, _code) in files.items():
        out = folder / "feedback" / name
        proc, seconds, rss_mb = run_measured(
            "-m", "rmp_workbook", "validate", "--feedback", str(out), str(path)
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode in (1, 2), (name, output)
        assert proc.returncode == 2, (name, output)  # every case is unreadable, not just wrong
        assert "Traceback" not in output and proc.stderr == "", (name, output)
        # A folder named .xlsx lists what it holds first; its reason line names the folder.
        [reason] = [ln for ln in proc.stdout.splitlines() if ln.startswith(f"{path}: ")]
        assert len(reason) > len(f"{path}: ") + 20, (name, reason)
        assert seconds < MAX_SECONDS, (name, seconds)
        assert rss_mb < MAX_RSS_MB, (name, rss_mb)
        assert SECRET not in output
        for written in out.rglob("*"):
            with zipfile.ZipFile(written) as zf:
                assert not any(SECRET.encode() in zf.read(n) for n in zf.namelist())


def test_reasons_say_what_happened(corpus) -> None:
    files, _ = corpus
    words = {
        "csv": "CSV file",
        "encrypted-ole": "password",
        "deflate-bomb": "zip bomb",
        "billion-laughs": "DOCTYPE",
        "far-cell": "too large",
    }
    for name, word in words.items():
        proc = run_rmp("validate", str(files[name][0]))
        assert word in proc.stdout.splitlines()[0], (name, proc.stdout)


def test_measurement_sees_a_child_that_allocates() -> None:
    # The RSS figure is the child's own: a child holding 200 MB shows it.
    proc, _, rss_mb = run_measured(
        "-c", "x = bytearray(200 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"
    )
    assert proc.returncode == 0
    assert 200 < rss_mb < MAX_RSS_MB


# --------------------------------------------------------------------------- mutation fuzz

JUNK = [
    b"<",
    b">",
    b"&",
    b'"',
    b"\x00",
    b"<!DOCTYPE x>",
    b'<c r="ZZZ9999999"><v>1</v></c>',
    b"&#0;",
    b"]]>",
    b"\xff\xfe",
    b"99999999999999999999",
    b'r="A0"',
]


def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    action = rng.choice(["flip", "truncate", "splice", "zero"])
    if action == "flip":
        for _ in range(rng.randint(1, 20)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif action == "truncate":
        del buf[rng.randrange(1, len(buf)) :]
    elif action == "splice":
        a, b = sorted(rng.sample(range(len(buf)), 2))
        buf[a:a] = buf[a:b]
    else:
        a = rng.randrange(len(buf))
        buf[a : a + rng.randint(1, 4096)] = b"\0" * 10
    return bytes(buf)


def _mutate_xml(rng: random.Random, xml: bytes) -> bytes:
    buf = bytearray(xml)
    for _ in range(rng.randint(1, 5)):
        action = rng.choice(["replace", "delete", "duplicate", "insert"])
        a = rng.randrange(max(len(buf), 1))
        n = rng.randint(1, 200)
        if action == "replace":
            buf[a : a + 1] = bytes([rng.randrange(256)])
        elif action == "delete":
            del buf[a : a + n]
        elif action == "duplicate":
            buf[a:a] = buf[a : a + n]
        else:
            buf[a:a] = rng.choice(JUNK)
    return bytes(buf)


def mutants(base: Path, folder: Path, count: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    data = base.read_bytes()
    with zipfile.ZipFile(base) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    xml_parts = [n for n in parts if n.endswith((".xml", ".rels"))]
    out = []
    for i in range(count):
        path = folder / f"mutant-{i:03d}.xlsx"
        if rng.random() < 0.4:
            path.write_bytes(_mutate_bytes(rng, data))
        else:
            victim = rng.choice(xml_parts)
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, body in parts.items():
                    zf.writestr(name, _mutate_xml(rng, body) if name == victim else body)
        out.append(path)
    return out


def test_mutation_fuzz_never_raises_unexpectedly(tmp_path: Path) -> None:
    """200 damaged templates through the reader, the validator and the feedback writer."""
    base = valid_xlsx(tmp_path / "base.xlsx")
    outcomes: dict[str, int] = {}
    start = time.monotonic()
    for path in mutants(base, tmp_path, count=200, seed=11000):
        sub = read_workbook(path)
        [result] = validate_paths([path]).files
        assert [f.code for f in result.findings] == [f.code for f in sub.findings], path
        # A finding about rmp itself would mean the reader raised: none may.
        assert "internal-error" not in {f.code for f in result.findings}, result.findings
        out = write_feedback(path, sub.findings, tmp_path / "out")
        assert out.exists()
        fatal = [f for f in sub.findings if getattr(f, "fatal", False)]
        key = fatal[0].code if fatal else ("valid" if sub.valid else "problems")
        outcomes[key] = outcomes.get(key, 0) + 1
    assert time.monotonic() - start < 180
    # The fuzz reaches both sides: files read to the end, and files refused before parsing.
    assert outcomes.get("valid", 0) + outcomes.get("problems", 0) > 10, outcomes
    assert outcomes.get("corrupt-file", 0) > 10, outcomes


def test_broken_xml_deep_in_a_sheet_is_a_corrupt_file(tmp_path: Path) -> None:
    from hostile_corpus import replace_members

    base = valid_xlsx(tmp_path / "base.xlsx")
    with zipfile.ZipFile(base) as zf:
        xml = zf.read("xl/worksheets/sheet3.xml")
    broken = xml.replace(b"</sheetData>", b"<row><c><v>\xff\xfe</v></c></row></sheetData>")
    path = replace_members(base, tmp_path / "broken.xlsx", {"xl/worksheets/sheet3.xml": broken})
    sub = read_workbook(path)
    assert [f.code for f in sub.findings] == ["corrupt-file"]
    assert "a sheet cannot be read" in sub.findings[0].message
    assert not sub.valid and sub.records == {}


def test_a_workbook_named_for_another_format_is_read_by_its_content(
    tmp_path: Path, lo_convert
) -> None:
    base = valid_xlsx(tmp_path / "src" / "plan.xlsx")
    expected = [f.code for f in read_workbook(base).findings]
    ods = lo_convert(base, "ods", tmp_path / "ods")
    for real, named in ((base, "plan-xlsx.xls"), (ods, "plan-ods.xlsx")):
        wrong = tmp_path / named
        wrong.write_bytes(real.read_bytes())
        sub = read_workbook(wrong)
        assert sub.meta.partner == "Northwind Ltd", named
        assert "not-a-workbook" not in [f.code for f in sub.findings], named
    assert [f.code for f in read_workbook(tmp_path / "plan-xlsx.xls").findings] == expected


def test_workbook_with_macros_is_read_and_warned(tmp_path: Path) -> None:
    from hostile_corpus import with_macros

    src = with_macros(tmp_path / "plan.xlsm", valid_xlsx(tmp_path / "plan.xlsx"))
    out = tmp_path / "feedback"
    proc, seconds, rss_mb = run_measured(
        "-m", "rmp_workbook", "validate", "--feedback", str(out), str(src)
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1), output
    assert "[macros]" in proc.stdout and "xl/vbaProject.bin" in proc.stdout
    assert "Traceback" not in output
    assert seconds < MAX_SECONDS and rss_mb < MAX_RSS_MB
    with zipfile.ZipFile(out / "plan-xlsm.feedback.xlsx") as zf:
        assert not [n for n in zf.namelist() if "vba" in n.lower()]
