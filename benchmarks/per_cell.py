#!/usr/bin/env python
"""Merge time per cell of two or more versions of rmp, each on its own workbooks.

    python benchmarks/per_cell.py old=/path/to/old/checkout new=. [--files 200] [--repeat 5]

Each version (a checkout: its ``src`` is put on ``PYTHONPATH``) writes its own N partner
workbooks with its own ``rmp_workbook.sample.fill_many`` (same seed as ``run.py``), so a
version with more sheets has more cells; each then merges its own files with its own
code, end to end as a user runs ``rmp merge``. Runs are interleaved (old, new, old, new…)
so a change in the shared machine's speed hits every version alike; the fastest and the
median wall time per cell are printed. Cells are counted as ``run.py``'s floor counts them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402  (the floor's cell count, the seed)


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src / "src")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # installed code runs from compiled bytecode
    return env


def _workbooks(name: str, tree: Path, files: int, work: Path) -> tuple[Path, Path, int]:
    folder = work / f"files-{name}"
    call = f"fill_many({str(folder)!r}, {files}, {run.SEED})"
    code = f"from rmp_workbook.sample import fill_many; {call}"
    subprocess.run([sys.executable, "-c", code], env=_env(tree), check=True)
    config = work / f"{name}.rmp.toml"
    shutil.move(folder / "rmp.toml", config)
    books = sorted(p for p in folder.iterdir() if p.suffix == ".xlsx")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "src")], check=True)
    return folder, config, run.floor_read(books)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("versions", nargs="+", help="name=checkout, e.g. old=../rmp-c7c42c0 new=.")
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    trees = {n: Path(p).resolve() for n, p in (v.split("=", 1) for v in args.versions)}
    with tempfile.TemporaryDirectory(prefix="rmp-per-cell-") as tmp:
        work = Path(tmp)
        made = {n: _workbooks(n, tree, args.files, work) for n, tree in trees.items()}
        walls: dict[str, list[float]] = {n: [] for n in trees}
        for _ in range(args.repeat):
            for name, tree in trees.items():
                folder, config, _cells = made[name]
                ledger = work / f"{name}.sqlite"
                for p in work.glob(f"{name}.sqlite*"):
                    p.unlink()
                started = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-m", "rmp_workbook", "merge", str(folder), "--config",
                     str(config), "--ledger", str(ledger), "-o", str(work / f"{name}.xlsx"),
                     "--json"],
                    env=_env(tree), capture_output=True, text=True,
                )  # fmt: skip
                walls[name].append(time.perf_counter() - started)
                if proc.returncode not in (0, 1):
                    sys.exit(f"{name}: rmp merge failed\n{proc.stderr[-2000:]}")
        for name, times in walls.items():
            cells = made[name][2]
            best, median = min(times), statistics.median(times)
            print(
                f"{name}: {cells:,} cells; best {best:.2f} s, {best / cells * 1e6:.2f} µs a cell; "
                f"median {median:.2f} s, {median / cells * 1e6:.2f} µs a cell"
            )


if __name__ == "__main__":
    main()
