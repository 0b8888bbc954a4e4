#!/usr/bin/env python
"""rmp_workbook performance benchmark: every stage, one run, the same files.

    python benchmarks/run.py [--files N] [--scaling] [--json PATH] [--no-peer]

Stages (each measured in a fresh child process, so peak memory is the stage's own):

- ``floor``     unzip every sheet part (and the shared strings) and parse it with expat;
- ``baseline``  ``pandas.read_excel(path, sheet_name=None, engine="openpyxl")`` per file;
- ``validate``  ``rmp validate DIR --json``, end to end;
- ``merge``     ``rmp merge DIR --ledger fresh.sqlite -o out.xlsx``, end to end, default ``--jobs``;
- ``peer``      datamaps (PyPI) compiling the same files through a cell map, in its own venv;
- ``help``      ``rmp --help`` start-up, median of 5;
- ``template``  ``rmp template`` end to end for one workbook, median of 5;
- ``template_write``  ``write_template`` alone, time per workbook over 10 partners.

A stage that cannot run (command not there yet, peer not installable) gets a note saying
why instead of a number. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
BENCH = ROOT / "benchmarks"
PEER_VENV = BENCH / ".peer-venv"
PEER_PIN = "datamaps==1.1.9"
DEFAULT_JSON = BENCH / "results" / "latest.json"
SEED = 20261126
STAGES = ("floor", "baseline", "validate", "merge", "peer", "help", "template", "template_write")
REPEATED = ("floor", "baseline", "validate", "merge")
"""Stages ``--repeat`` runs several times (the peer takes minutes: once)."""
FILE_STAGES = ("floor", "baseline", "validate", "merge", "peer")
"""Stages that read the N files; the table gives their time as a multiple of merge's."""
SCALING_SIZES = (50, 200, 1000)
SCALING_STAGES = ("floor", "validate", "merge")
TEMPLATE_WORKBOOKS = 10
"""Workbooks ``template_write`` writes; its time is reported per workbook."""

if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))


