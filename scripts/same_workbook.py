"""Does the consolidated workbook still come out the same? Write it with a git revision's
code and with this tree's, each in a fresh process, then compare the two xlsx packages
part by part (every worksheet, table, chart, drawing, style and shared-string part)::

    PYTHONPATH=src python scripts/same_workbook.py --ref main                 # the demo
    PYTHONPATH=src python scripts/same_workbook.py --ref main --pickle c.pkl  # any run

``c.pkl`` holds a pickled ``Consolidated``. Without ``--pickle`` the demo relationship
is run once (this tree's code) and its ``Consolidated`` is written by both. xlsxwriter
output is deterministic apart from the creation time in ``docProps/core.xml``, the one
part left out. Prints each write's time; exits 1 when any part differs.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {"docProps/core.xml"}
"""Parts that hold the time of writing."""

_WRITE = """
import pickle, sys, time
from rmp_workbook.dashboard import write_consolidated
with open(sys.argv[1], "rb") as f:
    c = pickle.load(f)
started = time.perf_counter()
write_consolidated(c, sys.argv[2])
print(f"{time.perf_counter() - started:.3f}")
"""


def compare(a: Path, b: Path) -> list[str]:
    """The parts of ``a`` and ``b`` that differ (a part only one holds counts)."""
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names_a, names_b = za.namelist(), zb.namelist()
        differ = sorted(set(names_a) ^ set(names_b))
        for name in names_a:
            if name in SKIPPED or name not in names_b:
                continue
            if za.read(name) != zb.read(name):
                differ.append(name)
    return differ


def _write(src: Path, consolidated: Path, out: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _WRITE, str(consolidated), str(out)],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def _demo_consolidated(folder: Path) -> Path:
    from rmp_workbook.demo import run_demo

    result = run_demo(folder / "demo")
    path = folder / "demo.pkl"
    path.write_bytes(pickle.dumps(result.merged.consolidated))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="git revision to compare with")
    parser.add_argument("--pickle", type=Path, help="a pickled Consolidated (default: the demo)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="same-workbook-") as tmp:
        folder = Path(tmp)
        consolidated = args.pickle or _demo_consolidated(folder)
        old = folder / "old"
        old.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.ref, "src"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        before = _write(old / "src", consolidated, folder / "before.xlsx")
        after = _write(ROOT / "src", consolidated, folder / "after.xlsx")
        differ = compare(folder / "before.xlsx", folder / "after.xlsx")
        with zipfile.ZipFile(folder / "after.xlsx") as zf:
            parts = len(zf.namelist())
    print(f"write: {args.ref} {before:.3f}s, this tree {after:.3f}s")
    if differ:
        print(f"DIFFERENT: {len(differ)} of {parts} parts: {', '.join(differ)}")
        return 1
    print(f"IDENTICAL: all {parts - len(SKIPPED)} parts but {', '.join(sorted(SKIPPED))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
