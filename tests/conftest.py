"""Shared fixtures: LibreOffice headless conversion and running the ``rmp`` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import rmp_workbook

SRC = Path(rmp_workbook.__file__).resolve().parent.parent


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice() -> str:
    """The LibreOffice binary; a missing one fails under CI and skips elsewhere."""
    path = soffice_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "LibreOffice (soffice) is required in CI: apt-get install libreoffice-calc-nogui"
            )
        pytest.skip("LibreOffice (soffice) is not installed")
    return path


def convert(soffice: str, src: Path, fmt: str, outdir: Path) -> Path:
    """Convert ``src`` with LibreOffice headless; each run gets its own profile folder."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / f".lo-profile-{uuid.uuid4().hex}"
    cmd = [
        soffice,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--norestore",
        "--convert-to",
        fmt,
        "--outdir",
        str(outdir),
        str(src),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    shutil.rmtree(profile, ignore_errors=True)
    out = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    if not out.exists():
        raise AssertionError(f"LibreOffice did not convert {src}: {proc.stdout}\n{proc.stderr}")
    return out


@pytest.fixture
def lo_convert(soffice: str):
    """``lo_convert(path, "ods", outdir)`` -> converted file path."""

    def run(src: Path, fmt: str, outdir: Path) -> Path:
        return convert(soffice, Path(src), fmt, Path(outdir))

    return run


def run_rmp(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``python -m rmp_workbook`` in a child process, as a user would run ``rmp``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "rmp_workbook", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