@dataclass
class Stage:
    """One measured stage: a number, or a note saying why there is none."""

    name: str
    seconds: float | None = None
    files: int = 0
    """How many files (workbooks written, for the template stages) the time covers."""
    peak_mb: float | None = None
    """Peak resident memory of the process doing the work (largest child for the peer)."""
    note: str = ""
    cpu_seconds: float | None = None
    """User + system CPU time over all cores; above ``seconds`` when a stage runs in parallel."""
    lower_bound: bool = False
    """True when the stage hit its time limit: the real time is longer than ``seconds``."""
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds of each phase as the command itself timed them (merge's ``--json``)."""

    @property
    def ok(self) -> bool:
        return self.seconds is not None

    @property
    def per_file(self) -> float | None:
        if self.seconds is None or not self.files:
            return None
        return self.seconds / self.files

    def record(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_file"] = self.per_file
        return data


@dataclass
class Run:
    """What one child measurement reports."""

    seconds: float
    peak_mb: float
    rc: int
    stderr: str
    cpu_seconds: float = 0.0
    """User + system time of the child and its waited-for children (all cores)."""
    stdout_path: Path | None = None
    timed_out: bool = False


# --------------------------------------------------------------------------- children

# A fresh wrapper per measurement: RUSAGE_CHILDREN then covers exactly one command
# (and, on Linux, the largest of its own waited-for children, e.g. a process pool).
_WRAPPER = r"""
import json, resource, subprocess, sys, time
cmd, out, timeout = json.loads(sys.argv[1])
timed_out = False
with open(out, "wb") as fh:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.PIPE)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        timed_out = True
    seconds = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "maxrss_kb": ru.ru_maxrss, "rc": proc.returncode,
                  "cpu": ru.ru_utime + ru.ru_stime,
                  "stderr": err.decode("utf-8", "replace")[-3000:], "timed_out": timed_out}))
"""


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def measure(
    cmd: list[str],
    stdout_path: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> Run:
    """Run ``cmd`` under a fresh wrapper process: wall time and the child's peak RSS."""
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, json.dumps([cmd, str(stdout_path), timeout])],
        capture_output=True,
        text=True,
        env=env or child_env(),
        cwd=cwd,
        check=True,
    )
    data = json.loads(proc.stdout)
    return Run(
        seconds=data["seconds"],
        peak_mb=data["maxrss_kb"] / 1024,
        rc=data["rc"],
        stderr=data["stderr"],
        cpu_seconds=data["cpu"],
        stdout_path=stdout_path,
        timed_out=data["timed_out"],
    )


def rmp(*args: str) -> list[str]:
    return [sys.executable, "-m", "rmp_workbook", *args]


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def missing_command(run: Run, name: str) -> str | None:
    """A note when ``rmp NAME`` does not exist yet (click's usage error, exit 2)."""
    if run.rc == 2 and "No such command" in run.stderr:
        return f"`rmp {name}` is not available in this build"
    return None


# --------------------------------------------------------------- in-process stages
# Run as ``run.py --child STAGE DIR``: the child times its own loop (imports excluded)
# and reports its own peak RSS.


def floor_read(files: list[Path]) -> int:
    """Unzip every worksheet part and the shared strings; parse each with expat.

    The only Python work per element is one call that counts cells: the least any
    reader that looks at cells must do. Returns the number of cells seen.
    """
    import xml.parsers.expat

    cells = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal cells
        if name == "c":
            cells += 1

    for path in files:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                part = info.filename
                if part.startswith("xl/worksheets/sheet") or part == "xl/sharedStrings.xml":
                    parser = xml.parsers.expat.ParserCreate()
                    parser.StartElementHandler = start
                    parser.Parse(zf.read(info), True)
    return cells


def baseline_read(files: list[Path]) -> int:
    """What a hand-written script does: every sheet of every file into pandas."""
    import pandas as pd

    rows = 0
    for path in files:
        frames = pd.read_excel(path, sheet_name=None, engine="openpyxl")
        rows += sum(len(f) for f in frames.values())
    return rows


def template_write(out_dir: Path, n: int) -> int:
    """``write_template`` n times, as ``rmp template`` does once per partner."""
    from rmp_workbook.template import write_template

    out_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_template(
            out_dir / f"template-{i:03d}.xlsx",
            relationship_id="BENCH-2026",
            relationship_name="Benchmark relationship",
            partner=f"Partner {i:03d}",
            period="2026-11",
        )
    return n


def run_child(stage: str, target: Path, count: int) -> None:
    """Child-process entry point: run one in-process stage and print its measurement."""
    import resource

    files = sorted(target.glob("*.xlsx"))
    work: Callable[[], int]
    if stage == "floor":
        work = lambda: floor_read(files)  # noqa: E731
    elif stage == "baseline":
        import pandas  # noqa: F401  (import outside the timed loop)

        work = lambda: baseline_read(files)  # noqa: E731
    elif stage == "template_write":
        try:
            import rmp_workbook.template  # noqa: F401
        except ImportError as exc:
            print(json.dumps({"unavailable": f"rmp_workbook.template: {exc}"}))
            return
        work = lambda: template_write(target, count)  # noqa: E731
    else:
        raise SystemExit(f"unknown child stage {stage}")
    start, cpu_start = time.perf_counter(), time.process_time()
    items = work()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "maxrss_kb": ru.ru_maxrss,
                "cpu": cpu,
                "items": items,
            }
        )
    )


