"""The docs' pictures: run the demo, render chosen sheets through LibreOffice, write PNGs.

    PYTHONPATH=src python scripts/docs_images.py            # writes docs/images/*.png

Runs ``rmp demo`` into a temporary folder, then renders (LibreOffice headless, see
``scripts/screenshots.py``): a partner's filled workbook (Guide, KPIs, Risks) and next
month's pre-filled one (Exit and continuity plan), the consolidated workbook (Dashboard,
Charts, Gaps, Discrepancies), the feedback copy (Problems and an annotated sheet), the
report's KPI trends and PDF summary, and the first page of the audit pack's PDF
(``rmp audit`` over the demo's six months).
Only each sheet's first page is kept, trimmed to its content. Needs LibreOffice,
pdftoppm and Pillow (a matplotlib dependency).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import only_sheet, pdf_to_png, slug, to_pdf

DPI = 100
MARGIN = 16  # pixels of white kept around the trimmed content


def _content_rows(img: Image.Image) -> list[int]:
    """Indices of the pixel rows that hold anything but white."""
    grey = ImageChops.invert(img.convert("L")).point(lambda v: 255 if v > 24 else 0)
    width = img.width
    return [y for y in range(img.height) if grey.crop((0, y, width, y + 1)).getbbox()]


def trim(png: Path, max_width: int = 2200, max_height: int = 1500) -> Path:
    """Cut the page's white margins and its footer (keeping a little white); save optimised."""
    with Image.open(png) as raw:
        img = raw.convert("RGB")
    rows = _content_rows(img)
    if rows:
        # The page footer: the last block of content, alone in the page's bottom tenth.
        blocks: list[list[int]] = [[rows[0]]]
        for y in rows[1:]:
            if y - blocks[-1][-1] > 40:
                blocks.append([])
            blocks[-1].append(y)
        if len(blocks) > 1 and blocks[-1][0] > img.height * 0.9:
            blocks.pop()
        top, bottom = blocks[0][0], blocks[-1][-1]
        band = img.crop((0, top, img.width, bottom + 1))
        box = ImageChops.difference(band, Image.new("RGB", band.size, "white")).getbbox()
        left, right = (box[0], box[2]) if box else (0, img.width)
        img = img.crop(
            (
                max(0, left - MARGIN),
                max(0, top - MARGIN),
                min(img.width, right + MARGIN),
                min(img.height, bottom + 1 + MARGIN),
            )
        )
    img = img.crop((0, 0, min(img.width, max_width), min(img.height, max_height)))
    img = img.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    img.save(png, optimize=True)
    return png


def sheet_png(
    workbook: Path, sheet: str, out: Path, name: str, tmp: Path, *, wide: bool = False
) -> Path:
    """The first printed page of one sheet as ``out/name.png``, rows sized to their text.

    ``wide`` prints the sheet on a page as wide as its columns (for sheets without a
    print setup of their own); otherwise the workbook's own print setup is used.
    """
    work = tmp / slug(name)
    work.mkdir(parents=True, exist_ok=True)
    copy = only_sheet(workbook, sheet, work / f"{slug(name)}.xlsx")
    pages = pdf_to_png(to_pdf(copy, work, fit_rows=True, fit_width=wide), work / "page", DPI)
    target = out / f"{name}.png"
    shutil.move(pages[0], target)
    return trim(target)


def pdf_png(pdf: Path, out: Path, name: str, tmp: Path) -> Path:
    work = tmp / slug(name)
    work.mkdir(parents=True, exist_ok=True)
    pages = pdf_to_png(pdf, work / "page", DPI)
    target = out / f"{name}.png"
    shutil.move(pages[0], target)
    return trim(target)


def copy_png(src: Path, out: Path, name: str, width: int = 1000) -> Path:
    target = out / f"{name}.png"
    with Image.open(src) as raw:
        img = raw.convert("RGB")
    if img.width > width:
        img = img.resize((width, round(img.height * width / img.width)), Image.Resampling.LANCZOS)
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    return target


def build(out: Path) -> list[Path]:
    """Run the demo and write every docs image into ``out``; return the paths."""
    from rmp_workbook.demo import run_demo

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        demo = run_demo(tmp / "demo")
        partner = max(
            (p for p in demo.returned if p.name.startswith("northwind-")), key=lambda p: p.name
        )
        for sheet in ("Guide", "KPIs", "Risks"):
            written.append(sheet_png(partner, sheet, out, f"partner-{slug(sheet)}", tmp))
        # Next month's workbook as rmp writes it: last month's open scenarios carried forward.
        following = next(p for p in demo.next_month if p.name.startswith("northwind-"))
        sheet = "Exit and continuity plan"
        written.append(sheet_png(following, sheet, out, f"partner-{slug(sheet)}", tmp))
        assert demo.merged.output is not None, "the demo wrote no consolidated workbook"
        for sheet in ("Dashboard", "Charts", "Gaps", "Discrepancies"):
            written.append(
                sheet_png(demo.merged.output, sheet, out, f"consolidated-{slug(sheet)}", tmp)
            )
        feedback = demo.merged.feedback[0]
        written.append(sheet_png(feedback, "Problems", out, "feedback-problems", tmp, wide=True))
        written.append(sheet_png(feedback, "Risks", out, "feedback-risks", tmp))
        report = demo.charts[0].parent
        written.append(copy_png(report / "kpi-trends.png", out, "report-kpi-trends"))
        written.append(pdf_png(report / "summary.pdf", out, "report-summary", tmp))
        written.append(_audit_png(demo, out, tmp))
    return written


def _audit_png(demo: object, out: Path, tmp: Path) -> Path:
    """The audit pack's first PDF page: ``rmp audit`` over every month of the demo."""
    from rmp_workbook.audit import audit_from_ledger
    from rmp_workbook.config import load_config

    config = load_config(demo.config)  # type: ignore[attr-defined]
    ledger = demo.folder / "rmp-ledger.sqlite"  # type: ignore[attr-defined]
    pdf = tmp / "audit.pdf"
    audit_from_ledger(ledger, "2026-06", "2026-11", tmp / "audit.xlsx", config=config, pdf=pdf)
    return pdf_png(pdf, out, "audit-summary", tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args(argv)
    paths = build(args.out)
    total = sum(p.stat().st_size for p in paths)
    for p in paths:
        print(f"{p}  {p.stat().st_size / 1024:.0f} KB")
    print(f"{len(paths)} images, {total / 1024 / 1024:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
