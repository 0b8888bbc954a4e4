"""Render a workbook's sheets to PNG through LibreOffice headless, for the docs.

Each chosen sheet is printed alone (the others are marked hidden in a temporary
copy, so formulas, charts and sparklines keep their references), converted to
PDF by LibreOffice with its own print setup, then to PNG by pdftoppm::

    python scripts/screenshots.py consolidated.xlsx --sheet Dashboard --sheet Charts
    python scripts/screenshots.py consolidated.xlsx --all -o docs/images --prefix demo

Writes ``<out>/<prefix>-<sheet>.png`` (``-2``, ``-3`` … for further pages).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

_SHEET = re.compile(rb"<sheet\b[^>]*/>")
_NAME = re.compile(rb'name="([^"]*)"')
_PRINT_AREA = re.compile(
    rb'<definedName name="_xlnm.Print_Area" localSheetId="(\d+)">[^<]*</definedName>'
)


def _xml_unescape(raw: bytes) -> str:
    text = raw.decode("utf-8")
    for ent, ch in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(ent, ch)
    return text


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names in tab order (hidden ones included)."""
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/workbook.xml")
    return [_xml_unescape(m.group(1)) for s in _SHEET.findall(xml) if (m := _NAME.search(s))]


def only_sheet(src: Path, sheet: str, dst: Path) -> Path:
    """Copy ``src`` to ``dst`` with every sheet but ``sheet`` hidden (so only it prints)."""
    names = sheet_names(src)
    if sheet not in names:
        raise SystemExit(f"{src}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
    index = names.index(sheet)

    def fix(m: re.Match[bytes]) -> bytes:
        tag = re.sub(rb'\sstate="[^"]*"', b"", m.group(0))
        name_match = _NAME.search(tag)
        name = _xml_unescape(name_match.group(1)) if name_match else ""
        return tag if name == sheet else tag[:-2].rstrip() + b' state="hidden"/>'

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                # The sheet selected when the file was saved would print even when hidden.
                data = data.replace(b' tabSelected="1"', b"")
            if item.filename == "xl/workbook.xml":
                data = _SHEET.sub(fix, data)
                # LibreOffice prints a hidden sheet that has a print area: drop the others'.
                data = _PRINT_AREA.sub(
                    lambda m: m.group(0) if int(m.group(1)) == index else b"", data
                )
                # The active tab must be the visible sheet, or the hidden one prints too.
                data = re.sub(rb'\s(activeTab|firstSheet)="\d+"', b"", data)
                view = f'<workbookView activeTab="{index}" firstSheet="{index}"'.encode()
                data = data.replace(b"<workbookView", view, 1)
            zout.writestr(item, data)
    return dst


def uno_python() -> str | None:
    """A Python that can import LibreOffice's ``uno`` module ($RMP_UNO_PYTHON, python3)."""
    for candidate in (os.environ.get("RMP_UNO_PYTHON"), "/usr/bin/python3", "python3"):
        exe = candidate and shutil.which(candidate)
        if exe and subprocess.run([exe, "-c", "import uno"], capture_output=True).returncode == 0:
            return exe
    return None


def to_pdf(
    src: Path,
    outdir: Path,
    soffice: str | None = None,
    *,
    fit_rows: bool = False,
    fit_width: bool = False,
) -> Path:
    """Convert with LibreOffice headless, in a profile folder of its own.

    ``fit_rows`` sizes rows stored without a height to their text, as Excel does on
    opening (``soffice --convert-to`` prints them one line high); ``fit_width`` prints
    each sheet one page wide at full size, on a page as wide as its columns. Both
    drive LibreOffice through ``scripts/lo_pdf.py`` and need a Python with ``uno``;
    without one the plain conversion is used.
    """
    python = uno_python() if (fit_rows or fit_width) else None
    if python:
        outdir.mkdir(parents=True, exist_ok=True)
        out = outdir / f"{src.stem}.pdf"
        cmd = [python, str(Path(__file__).with_name("lo_pdf.py")), str(src), str(out)]
        proc = subprocess.run(
            cmd + (["--fit-width"] if fit_width else []),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.exists():
            return out
        print(f"lo_pdf.py failed ({proc.stderr.strip()[-300:]}); plain conversion", file=sys.stderr)
    soffice = soffice or shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / f".lo-profile-{uuid.uuid4().hex}"
    cmd = [
        soffice,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        str(src),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    shutil.rmtree(profile, ignore_errors=True)
    out = outdir / f"{src.stem}.pdf"
    if not out.exists():
        raise SystemExit(f"LibreOffice did not convert {src}: {proc.stdout} {proc.stderr}")
    return out


def pdf_to_png(pdf: Path, stem: Path, dpi: int = 110) -> list[Path]:
    """Every page of ``pdf`` as ``<stem>.png``, ``<stem>-2.png`` …"""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), str(pdf), f"{tmp}/page"],
            check=True,
            capture_output=True,
        )
        pages = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        out = []
        for i, page in enumerate(pages, start=1):
            target = stem.with_name(f"{stem.name}{'' if i == 1 else f'-{i}'}.png")
            shutil.move(page, target)
            out.append(target)
    return out


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "sheet"


def render(
    workbook: Path,
    sheets: list[str],
    outdir: Path,
    prefix: str,
    dpi: int,
    *,
    fit_rows: bool = False,
    fit_width: bool = False,
) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        for sheet in sheets:
            copy = only_sheet(workbook, sheet, Path(tmp) / f"{slug(sheet)}.xlsx")
            pdf = to_pdf(copy, Path(tmp), fit_rows=fit_rows, fit_width=fit_width)
            stem = outdir / (f"{prefix}-{slug(sheet)}" if prefix else slug(sheet))
            written += pdf_to_png(pdf, stem, dpi)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--sheet", action="append", default=[], help="a sheet to render")
    parser.add_argument("--all", action="store_true", help="render every sheet")
    parser.add_argument("-o", "--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--prefix", default="", help="file name prefix, e.g. demo")
    parser.add_argument("--dpi", type=int, default=110)
    parser.add_argument(
        "--fit-rows", action="store_true", help="rows at their text's height, as Excel shows them"
    )
    parser.add_argument(
        "--fit-width", action="store_true", help="one page as wide as the sheet's columns"
    )
    args = parser.parse_args(argv)
    sheets = sheet_names(args.workbook) if args.all else (args.sheet or ["Dashboard"])
    written = render(
        args.workbook,
        sheets,
        args.out,
        args.prefix,
        args.dpi,
        fit_rows=args.fit_rows,
        fit_width=args.fit_width,
    )
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