def in_process_stage(name: str, target: Path, count: int, files: int) -> Stage:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", name, str(target), str(count)],
        capture_output=True,
        text=True,
        env=child_env(),
    )
    if proc.returncode != 0:
        return Stage(name, files=files, note=f"failed: {last_line(proc.stderr)}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    if "unavailable" in data:
        return Stage(name, files=files, note=f"not available: {data['unavailable']}")
    stage = Stage(
        name,
        seconds=data["seconds"],
        files=files,
        peak_mb=data["maxrss_kb"] / 1024,
        cpu_seconds=data["cpu"],
    )
    if name == "floor":
        stage.note = f"{data['items']:,} cells"
    elif name == "baseline":
        stage.note = f"{data['items']:,} rows into pandas"
    return stage


# ------------------------------------------------------------------- CLI stages


def validate_stage(files_dir: Path, work: Path, n: int, timeout: float) -> Stage:
    out = work / "validate.json"
    args = ["validate", str(files_dir), "--json", *config_args("validate", files_dir)]
    stage = cli_stage("validate", args, out, n, timeout)
    if stage.ok and not stage.lower_bound:
        try:
            json.loads(out.read_text())
        except ValueError:
            return Stage("validate", files=n, note="--json output is not JSON")
    return stage


def merge_stage(files_dir: Path, work: Path, n: int, timeout: float) -> Stage:
    ledger, out = work / "fresh.sqlite", work / "out.xlsx"
    for path in (ledger, out):
        path.unlink(missing_ok=True)
    args = ["merge", str(files_dir), "--ledger", str(ledger), "-o", str(out), "--json"]
    args += config_args("merge", files_dir)
    stage = cli_stage("merge", args, work / "merge.out", n, timeout)
    if stage.ok and not stage.lower_bound and not out.exists():
        return Stage("merge", files=n, note=f"wrote no {out.name}")
    if stage.ok and not stage.lower_bound:
        try:
            summary = json.loads((work / "merge.out").read_text())["summary"]
        except (ValueError, KeyError):
            return Stage("merge", files=n, note="--json output is not JSON")
        stage.phases = dict(summary.get("seconds") or {})
        if stage.phases:
            phases = ", ".join(f"{k.replace('_', '+')} {v:.2f}" for k, v in stage.phases.items())
            stage.note = f"{stage.note}; {phases} s".lstrip("; ")
    return stage


def cli_stage(name: str, args: list[str], stdout: Path, n: int, timeout: float) -> Stage:
    """``rmp ARGS`` end to end; exit 0 or 1 (problems found in the files) both count."""
    run = measure(rmp(*args), stdout, timeout=timeout)
    if note := missing_command(run, name):
        return Stage(name, files=n, note=note)
    if run.timed_out:
        return Stage(
            name,
            seconds=run.seconds,
            files=n,
            peak_mb=run.peak_mb,
            cpu_seconds=run.cpu_seconds,
            lower_bound=True,
            note=f"stopped at the {timeout:.0f} s limit, unfinished",
        )
    if run.rc not in (0, 1):
        return Stage(name, files=n, note=f"exit {run.rc}: {last_line(run.stderr)}")
    return Stage(
        name,
        seconds=run.seconds,
        files=n,
        peak_mb=run.peak_mb,
        cpu_seconds=run.cpu_seconds,
        note="exit 1: problems found in the files" if run.rc == 1 else "",
    )


def config_args(command: str, files_dir: Path) -> list[str]:
    """``--config`` with the generator's config when there is one and the command takes it."""
    config = config_path(files_dir)
    if not config.exists():
        return []
    proc = subprocess.run(rmp(command, "--help"), capture_output=True, text=True, env=child_env())
    return ["--config", str(config)] if "--config" in proc.stdout else []


def help_stage(work: Path) -> Stage:
    runs = [measure(rmp("--help"), work / "help.out") for _ in range(5)]
    if any(r.rc != 0 for r in runs):
        return Stage("help", note=f"exit {runs[0].rc}: {last_line(runs[0].stderr)}")
    return Stage(
        "help",
        seconds=statistics.median(r.seconds for r in runs),
        cpu_seconds=statistics.median(r.cpu_seconds for r in runs),
        peak_mb=max(r.peak_mb for r in runs),
        note="median of 5 start-ups",
    )


def template_stage(work: Path) -> Stage:
    """``rmp template`` end to end for one workbook (with the example config), median of 5."""
    out = work / "template-cli"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    args = ["--relationship", "Benchmark relationship", "--partner", "Northwind Ltd"]
    init = measure(rmp("init", str(out)), out / "init.out")
    config = out / "rmp.toml"
    if init.rc == 0 and config.exists():
        partner = _first_partner(config)
        if partner:
            args = ["--config", str(config), "--partner", partner]
    cmd = rmp("template", *args, "--period", "2026-11", "-o", str(out / "workbook.xlsx"))
    runs = [measure(cmd, out / "template.out") for _ in range(5)]
    if note := missing_command(runs[0], "template"):
        return Stage("template", note=note)
    if runs[0].rc != 0 or not (out / "workbook.xlsx").exists():
        return Stage("template", note=f"exit {runs[0].rc}: {last_line(runs[0].stderr)}")
    how = "with the `rmp init` config" if "--config" in args else "without config"
    return Stage(
        "template",
        seconds=statistics.median(r.seconds for r in runs),
        cpu_seconds=statistics.median(r.cpu_seconds for r in runs),
        files=1,
        peak_mb=max(r.peak_mb for r in runs),
        note=f"one workbook end to end, {how}, median of 5",
    )


def _first_partner(config: Path) -> str | None:
    from rmp_workbook.config import load_config

    partners = load_config(config).partners
    return partners[0].name if partners else None


def template_write_stage(work: Path) -> Stage:
    """``write_template`` alone (no start-up), time per workbook over several partners."""
    out = work / "templates"
    shutil.rmtree(out, ignore_errors=True)
    stage = in_process_stage("template_write", out, TEMPLATE_WORKBOOKS, TEMPLATE_WORKBOOKS)
    if stage.ok:
        stage.note = f"write_template in one process, {TEMPLATE_WORKBOOKS} workbooks"
    return stage


# ------------------------------------------------------------------------- peer


def peer_python() -> Path:
    return PEER_VENV / "bin" / "python"


def ensure_peer() -> str | None:
    """Create the peer's own venv with datamaps; a note when that is impossible."""
    if peer_python().exists() and (PEER_VENV / "bin" / "datamaps").exists():
        return None
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(PEER_VENV)],
            check=True,
            capture_output=True,
            text=True,
        )
        subprocess.run(
            [str(peer_python()), "-m", "pip", "install", "--quiet", PEER_PIN],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return f"could not install {PEER_PIN}: {last_line(str(detail))}"
    return None


def peer_versions() -> dict[str, str]:
    if not peer_python().exists():
        return {}
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({p: m.version(p) for p in ('datamaps', 'bcompiler-engine', 'openpyxl')}))"
    )
    proc = subprocess.run([str(peer_python()), "-c", code], capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


DATAMAP_TYPES = {
    "integer": "NUMBER",
    "number": "NUMBER",
    "percent": "NUMBER",
    "score": "NUMBER",
    "formula": "NUMBER",
    "date": "DATE",
}


def write_datamap(files: list[Path], path: Path) -> int:
    """A datamaps cell map covering every schema cell the files fill.

    Form sheets map their value column; table sheets map every column of as many
    rows as the longest such sheet among the files has. Returns the line count.
    """
    from python_calamine import CalamineWorkbook

    from rmp_workbook.cells import a1
    from rmp_workbook.schema import FORM_FIRST_ROW, FORM_VALUE_COL, HEADER_ROW, SHEETS, SheetKind

    heights: dict[str, int] = {}
    for file in files:
        wb = CalamineWorkbook.from_path(str(file))
        for sheet in SHEETS:
            if sheet.name in wb.sheet_names and sheet.kind is not SheetKind.FORM:
                rows = wb.get_sheet_by_name(sheet.name).to_python()
                heights[sheet.name] = max(heights.get(sheet.name, 0), len(rows))
    lines = 0
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["cell_key", "template_sheet", "cell_reference", "type"])
        for sheet in SHEETS:
            if sheet.kind is SheetKind.FORM:
                for i, col in enumerate(sheet.columns):
                    cell = a1(FORM_FIRST_ROW + i, FORM_VALUE_COL)
                    out.writerow([f"{sheet.key} {col.key}", sheet.name, cell, _dm_type(col.type)])
                    lines += 1
                continue
            for row in range(HEADER_ROW + 1, heights.get(sheet.name, 0)):
                for c, col in enumerate(sheet.columns):
                    key = f"{sheet.key} {row} {col.key}"
                    out.writerow([key, sheet.name, a1(row, c), _dm_type(col.type)])
                    lines += 1
    return lines


