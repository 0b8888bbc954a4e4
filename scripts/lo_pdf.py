"""Print a workbook's visible sheets to PDF through LibreOffice (UNO), rows at their optimal height.

Run with a Python that has LibreOffice's ``uno`` module (``/usr/bin/python3`` on Debian)::

    /usr/bin/python3 scripts/lo_pdf.py book.xlsx book.pdf [--fit-width]

``soffice --convert-to pdf`` keeps the row heights stored in the file, and rows
written without one (openpyxl, xlsxwriter) print one line high, their wrapped
text overprinting the rows below; Excel sizes such rows to their text when it
opens the file. This script does what Excel does before printing. With
``--fit-width`` each sheet prints one page wide at full size, on a page as wide
as its columns.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def _prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _connect(pipe: str) -> object:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    for _ in range(200):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # soffice still starting
            time.sleep(0.2)
    raise SystemExit("LibreOffice did not start")


def print_pdf(src: Path, pdf: Path, *, fit_width: bool = False) -> None:
    pipe = f"rmp-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--invisible",
                "--norestore",
                "--nologo",
                f"--accept=pipe,name={pipe};urp;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            ctx = _connect(pipe)
            desktop = ctx.ServiceManager.createInstanceWithContext(  # type: ignore[attr-defined]
                "com.sun.star.frame.Desktop", ctx
            )
            url = uno.systemPathToFileUrl(str(src.resolve()))
            doc = desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
            styles = doc.StyleFamilies.getByName("PageStyles")
            for sheet in doc.Sheets:
                if not sheet.IsVisible:
                    continue
                cursor = sheet.createCursor()
                cursor.gotoEndOfUsedArea(False)
                rows = sheet.Rows
                for r in range(cursor.RangeAddress.EndRow + 1):
                    row = rows.getByIndex(r)
                    if row.OptimalHeight:  # no height stored: size it to its text
                        row.OptimalHeight = True
                if fit_width:
                    # A page as wide as the sheet's columns: one page wide at full size.
                    style = styles.getByName(sheet.PageStyle)
                    columns = sheet.Columns
                    used = sum(
                        columns.getByIndex(c).Width
                        for c in range(cursor.RangeAddress.EndColumn + 1)
                    )
                    margins = style.LeftMargin + style.RightMargin + 500
                    style.Width = max(style.Width, used + margins)
                    style.ScaleToPagesX, style.ScaleToPagesY = 1, 0
            out = uno.systemPathToFileUrl(str(pdf.resolve()))
            doc.storeToURL(out, (_prop("FilterName", "calc_pdf_Export"),))
            doc.close(True)
            with contextlib.suppress(Exception):  # the bridge closes as soffice exits
                desktop.terminate()
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print_pdf(Path(args[0]), Path(args[1]), fit_width="--fit-width" in argv)
    return 0 if os.path.exists(args[1]) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
