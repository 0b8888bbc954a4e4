"""Hostile files crafted at test time: nothing binary is committed.

Each builder writes one file into a folder and returns its path. :func:`build_corpus` maps
a case name to (builder, the finding code the container check must report).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from rmp_workbook.template import write_template

MB = 1024 * 1024


def valid_xlsx(path: Path) -> Path:
    """A blank template, as ``rmp template`` writes it."""
    return write_template(
        path,
        relationship_id="ACME-2026",
        relationship_name="Acme and Northwind",
        partner="Northwind Ltd",
        period="2026-11",
    )


def replace_members(src: Path, dest: Path, changes: dict[str, bytes | None]) -> Path:
    """Copy a zip, replacing (or with None, dropping) members and adding new ones."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename in changes:
                continue
            zout.writestr(item, zin.read(item.filename))
        for name, data in changes.items():
            if data is not None:
                zout.writestr(name, data)
    return dest


# --------------------------------------------------------------------------- raw zips


def raw_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip written by hand: (name, deflated bytes, crc, declared uncompressed size)."""
    out = io.BytesIO()
    central = []
    for name, data, crc, size in members:
        offset = out.tell()
        encoded = name.encode()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0
            )
        )
        out.write(encoded)
        out.write(data)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0
        )
    )
    path.write_bytes(out.getvalue())
    return path


def deflated_zeros(megabytes: int) -> bytes:
    """Raw deflate data that inflates to ``megabytes`` MB of zeros, built in milliseconds.

    After a full flush the compressor forgets its history, so every further
    megabyte compresses to the same bytes: compress one, repeat it.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"\0" * MB
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    return first + again * (megabytes - 1) + comp.flush()


def _deflate(data: bytes) -> bytes:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush()


def _workbook_members(sheet_xml: bytes) -> list[tuple[str, bytes, int, int]]:
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    return [(n, _deflate(d), zlib.crc32(d), len(d)) for n, d in parts.items()]


def deflate_bomb(path: Path, declared_honestly: bool = True, gigabytes: int = 2) -> Path:
    """A workbook whose sheet inflates to gigabytes of zeros (the file stays ~1 MB per GB)."""
    bomb = deflated_zeros(gigabytes * 1024)
    members = _workbook_members(b"<worksheet/>")[:2]
    if declared_honestly:
        # The CRC is not computed (4 GB of zlib.crc32): the check must refuse before it matters.
        members.append(("xl/worksheets/sheet1.xml", bomb, 0, gigabytes * 1024 * MB))
    else:
        members.append(("xl/worksheets/sheet1.xml", bomb, 0, 10_000))
    return raw_zip(path, members)


def stored_lie(path: Path) -> Path:
    """A member whose declared size is smaller than what its deflate stream yields."""
    data = b"<worksheet>" + b"<row/>" * 50_000 + b"</worksheet>"
    members = _workbook_members(b"<worksheet/>")[:2]
    members.append(("xl/worksheets/sheet1.xml", _deflate(data), zlib.crc32(data[:100]), 100))
    return raw_zip(path, members)


# --------------------------------------------------------------------------- XML attacks

LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE sst [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>"""


def _first_sheet_part(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))[0]


def billion_laughs(path: Path, base: Path) -> Path:
    return replace_members(base, path, {"xl/sharedStrings.xml": LAUGHS})


def xxe(path: Path, base: Path, secret_file: Path) -> Path:
    """A sheet part whose inline string is an external entity reading ``secret_file``."""
    part = _first_sheet_part(base)
    with zipfile.ZipFile(base) as zf:
        xml = zf.read(part).decode()
    decl_end = xml.index("?>") + 2 if xml.startswith("<?xml") else 0
    doctype = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'
    xml = xml[:decl_end] + doctype + xml[decl_end:]
    cell = '<c r="A3" t="inlineStr"><is><t>&xxe;</t></is></c>'
    if "<sheetData/>" in xml:
        xml = xml.replace("<sheetData/>", f'<sheetData><row r="3">{cell}</row></sheetData>')
    else:
        xml = xml.replace(
            "</sheetData>", f'<row r="999">{cell.replace("A3", "A999")}</row></sheetData>'
        )
    return replace_members(base, path, {part: xml.encode()})


def doctype_after_comment(path: Path, base: Path) -> Path:
    """A DOCTYPE hidden behind a 3 KB comment, past a naive first-KB scan."""
    xml = (
        b'<?xml version="1.0"?><!--' + b"x" * 3000 + b"-->"
        b'<!DOCTYPE sst [<!ENTITY a "aaaa">]><sst><si><t>&a;</t></si></sst>'
    )
    return replace_members(base, path, {"xl/sharedStrings.xml": xml})


def doctype_utf16(path: Path, base: Path) -> Path:
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE sst [<!ENTITY a "b">]><sst/>'
    return replace_members(base, path, {"xl/sharedStrings.xml": xml.encode("utf-16")})


def far_cell(path: Path, base: Path) -> Path:
    """Two cells far apart: a dense reader would allocate 16,384 x 1,048,576 cells."""
    part = _first_sheet_part(base)
    with zipfile.ZipFile(base) as zf:
        xml = zf.read(part).decode()
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    xml = xml.replace("<sheetData/>", "<sheetData></sheetData>")
    xml = xml.replace("</sheetData>", far + "</sheetData>")
    return replace_members(base, path, {part: xml.encode()})


def with_macros(path: Path, base: Path) -> Path:
    """An .xlsm: the workbook plus a vbaProject.bin part and the macro content type."""
    with zipfile.ZipFile(base) as zf:
        types = zf.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ).replace(
        "</Types>",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b'Attribute VB_Name = "Module1"\x00' * 20
    return replace_members(
        base, path, {"[Content_Types].xml": types.encode(), "xl/vbaProject.bin": vba}
    )


# --------------------------------------------------------------------------- OpenDocument

_ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Risks">{rows}</table:table>
</office:spreadsheet></office:body></office:document-content>"""

_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">
 <manifest:file-entry manifest:full-path="/"
  manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml"
  manifest:media-type="text/xml">{enc}</manifest:file-entry>
</manifest:manifest>"""


def ods(path: Path, rows: str, encrypted: bool = False) -> Path:
    enc = '<manifest:encryption-data manifest:checksum-type="SHA1"/>' if encrypted else ""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", _ODS_CONTENT.format(rows=rows), zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", _ODS_MANIFEST.format(enc=enc), zipfile.ZIP_DEFLATED)
    return path


ODS_CELL = '<table:table-cell office:value-type="float" office:value="1"/>'
ODS_REPEAT_BOMB = (
    '<table:table-row table:number-rows-repeated="1000000">'
    '<table:table-cell table:number-columns-repeated="1000" office:value-type="float" '
    'office:value="1"/></table:table-row>'
)


# --------------------------------------------------------------------------- compound files


def cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal Compound File Binary (OLE2) file, written by hand.

    Version 3, 512-byte sectors; every stream padded to 4,096 bytes so it lives in
    regular sectors (no mini stream). Sector 0 holds the FAT, sector 1 the
    directory, then the streams.
    """
    sector = 512
    names = list(streams)
    if len(names) > 3:
        raise ValueError("one directory sector holds the root and three streams")
    data_sectors: list[bytes] = []
    starts = []
    fat = [0xFFFFFFFD, 0xFFFFFFFE]  # FAT sector, directory sector (one-sector chain)
    for name in names:
        body = streams[name].ljust(max(4096, len(streams[name])), b"\0")
        body += b"\0" * (-len(body) % sector)
        n = len(body) // sector
        first = 2 + len(data_sectors)
        starts.append(first)
        fat += [first + i + 1 for i in range(n - 1)] + [0xFFFFFFFE]
        data_sectors += [body[i * sector : (i + 1) * sector] for i in range(n)]
    if len(fat) > sector // 4:
        raise ValueError("streams too long for one FAT sector")
    fat += [0xFFFFFFFF] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0"
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", 0xFFFFFFFF, right, child)
            + b"\0" * 16
            + b"\0" * 4
            + b"\0" * 16
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 1 if names else 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFE, 0)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else 0xFFFFFFFF
        size = max(4096, len(streams[name]))  # at the cutoff: a regular-sector stream
        directory += entry(name, 2, 0xFFFFFFFF, right, starts[i], size)
    directory = directory.ljust(sector, b"\0")

    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHH", 0x3E, 3, 0xFFFE, 9)
        + struct.pack("<H", 6)
        + b"\0" * 6
        + struct.pack("<IIIII", 0, 1, 1, 0, 4096)
        + struct.pack("<IIII", 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
        + struct.pack("<109I", 0, *([0xFFFFFFFF] * 108))
    )
    assert len(header) == 512
    path.write_bytes(
        header + struct.pack(f"<{sector // 4}I", *fat) + directory + b"".join(data_sectors)
    )
    return path