def _dm_type(col_type: object) -> str:
    return DATAMAP_TYPES.get(str(col_type), "TEXT")


def peer_stage(files_dir: Path, work: Path, n: int, timeout: float) -> Stage:
    if note := ensure_peer():
        return Stage("peer", files=n, note=note)
    files = sorted(files_dir.glob("*.xlsx"))
    datamap = work / "datamap.csv"
    lines = write_datamap(files, datamap)
    home = work / "peer-home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    env = dict(os.environ, HOME=str(home))
    env.pop("PYTHONPATH", None)
    # datamaps reads every *.xlsx in --inputdir, through a process pool.
    cmd = [
        str(PEER_VENV / "bin" / "datamaps"),
        "import",
        "templates",
        "--to-master",
        "--inputdir",
        str(files_dir),
        "--datamap",
        str(datamap),
        "--rowlimit",
        "5000",
    ]
    run = measure(cmd, work / "peer.out", env=env, cwd=work, timeout=timeout)
    master = home / "Documents" / "datamaps" / "output" / "master.xlsx"
    desc = f"datamaps, cell map of {lines:,} cells"
    if run.timed_out:
        return Stage(
            "peer",
            seconds=run.seconds,
            files=n,
            peak_mb=run.peak_mb,
            lower_bound=True,
            note=f"{desc}; stopped at the {timeout:.0f} s limit, unfinished",
        )
    if run.rc != 0 or not master.exists():
        return Stage(
            "peer", files=n, note=f"datamaps failed (exit {run.rc}): {last_line(run.stderr)}"
        )
    return Stage(
        "peer",
        seconds=run.seconds,
        files=n,
        peak_mb=run.peak_mb,
        cpu_seconds=run.cpu_seconds,
        note=desc,
    )