def xls_biff(filepass: bool = False) -> bytes:
    """The start of a BIFF8 globals substream: BOF, optionally FILEPASS, then EOF."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 5, 0, 0, 0, 0)
    fp = struct.pack("<HH", 0x002F, 6) + b"\x01\x00\x01\x00\x01\x00" if filepass else b""
    return bof + fp + struct.pack("<HH", 0x000A, 0)


def xls_far_cell() -> bytes:
    """A BIFF8 workbook stream: one sheet 'Risks' with a cell at A1 and one at IV65536."""

    def record(rtype: int, body: bytes) -> bytes:
        return struct.pack("<HH", rtype, len(body)) + body

    def bof(kind: int) -> bytes:
        return record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0, 0, 0, 0))

    name = "Risks".encode("latin-1")
    sheet = bytes([len(name), 0]) + name
    number = struct.pack("<HHHd", 65535, 255, 0, 1.0)
    first = struct.pack("<HHHd", 0, 0, 0, 1.0)
    return (
        bof(0x0005)
        + record(0x0085, struct.pack("<IBB", 0, 0, 0) + sheet)
        + record(0x000A, b"")
        + bof(0x0010)
        + record(0x0203, first)
        + record(0x0203, number)
        + record(0x000A, b"")
    )


# --------------------------------------------------------------------------- the corpus


def build_corpus(folder: Path, secret_file: Path) -> dict[str, tuple[Path, str]]:
    """Every hostile case: name -> (file, the finding code the container check reports)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = valid_xlsx(folder / "_valid.xlsx")
    raw = base.read_bytes()
    cases: dict[str, tuple[Callable[[Path], Path], str, str]] = {
        "empty": (lambda p: _write(p, b""), "empty-file", "xlsx"),
        "text": (
            lambda p: _write(p, b"Meeting notes\nCall Bob on Monday\n"),
            "not-a-workbook",
            "xlsx",
        ),
        "pdf": (
            lambda p: _write(p, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
            "not-a-workbook",
            "xlsx",
        ),
        "csv": (
            lambda p: _write(p, b"Risk ID,Risk,Likelihood\nR01,Supplier fails,3\n"),
            "not-a-workbook",
            "xlsx",
        ),
        "html": (
            lambda p: _write(
                p, b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>"
            ),
            "not-a-workbook",
            "xlsx",
        ),
        "truncated": (lambda p: _write(p, raw[: len(raw) // 2]), "corrupt-file", "xlsx"),
        "zip-no-workbook": (lambda p: _zip(p, {"notes.txt": b"hello"}), "not-a-workbook", "xlsx"),
        "folder": (lambda p: _folder(p), "not-a-workbook", "xlsx"),
        "encrypted-ole": (
            lambda p: cfb(
                p,
                {
                    "EncryptionInfo": b"\x04\x00\x04\x00" + b"\0" * 100,
                    "EncryptedPackage": b"\x10\0\0\0\0\0\0\0" + b"\x9c" * 2000,
                },
            ),
            "password-protected",
            "xlsx",
        ),
        "encrypted-xls": (
            lambda p: cfb(p, {"Workbook": xls_biff(filepass=True)}),
            "password-protected",
            "xls",
        ),
        "xls-far-cell": (
            lambda p: cfb(p, {"Workbook": xls_far_cell()}),
            "too-large",
            "xls",
        ),
        "deflate-bomb": (lambda p: deflate_bomb(p, True), "zip-bomb", "xlsx"),
        "deflate-bomb-lying": (lambda p: deflate_bomb(p, False), "zip-bomb", "xlsx"),
        "size-lie": (stored_lie, "zip-bomb", "xlsx"),
        "billion-laughs": (lambda p: billion_laughs(p, base), "xml-entities", "xlsx"),
        "xxe": (lambda p: xxe(p, base, secret_file), "xml-entities", "xlsx"),
        "doctype-after-comment": (lambda p: doctype_after_comment(p, base), "xml-entities", "xlsx"),
        "doctype-utf16": (lambda p: doctype_utf16(p, base), "xml-entities", "xlsx"),
        "far-cell": (lambda p: far_cell(p, base), "too-large", "xlsx"),
        "ods-repeat-bomb": (lambda p: ods(p, ODS_REPEAT_BOMB), "too-large", "ods"),
        "ods-encrypted": (lambda p: ods(p, ODS_CELL, encrypted=True), "password-protected", "ods"),
    }
    out = {}
    for name, (build, code, ext) in cases.items():
        out[name] = (build(folder / f"{name}.{ext}"), code)
    return out


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    (path / "inside.txt").write_text("a folder, not a workbook")
    return path