# ------------------------------------------------------------------------ files


def make_files(out_dir: Path, n: int, seed: int = SEED) -> list[Path]:
    """N partner workbooks, reused when the folder already holds the same set."""
    from rmp_workbook.sample import fill_many

    generator = "rmp_workbook.sample.fill_many"
    # Beside the folder, not in it: the folder holds workbooks only, as a month's returns do.
    stamp = out_dir.with_name(f"{out_dir.name}.generated.json")
    wanted = {"n": n, "seed": seed, "generator": generator, "source": generator_source()}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return sorted(out_dir.glob("*.xlsx"))
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    fill_many(out_dir, n, seed)
    written_config = out_dir / "rmp.toml"
    if written_config.exists():
        written_config.replace(config_path(out_dir))
    files = sorted(out_dir.glob("*.xlsx"))
    if len(files) != n or len(list(out_dir.iterdir())) != n:
        raise SystemExit(f"{generator} wrote {len(files)} workbooks, expected {n}")
    stamp.write_text(json.dumps(wanted))
    return files


def config_path(files_dir: Path) -> Path:
    """The relationship config fill_many writes, kept beside the workbooks' folder."""
    return files_dir.with_name(f"{files_dir.name}.rmp.toml")


def generator_source() -> str:
    """A digest of the code that writes the workbooks: changed code, regenerated files."""
    import hashlib

    digest = hashlib.sha256()
    parts = [*sorted((SRC / "rmp_workbook" / "sample").glob("*.py"))]
    parts += [SRC / "rmp_workbook" / "template.py"]
    for path in parts:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    import rmp_workbook

    found = {"rmp_workbook": rmp_workbook.__version__}
    for name in ("pandas", "openpyxl", "python-calamine", "xlsxwriter", "sqlalchemy", "click"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_commit() -> str:
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    )
    return proc.stdout.strip()


# ----------------------------------------------------------------------- report


def ratio(num: Stage | None, den: Stage | None) -> float | None:
    if num is None or den is None or not num.ok or not den.ok or not den.seconds:
        return None
    assert num.seconds is not None
    return num.seconds / den.seconds


def bound(num_lower: bool, den_lower: bool) -> str:
    """How a ratio relates to the truth when a stage was stopped unfinished.

    ``">"`` the true value is at least the one shown, ``"<"`` at most, ``"?"`` unknown.
    """
    if num_lower and den_lower:
        return "?"
    return ">" if num_lower else "<" if den_lower else ""


RATIOS = (
    ("baseline/merge", "baseline", "merge"),
    ("peer/merge", "peer", "merge"),
    ("merge/floor", "merge", "floor"),
    ("validate/floor", "validate", "floor"),
)

INGEST_PHASE = "read_validate_record"
"""The phase of ``rmp merge`` that reads, validates and records every workbook: what the
"read + validate + ledger" target compares with the floor."""


def ingest_ratio(stages: dict[str, Stage]) -> float | None:
    """merge's read+validate+record phase over the floor (None when either is missing)."""
    merge, floor = stages.get("merge"), stages.get("floor")
    if merge is None or floor is None or not floor.seconds or INGEST_PHASE not in merge.phases:
        return None
    return merge.phases[INGEST_PHASE] / floor.seconds


def judge(value: float | None, how: str, at_least: bool, limit: float) -> bool | None:
    """Met (True), missed (False) or unknown (None); ``how`` as returned by :func:`bound`."""
    if value is None or how == "?":
        return None
    met = value >= limit if at_least else value <= limit
    if how == "":
        return met
    # A bound decides only when it already lies on the far side of the limit.
    if (how == ">") == at_least:
        return True if met else None
    return False if not met else None


def targets(
    stages: dict[str, Stage], ratios: dict[str, float | None], scaling: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met (None: not measured)."""
    bounds = ratio_bounds(stages)

    def on_ratio(text: str, name: str, at_least: bool, limit: float) -> dict[str, Any]:
        value, how = ratios.get(name), bounds.get(name, "")
        return {
            "target": text,
            "value": value,
            "bound": how,
            "met": judge(value, how, at_least, limit),
        }

    out = [
        on_ratio("merge >= 8x faster than the baseline read", "baseline/merge", True, 8),
        on_ratio("merge >= 50x faster than the peer", "peer/merge", True, 50),
        on_ratio(
            "read+validate+ledger within 3x the floor (merge's own read+validate+record "
            "phase, in worker processes)",
            "ingest/floor",
            False,
            3,
        ),
        on_ratio("validate within 3x the floor", "validate/floor", False, 3),
    ]
    by_size = {row["files"]: row for row in scaling}
    first, last = SCALING_SIZES[0], SCALING_SIZES[-1]
    flat = peak = None
    flat_how = peak_how = ""
    if first in by_size and last in by_size:
        a, b = by_size[first].get("merge", {}), by_size[last].get("merge", {})
        if a.get("per_file") and b.get("per_file"):
            flat = b["per_file"] / a["per_file"]
            flat_how = bound(bool(b.get("lower_bound")), bool(a.get("lower_bound")))
        peak = b.get("peak_mb")
        peak_how = ">" if b.get("lower_bound") else ""
    out += [
        {
            "target": f"merge time per file flat {first}->{last} "
            f"(per file at {last} / per file at {first} <= 1.25)",
            "value": flat,
            "bound": flat_how,
            "met": judge(flat, flat_how, False, 1.25),
        },
        {
            "target": f"merge peak memory < 300 MB at {last} files",
            "value": peak,
            "bound": peak_how,
            "met": judge(peak, peak_how, False, 300 - 1e-9),
        },
    ]
    help_s, tmpl = stages.get("help"), stages.get("template")
    help_value = help_s.seconds if help_s else None
    tmpl_value = tmpl.per_file if tmpl else None
    out += [
        {
            "target": "rmp --help < 0.5 s",
            "value": help_value,
            "bound": "",
            "met": judge(help_value, "", False, 0.5 - 1e-9),
        },
        {
            "target": "rmp template < 0.3 s per workbook (end to end)",
            "value": tmpl_value,
            "bound": "",
            "met": judge(tmpl_value, "", False, 0.3 - 1e-9),
        },
    ]
    return out


def ratio_bounds(stages: dict[str, Stage]) -> dict[str, str]:
    found = {}
    for name, a, b in RATIOS:
        num, den = stages.get(a), stages.get(b)
        if num and den:
            found[name] = bound(num.lower_bound, den.lower_bound)
    return found


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(record: dict[str, Any]) -> str:
    lines = [
        f"rmp_workbook benchmark  {record['date']}  {record['files']} files "
        f"({record['files_mb']:.1f} MB)  {record['machine']['cpu']}, "
        f"{record['machine']['cores']} cores, Python {record['machine']['python']}",
        "",
        f"{'stage':<15} {'seconds':>9} {'per file ms':>12} {'peak MB':>8} {'CPU s':>7} "
        f"{'x merge':>8}  note",
    ]
    merge = record["stages"]["merge"]["seconds"]
    for name in STAGES:
        st = record["stages"][name]
        secs = fmt(st["seconds"], ".2f")
        if st["lower_bound"]:
            secs = ">" + secs
        per = fmt(st["per_file"] * 1000 if st["per_file"] is not None else None, ".1f")
        vs = None
        if name in FILE_STAGES and st["seconds"] is not None and merge:
            vs = st["seconds"] / merge
        lines.append(
            f"{name:<15} {secs:>9} {per:>12} {fmt(st['peak_mb'], '.0f'):>8} "
            f"{fmt(st['cpu_seconds'], '.1f'):>7} {fmt(vs, '.2f'):>8}  {st['note']}"
        )
    lines += ["", "ratios (time / time)"]
    for name, value in record["ratios"].items():
        how = record["ratio_bounds"].get(name, "")
        lines.append(f"  {name:<16} {how}{fmt(value, '.1f')}")
    if record["scaling"]:
        lines += ["", "scaling: ms per file (peak MB)"]
        header = f"  {'files':>6} " + " ".join(f"{s:>16}" for s in SCALING_STAGES)
        lines.append(header)
        for row in record["scaling"]:
            cells = []
            for s in SCALING_STAGES:
                st = row.get(s, {})
                per = st.get("per_file")
                over = ">" if st.get("lower_bound") else ""
                cell = (
                    "-"
                    if per is None
                    else f"{over}{per * 1000:.1f} ({fmt(st.get('peak_mb'), '.0f')})"
                )
                cells.append(f"{cell:>16}")
            lines.append(f"  {row['files']:>6} " + " ".join(cells))
    lines += ["", "targets"]
    for t in record["targets"]:
        mark = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
        lines.append(f"  [{mark:>6}] {t['target']}: {t['bound']}{fmt(t['value'], '.2f')}")
    return "\n".join(lines)


# ------------------------------------------------------------------------- main


def run_stages(
    names: tuple[str, ...],
    files_dir: Path,
    work: Path,
    n: int,
    peer_timeout: float,
    timeout: float,
    repeat: int = 1,
) -> dict[str, Stage]:
    """Run each stage; the file stages but the peer ``repeat`` times, keeping the fastest."""
    work.mkdir(parents=True, exist_ok=True)
    runners: dict[str, Callable[[], Stage]] = {
        "floor": lambda: in_process_stage("floor", files_dir, 0, n),
        "baseline": lambda: in_process_stage("baseline", files_dir, 0, n),
        "validate": lambda: validate_stage(files_dir, work, n, timeout),
        "merge": lambda: merge_stage(files_dir, work, n, timeout),
        "peer": lambda: peer_stage(files_dir, work, n, peer_timeout),
        "help": lambda: help_stage(work),
        "template": lambda: template_stage(work),
        "template_write": lambda: template_write_stage(work),
    }
    stages = {}
    for name in names:
        print(f"  {name} ...", file=sys.stderr, flush=True)
        times = repeat if name in REPEATED else 1
        runs = [runners[name]() for _ in range(times)]
        done = [r for r in runs if r.ok]
        best = min(done, key=lambda r: r.seconds or 0.0) if done else runs[0]
        if times > 1 and best.ok:
            best.note = f"{best.note}; fastest of {times}".lstrip("; ")
        stages[name] = best
    return stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=200, help="workbooks to measure (200)")
    parser.add_argument(
        "--scaling", action="store_true", help=f"also run {SCALING_STAGES} at {SCALING_SIZES} files"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the record")
    parser.add_argument("--no-peer", action="store_true", help="skip the datamaps peer")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help=f"run {', '.join(REPEATED)} this many times and keep the fastest (1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="seconds before `rmp validate` or `rmp merge` is stopped (1800)",
    )
    parser.add_argument(
        "--peer-timeout", type=float, default=1800, help="seconds before the peer is stopped (1800)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep files and outputs here (reused when they match)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also profile `rmp validate` and `rmp merge` (cProfile): DIR/NAME.prof and .txt",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        run_child(args.child[0], Path(args.child[1]), int(args.child[2]))
        return 0

    temp = None
    if args.workdir is None:
        temp = tempfile.TemporaryDirectory(prefix="rmp-bench-")
        workdir = Path(temp.name)
    else:
        workdir = args.workdir.resolve()
    try:
        record = benchmark(args, workdir)
    finally:
        if temp is not None:
            temp.cleanup()
    print(table(record))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2) + "\n")
    print(f"\nrecord written to {args.json}")
    return 0


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    n = args.files
    print(f"preparing {n} workbooks in {workdir} ...", file=sys.stderr, flush=True)
    files_dir = workdir / f"files-{n}"
    files = make_files(files_dir, n)
    generator = json.loads(files_dir.with_name(f"{files_dir.name}.generated.json").read_text())[
        "generator"
    ]
    names = tuple(s for s in STAGES if not (s == "peer" and args.no_peer))
    stages = run_stages(
        names, files_dir, workdir / f"run-{n}", n, args.peer_timeout, args.timeout, args.repeat
    )
    if args.no_peer:
        stages["peer"] = Stage("peer", files=n, note="skipped (--no-peer)")

    scaling: list[dict[str, Any]] = []
    if args.scaling:
        for size in SCALING_SIZES:
            if size == n:
                measured = {s: stages[s] for s in SCALING_STAGES}
            else:
                print(f"scaling: {size} workbooks ...", file=sys.stderr, flush=True)
                size_dir = workdir / f"files-{size}"
                make_files(size_dir, size)
                measured = run_stages(
                    SCALING_STAGES,
                    size_dir,
                    workdir / f"run-{size}",
                    size,
                    args.peer_timeout,
                    args.timeout,
                    args.repeat,
                )
            scaling.append({"files": size, **{k: v.record() for k, v in measured.items()}})

    profile = None
    if args.profile:
        ran = {name for name in ("validate", "merge") if stages[name].ok}
        profile = profile_commands(files_dir, workdir, args.profile, ran)

    ratios = {name: ratio(stages.get(a), stages.get(b)) for name, a, b in RATIOS}
    ratios["ingest/floor"] = ingest_ratio(stages)
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:]),
        "commit": git_commit(),
        "machine": machine(),
        "versions": versions(),
        "peer_versions": {} if args.no_peer else peer_versions(),
        "files": n,
        "repeat": args.repeat,
        "files_mb": sum(f.stat().st_size for f in files) / 1e6,
        "generator": generator,
        "stages": {name: stages[name].record() for name in STAGES},
        "ratios": ratios,
        "ratio_bounds": ratio_bounds(stages),
        "scaling": scaling,
        "targets": targets(stages, ratios, scaling),
        "profile": profile,
    }


def profile_commands(
    files_dir: Path, workdir: Path, out_dir: Path, names: set[str]
) -> dict[str, Any]:
    """Profile ``rmp validate`` and ``rmp merge`` (those in ``names``) once each with cProfile."""
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    work = workdir / "profile"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    commands = {
        "validate": ["validate", str(files_dir), "--json"],
        "merge": [
            "merge",
            str(files_dir),
            "--ledger",
            str(work / "fresh.sqlite"),
            "-o",
            str(work / "out.xlsx"),
        ],
    }
    found: dict[str, Any] = {}
    for name, args in commands.items():
        if name not in names:
            found[name] = {"note": f"not profiled: `rmp {name}` did not run"}
            continue
        prof = out_dir / f"{name}.prof"
        prof.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "rmp_workbook", *args]
        with (work / f"{name}.out").open("wb") as fh:
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, env=child_env())
        if proc.returncode not in (0, 1) or not prof.exists():
            found[name] = {"note": f"exit {proc.returncode}: {last_line(proc.stderr.decode())}"}
            continue
        found[name] = summarise_profile(prof, out_dir / f"{name}.txt")
        print(f"profile: {prof} ({found[name]['total_s']:.2f} s)", file=sys.stderr)
    return found


def _owner(path: str) -> str:
    """Where a profiled function lives: an rmp_workbook module, a package, or the runtime."""
    parts = Path(path).parts
    if "rmp_workbook" in parts:
        return "rmp_workbook/" + "/".join(parts[parts.index("rmp_workbook") + 1 :])
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if path.startswith("<frozen"):
        return "import machinery"
    if path.startswith("~") or path.startswith("<"):
        return "built-in"
    return "stdlib/" + Path(path).stem


def summarise_profile(prof: Path, text_path: Path) -> dict[str, Any]:
    """The top functions by own and by cumulative time, and own time per module or package."""
    import pstats

    stats = pstats.Stats(str(prof))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = []
    by_owner: dict[str, float] = {}
    for (file, line, func), (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        where = _owner(file)
        by_owner[where] = by_owner.get(where, 0.0) + tottime
        rows.append(
            {
                "function": f"{where}:{line}({func})",
                "calls": ncalls,
                "own_s": round(tottime, 4),
                "cumulative_s": round(cumtime, 4),
            }
        )
    with text_path.open("w") as fh:
        pstats.Stats(str(prof), stream=fh).sort_stats("cumulative").print_stats(80)
        pstats.Stats(str(prof), stream=fh).sort_stats("tottime").print_stats(50)
    owners = sorted(by_owner.items(), key=lambda kv: kv[1], reverse=True)[:20]
    return {
        "total_s": stats.total_tt,  # type: ignore[attr-defined]
        "own_by_module": {k: round(v, 3) for k, v in owners},
        "top_own": sorted(rows, key=lambda r: r["own_s"], reverse=True)[:25],
        "top_cumulative": sorted(rows, key=lambda r: r["cumulative_s"], reverse=True)[:40],
    }


if __name__ == "__main__":
    sys.exit(main())
