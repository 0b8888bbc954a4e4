"""Cheap, safe checks of a file before any parser touches it.

A partner's workbook is untrusted input. Before python-calamine or openpyxl
parse it, :func:`check_container` looks at the bytes and the zip's central
directory only, and streams each member through a bounded inflater:

- the file exists, is a file, is not empty and not too large;
- it is a workbook at all (zip with ``xl/workbook.xml`` or an OpenDocument
  spreadsheet, or a legacy ``.xls`` compound file), else a guess of what it is
  ("this is a CSV file; save it as .xlsx");
- a compound file holding an ``EncryptedPackage`` stream is a password-protected
  workbook;
- no zip bomb: declared sizes, member count and compression ratios are checked
  before inflating, and the inflater stops as soon as a member yields more than
  it declared or more than the limits allow;
- no XML part declares a DOCTYPE (billion laughs, external entities);
- no worksheet spreads its cells over more rows or columns than the limits
  (a dense reader would allocate rows x columns);
- macros (``vbaProject.bin``, macro sheets, Basic scripts) are named in a
  warning: they are never run and never copied.

Every limit lives in :class:`Limits`; messages name the limit and how to raise it.
"""

from __future__ import annotations

import dataclasses
import html
import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from xml.parsers import expat

from rmp_workbook.findings import (
    CorruptFile,
    EmptyFile,
    Finding,
    Macros,
    NotAWorkbook,
    PasswordProtected,
    RmpError,
    Severity,
    TooLarge,
    XmlEntities,
    ZipBomb,
)

MB = 1024 * 1024

_ENV_PREFIX = "RMP_"


@dataclass(frozen=True)
class Limits:
    """Bounds on what rmp will read; every one can be raised.

    Set them with environment variables (``RMP_`` + the field name in capitals,
    e.g. ``RMP_MAX_FILE_MB=80``) or a ``[limits]`` table in the relationship
    config (``max_file_mb = 80``); see :meth:`resolve`.
    """

    max_file_mb: float = 50
    """Largest workbook file accepted."""
    max_member_mb: float = 200
    """Largest uncompressed part inside a workbook (one sheet's XML)."""
    max_total_mb: float = 500
    """Largest uncompressed size of all parts together."""
    max_ratio: float = 100
    """Largest compression ratio of a part larger than 1 MB uncompressed."""
    max_members: int = 10_000
    """Most parts in one workbook."""
    max_rows: int = 100_000
    """Most rows a sheet may span."""
    max_cols: int = 200
    """Most columns a sheet may span."""
    max_string: int = 32_767
    """Longest text in one cell (Excel's own cell limit)."""
    max_files: int = 5_000
    """Most workbooks in one validate or merge run."""

    RATIO_GRACE_BYTES: ClassVar[int] = 1 * MB
    """Parts smaller than this are never judged by their ratio (XML compresses well)."""

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    @property
    def max_member_bytes(self) -> int:
        return int(self.max_member_mb * MB)

    @property
    def max_total_bytes(self) -> int:
        return int(self.max_total_mb * MB)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], base: Limits | None = None) -> Limits:
        """Limits from ``{"max_file_mb": 80, ...}``; an unknown name or a bad value is an error."""
        base = base or cls()
        fields = {f.name: f for f in dataclasses.fields(cls)}
        changes: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in fields:
                known = ", ".join(fields)
                raise LimitsError(f"unknown limit {name!r}; the limits are: {known}")
            kind = int if fields[name].type in ("int", int) else float
            try:
                value = kind(raw)
            except (TypeError, ValueError):
                raise LimitsError(f"limit {name} must be a number, got {raw!r}") from None
            if value <= 0:
                raise LimitsError(f"limit {name} must be greater than 0, got {raw!r}")
            changes[name] = value
        return dataclasses.replace(base, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, base: Limits | None = None) -> Limits:
        """Limits from ``RMP_MAX_FILE_MB`` and friends, over ``base`` (default: the defaults)."""
        env = os.environ if env is None else env
        limits = base or cls()
        for name in cls.names():
            var = _ENV_PREFIX + name.upper()
            if var in env:
                try:
                    limits = cls.from_mapping({name: env[var]}, limits)
                except LimitsError as exc:
                    raise LimitsError(f"environment variable {var}: {exc}") from None
        return limits

    @classmethod
    def resolve(
        cls, config: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> Limits:
        """The limits in force: defaults, then the config's ``[limits]``, then the environment."""
        return cls.from_env(env, cls.from_mapping(config or {}))


class LimitsError(RmpError):
    """A limit was set to something that is not a positive number, or does not exist."""


class TooManyFiles(RmpError):
    """A run was given more workbooks than ``max_files`` allows."""


def check_file_count(count: int, limits: Limits | None = None) -> None:
    """Refuse a validate or merge run over more than ``max_files`` workbooks."""
    limits = limits or Limits()
    if count > limits.max_files:
        raise TooManyFiles(
            f"{count:,} workbooks were given, more than one run reads. "
            + how_to_raise("max_files", limits)
        )


def how_to_raise(name: str, limits: Limits | None = None) -> str:
    """The sentence every "too large" message ends with."""
    return (
        f"The limit is {name} = {_fmt(getattr(limits or Limits(), name))}; raise it with the "
        f"environment variable {_ENV_PREFIX}{name.upper()} or '{name}' under [limits] in the "
        "relationship config if the file is genuine."
    )


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else f"{value:,}"


@dataclass
class ContainerInfo:
    """What the container check learnt about a file."""

    path: Path
    kind: str = ""
    """``xlsx``, ``xlsm``, ``ods`` or ``xls``; '' when the file is not a workbook rmp reads."""
    size: int = 0
    has_macros: bool = False
    macro_parts: tuple[str, ...] = ()
    uncompressed: int = 0
    """Bytes all zip members inflate to (0 for compound files)."""
    extents: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Worksheet part -> (rows, columns) its cells span, as far as the scan could tell."""
    error_values: bool | None = None
    """For .xlsx/.xlsm: whether any worksheet holds an error value (``t="e"``), seen while
    the parts were checked, so the reader looks for them only then; None: not scanned."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        """True when a parser may open the file (warnings such as macros allowed)."""
        return not self.errors


class UnreadableWorkbook(RmpError):
    """Raised by :func:`require_readable`: the file must not be parsed."""

    def __init__(self, info: ContainerInfo) -> None:
        self.info = info
        first = info.errors[0]
        super().__init__(f"{info.path}: {first.message}")


def require_readable(path: str | Path, limits: Limits | None = None) -> ContainerInfo:
    """:func:`check_container`, raising :class:`UnreadableWorkbook` on the first error."""
    info = check_container(path, limits)
    if not info.ok:
        raise UnreadableWorkbook(info)
    return info


class _Stop(Exception):
    """Ends the check early with a finding."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding


def _too_large(note: str, limit: str, limits: Limits) -> _Stop:
    """Stop at a TooLarge finding whose hint says how to raise ``limit``."""
    return _Stop(TooLarge(note=note, hint=how_to_raise(limit, limits)))


def check_container(
    path: str | Path, limits: Limits | None = None, data: bytes | None = None
) -> ContainerInfo:
    """Check a file before parsing it; never raises for what the file contains.

    Returns the kind of workbook and findings: errors mean no parser may open the
    file; a ``macros`` warning names the macro parts. ``data``: the file's bytes when
    the caller has read them already (the check then reads nothing more from disk).
    """
    limits = limits or Limits()
    path = Path(path)
    info = ContainerInfo(path=path)
    try:
        _check(path, limits, info, data)
    except _Stop as stop:
        info.findings.append(stop.finding)
    for f in info.findings:
        f.file = f.file or str(path)
    return info


def _check(path: Path, limits: Limits, info: ContainerInfo, data: bytes | None) -> None:
    if path.is_dir():
        raise _Stop(NotAWorkbook(note="this is a folder, not a file"))
    try:
        info.size = path.stat().st_size
    except FileNotFoundError:
        raise _Stop(NotAWorkbook(note="there is no such file")) from None
    except OSError as exc:
        raise _Stop(NotAWorkbook(note=f"it cannot be read ({exc.strerror})")) from None
    if not path.is_file():
        raise _Stop(NotAWorkbook(note="this is not a regular file"))
    if data is not None:
        # The bytes a parser will see are the ones checked, even if the file changed since.
        info.size = len(data)
    if info.size == 0:
        raise _Stop(EmptyFile())
    if info.size > limits.max_file_bytes:
        raise _too_large(f"the file is {info.size / MB:.1f} MB", "max_file_mb", limits)
    try:
        if data is not None:
            head = data[:8192]
        else:
            with path.open("rb") as fh:
                head = fh.read(8192)
    except OSError as exc:
        raise _Stop(NotAWorkbook(note=f"it cannot be read ({exc.strerror})")) from None
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        _check_zip(path, limits, info, data)
    elif head.startswith(_CFB_MAGIC):
        _check_cfb(path, limits, info, data)
    else:
        raise _Stop(NotAWorkbook(note=guess_format(head)))


# --------------------------------------------------------------------------- guessing


def guess_format(head: bytes) -> str:
    """What a file that is not a workbook probably is, and what to do about it."""
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    magic = {
        b"%pdf": "this is a PDF file; send the workbook itself (.xlsx), not a PDF of it",
        b"\x89png": "this is a PNG image; send the workbook itself (.xlsx), not a picture of it",
        b"\xff\xd8\xff": "this is a JPEG image; send the workbook itself (.xlsx)",
        b"gif8": "this is a GIF image; send the workbook itself (.xlsx)",
        b"{\\rtf": "this is an RTF document; send the workbook itself (.xlsx)",
        b"\x1f\x8b": "this is a gzip archive; send the workbook itself (.xlsx), not compressed",
        b"7z\xbc\xaf": "this is a 7-Zip archive; send the workbook itself (.xlsx)",
        b"rar!": "this is a RAR archive; send the workbook itself (.xlsx)",
    }
    for prefix, text in magic.items():
        if sniff.startswith(prefix):
            return text
    if b"\x00" in head[:1024] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "this is not a spreadsheet file; save the workbook from Excel as .xlsx"
    text = _decode_text(head)
    low = text.lstrip().lower()
    if low.startswith(("<!doctype html", "<html")) or "<html" in low[:512]:
        return (
            "this is a web page (HTML), not a spreadsheet; open it in Excel "
            "and save it as Excel Workbook (.xlsx)"
        )
    if low.startswith("<?xml") or low.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in low:
            return (
                "this is an Excel 2003 XML spreadsheet; open it in Excel and save it as "
                "Excel Workbook (.xlsx)"
            )
        return "this is an XML file; save the workbook as .xlsx"
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    for sep, name in ((",", "CSV"), (";", "CSV"), ("\t", "tab-separated text")):
        if len(lines) >= 1 and all(sep in ln for ln in lines[: max(1, len(lines) - 1)]):
            return (
                f"this is a {name} file, not a spreadsheet; open it in Excel and save it as "
                "Excel Workbook (.xlsx), or fill in the workbook you were sent"
            )
    return "this is a plain text file, not a spreadsheet; fill in the .xlsx workbook you were sent"


def _decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- zip


_OOXML_MACRO_TYPES = ("macroEnabled", "vbaProject")
# A cell's reference is the only ``r`` attribute whose value is letters then digits (a row's
# ``r`` is digits only): no need to parse the element around it, and a literal start makes the
# scan twice as fast. Anything else matching only makes the extent larger, never smaller.
_CELL_REF = re.compile(rb'r="([A-Z]{1,3})([0-9]{1,7})"')
_XML_SCAN_BYTES = 64 * 1024
"""The prolog of an XML part (declaration, comments) must end within this many bytes."""
_CHUNK = 1 * MB


def _check_zip(path: Path, limits: Limits, info: ContainerInfo, data: bytes | None) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except zipfile.BadZipFile:
        raise _Stop(
            CorruptFile(
                note="the zip container is damaged or incomplete (was the file cut short "
                "when it was sent?)"
            )
        ) from None
    except (OSError, ValueError, EOFError, NotImplementedError, struct.error) as exc:
        raise _Stop(CorruptFile(note=f"the zip container cannot be read ({exc})")) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise _too_large(f"it holds {len(infos):,} parts", "max_members", limits)
        names = {i.filename for i in infos}
        _check_declared_sizes(infos, limits, info)
        info.kind = _ooxml_or_ods_kind(zf, names)
        for zi in infos:
            if zi.flag_bits & 0x1:
                raise _Stop(
                    PasswordProtected(note=f"part {zi.filename} is encrypted inside the zip")
                )
        sheet_names = _ooxml_sheet_names(zf, names) if info.kind != "ods" else {}
        if info.kind in ("xlsx", "xlsm"):
            info.error_values = False
        _stream_members(data if data is not None else path, zf, infos, limits, info, sheet_names)
        if info.kind == "ods":
            _check_ods(zf, limits, info)
        macro_parts = tuple(
            sorted(
                n
                for n in names
                if re.search(r"(^|/)vbaProject[^/]*\.bin$", n, re.I)
                or (
                    re.match(r"(xl/macrosheets/|xl/activeX/|Basic/|Scripts/)", n, re.I)
                    and not n.endswith("/")
                )
            )
        )
        if macro_parts:
            info.has_macros = True
            info.macro_parts = macro_parts
            info.findings.append(
                Macros(note=", ".join(macro_parts), hint="rmp never runs or copies them.")
            )


def _check_declared_sizes(
    infos: list[zipfile.ZipInfo], limits: Limits, info: ContainerInfo
) -> None:
    """Refuse from the central directory alone, before inflating anything."""
    total = 0
    for zi in infos:
        total += zi.file_size
        if zi.file_size > limits.RATIO_GRACE_BYTES:
            ratio = zi.file_size / max(zi.compress_size, 1)
            if ratio > limits.max_ratio:
                raise _Stop(
                    ZipBomb(
                        note=f"part {zi.filename} declares {zi.file_size / MB:,.0f} MB packed "
                        f"into {zi.compress_size / MB:,.2f} MB (ratio {ratio:,.0f} to 1)",
                        hint=how_to_raise("max_ratio", limits),
                    )
                )
        if zi.file_size > limits.max_member_bytes:
            raise _too_large(
                f"part {zi.filename} unpacks to {zi.file_size / MB:,.0f} MB",
                "max_member_mb",
                limits,
            )
    if total > limits.max_total_bytes:
        raise _too_large(f"its parts unpack to {total / MB:,.0f} MB", "max_total_mb", limits)
    info.uncompressed = total


def _ooxml_or_ods_kind(zf: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names and "content.xml" in names:
        mime = _read_small(zf, "mimetype", 200).decode("ascii", errors="replace").strip()
        if mime == "application/vnd.oasis.opendocument.spreadsheet":
            return "ods"
        what = {
            "application/vnd.oasis.opendocument.text": "an OpenDocument text document",
            "application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation",
        }.get(mime, "an OpenDocument file that is not a spreadsheet")
        raise _Stop(NotAWorkbook(note=f"this is {what}; send the workbook (.xlsx)"))
    target = _office_document_target(zf, names)
    if target in names and target.endswith(".bin"):
        # Binary sheets cannot be measured before a reader allocates them: not accepted.
        raise _Stop(
            NotAWorkbook(
                note="this is an Excel binary workbook (.xlsb), which rmp does not read; "
                "open it in Excel and save it as Excel Workbook (.xlsx)"
            )
        )
    if target in names and target.endswith("workbook.xml"):
        types = ""
        if "[Content_Types].xml" in names:
            types = _read_small(zf, "[Content_Types].xml", 256 * 1024).decode(
                "utf-8", errors="replace"
            )
        return "xlsm" if any(t in types for t in _OOXML_MACRO_TYPES) else "xlsx"
    if "word/document.xml" in names:
        raise _Stop(NotAWorkbook(note="this is a Word document; send the workbook (.xlsx)"))
    if "ppt/presentation.xml" in names:
        raise _Stop(NotAWorkbook(note="this is a PowerPoint file; send the workbook (.xlsx)"))
    raise _Stop(
        NotAWorkbook(
            note="this is a zip archive with no workbook inside (no xl/workbook.xml or "
            "content.xml); send the .xlsx file itself"
        )
    )


def _office_document_target(zf: zipfile.ZipFile, names: set[str]) -> str:
    """The workbook part the package's relationships point at (``xl/workbook.xml``)."""
    if "_rels/.rels" in names:
        rels = _read_small(zf, "_rels/.rels", 64 * 1024).decode("utf-8", errors="replace")
        for m in re.finditer(r"<Relationship\b[^>]*>", rels):
            tag = m.group(0)
            kind = re.search(r'Type="([^"]*)"', tag)
            target = re.search(r'Target="([^"]*)"', tag)
            if kind and target and kind.group(1).endswith("/officeDocument"):
                return target.group(1).lstrip("/")
    for candidate in ("xl/workbook.xml", "xl/workbook.bin"):
        if candidate in names:
            return candidate
    return ""


def _read_small(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """At most ``limit`` bytes of a member (sizes were checked, this only bounds reading)."""
    try:
        with zf.open(name) as fh:
            return fh.read(limit)
    # ValueError: a bad offset in memory (a file on disk says OSError).
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        zlib.error,
        EOFError,
        NotImplementedError,
    ) as exc:
        raise _Stop(CorruptFile(note=f"part {name} cannot be read ({exc})")) from None


def _member_stream(source: Path | bytes, zi: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    """Inflate one member from its raw bytes, trusting none of its declared sizes.

    ``zipfile`` stops at the declared size; another reader might not. Reading the
    raw deflate stream shows what the member really holds; we stop past ``limit``.
    ``source``: the file, or its bytes already in memory.
    """
    if zi.header_offset < 0:
        raise _Stop(CorruptFile(note=f"part {zi.filename} is damaged (bad local header)"))
    with io.BytesIO(source) if isinstance(source, bytes) else source.open("rb") as fh:
        fh.seek(zi.header_offset)
        local = fh.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise _Stop(CorruptFile(note=f"part {zi.filename} is damaged (bad local header)"))
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        fh.seek(zi.header_offset + 30 + name_len + extra_len)
        remaining = zi.compress_size
        if zi.compress_type == zipfile.ZIP_STORED:
            while remaining > 0:
                chunk = fh.read(min(_CHUNK, remaining))
                if not chunk:
                    raise _Stop(CorruptFile(note=f"part {zi.filename} is cut short"))
                remaining -= len(chunk)
                yield chunk
            return
        if zi.compress_type != zipfile.ZIP_DEFLATED:
            raise _Stop(
                CorruptFile(
                    note=f"part {zi.filename} uses compression method {zi.compress_type}, "
                    "which workbooks do not use"
                )
            )
        inflater = zlib.decompressobj(-15)
        produced = 0
        while remaining > 0 or inflater.unconsumed_tail:
            if inflater.unconsumed_tail:
                data = inflater.unconsumed_tail
            else:
                data = fh.read(min(64 * 1024, remaining))
                if not data:
                    raise _Stop(CorruptFile(note=f"part {zi.filename} is cut short"))
                remaining -= len(data)
            try:
                out = inflater.decompress(data, _CHUNK)
            except zlib.error:
                raise _Stop(CorruptFile(note=f"part {zi.filename} is damaged")) from None
            produced += len(out)
            if out:
                yield out
            if produced > limit or inflater.eof:
                return
        if not inflater.eof:
            raise _Stop(CorruptFile(note=f"part {zi.filename} is cut short"))


def _stream_members(
    source: Path | bytes,
    zf: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    limits: Limits,
    info: ContainerInfo,
    sheet_names: dict[str, str],
) -> None:
    total = 0
    for zi in infos:
        if zi.is_dir():
            continue
        # One byte past what the member declares is enough to catch a lie.
        limit = min(zi.file_size, limits.max_member_bytes) + 1
        name = zi.filename
        is_xml = name.lower().endswith((".xml", ".rels")) or name == "[Content_Types].xml"
        is_sheet = bool(re.match(r"xl/worksheets/[^/]+\.xml$", name))
        prolog = b""
        prolog_done = not is_xml
        rows = cols = 0
        tail = b""
        produced = 0
        crc = 0
        for chunk in _member_stream(source, zi, limit):
            produced += len(chunk)
            crc = zlib.crc32(chunk, crc)
            if produced > zi.file_size or produced > limits.max_member_bytes:
                raise _Stop(
                    ZipBomb(
                        note=f"part {name} unpacks to more than the "
                        f"{zi.file_size:,} bytes it declares",
                        hint=how_to_raise("max_member_mb", limits),
                    )
                )
            if total + produced > limits.max_total_bytes:
                raise _too_large("its parts unpack to more than the limit", "max_total_mb", limits)
            if not prolog_done:
                prolog += chunk[: _XML_SCAN_BYTES - len(prolog)]
                verdict = _xml_prolog_verdict(prolog, final=len(prolog) >= _XML_SCAN_BYTES)
                if verdict is not None:
                    prolog_done = True
                    if verdict:
                        raise _Stop(XmlEntities(note=f"part {name} {verdict}"))
            if is_sheet:
                buf = tail + chunk
                refs = _CELL_REF.findall(buf)
                if refs:
                    # Per chunk, not per cell: few distinct column letters, one max of rows.
                    letters, digits = zip(*refs, strict=True)
                    cols = max(cols, *map(_col_number, set(letters)))
                    rows = max(rows, *map(int, digits))
                if info.error_values is False and b't="e"' in buf:
                    info.error_values = True
                tail = buf[-256:]
        if not prolog_done:
            verdict = _xml_prolog_verdict(prolog, final=True)
            if verdict:
                raise _Stop(XmlEntities(note=f"part {name} {verdict}"))
        total += produced
        if produced != zi.file_size or (crc & 0xFFFFFFFF) != zi.CRC:
            raise _Stop(
                CorruptFile(note=f"part {name} is damaged (its size or checksum does not match)")
            )
        if is_sheet:
            sheet = sheet_names.get(name, name)
            info.extents[sheet] = (rows, cols)
            _check_extent(f"sheet {sheet!r}", rows, cols, limits)
    info.uncompressed = total


def _ooxml_sheet_names(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part -> sheet name, so messages name the sheet a person sees."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    book = _read_small(zf, "xl/workbook.xml", 1 * MB).decode("utf-8", errors="replace")
    rels = _read_small(zf, "xl/_rels/workbook.xml.rels", 1 * MB).decode("utf-8", errors="replace")
    targets = {}
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        rid = re.search(r'\bId="([^"]*)"', tag)
        target = re.search(r'\bTarget="([^"]*)"', tag)
        if rid and target:
            t = target.group(1)
            targets[rid.group(1)] = t.lstrip("/") if t.startswith("/") else f"xl/{t}"
    out = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\br:id="([^"]*)"', tag) or re.search(r'\b\w+:id="([^"]*)"', tag)
        if name and rid and rid.group(1) in targets:
            out[targets[rid.group(1)]] = html.unescape(name.group(1))
    return out


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _check_extent(part: str, rows: int, cols: int, limits: Limits) -> None:
    if rows > limits.max_rows:
        raise _too_large(f"{part} has cells down to row {rows:,}", "max_rows", limits)
    if cols > limits.max_cols:
        raise _too_large(f"{part} has cells across {cols:,} columns", "max_cols", limits)


_PROLOG_TOKEN = re.compile(
    r"\s+|<\?.*?\?>|<!--.*?-->",
    re.S,
)


def _xml_prolog_verdict(data: bytes, final: bool) -> str | None:
    """Scan an XML part's prolog: '' when safe, a reason when not, None when undecided.

    Whatever comes before the root element (declaration, comments, processing
    instructions, white space) is skipped; a ``<!DOCTYPE`` or ``<!ENTITY`` there is
    refused, and so is a prolog that does not end within the scanned bytes.
    """
    text = _decode_xml_head(data)
    pos = 0
    while m := _PROLOG_TOKEN.match(text, pos):
        if m.end() == pos:
            break
        pos = m.end()
    rest = text[pos:]
    if rest[:9].upper().startswith(("<!DOCTYPE", "<!ENTITY")):
        return "declares a DOCTYPE (XML entities can expand without end or read local files)"
    if len(rest) >= 2 and rest[0] == "<" and (rest[1].isalpha() or rest[1] in "_:"):
        return ""
    if not final:
        return None
    if len(data) >= _XML_SCAN_BYTES:
        return f"does not reach its first element within {_XML_SCAN_BYTES // 1024} KB"
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.I):
        return "declares a DOCTYPE (XML entities can expand without end or read local files)"
    return ""


def _decode_xml_head(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data[:2] == b"<\x00":
        return data.decode("utf-16-le", errors="replace")
    if data[:2] == b"\x00<":
        return data.decode("utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


_ODS_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _check_ods(zf: zipfile.ZipFile, limits: Limits, info: ContainerInfo) -> None:
    """Password and extent checks of an OpenDocument spreadsheet (DOCTYPEs already refused)."""
    manifest = b""
    if "META-INF/manifest.xml" in zf.namelist():
        manifest = _read_small(zf, "META-INF/manifest.xml", 1 * MB)
    if b"encryption-data" in manifest:
        raise _Stop(PasswordProtected(note="the OpenDocument file is encrypted"))
    # Repeated rows and cells are how .ods says "the same 1,000,000 times": a dense
    # reader multiplies them out, so count the span of non-empty cells.
    parser = expat.ParserCreate(namespace_separator="}")
    state = {"row": 0, "rows": 0, "cols": 0, "col": 0, "row_repeat": 1}
    table = [""]

    def close_table() -> None:
        if table[0]:
            info.extents[table[0]] = (state["rows"], state["cols"])
            _check_extent(f"sheet {table[0]!r}", state["rows"], state["cols"], limits)

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == _ODS_NS + "}table":
            close_table()
            table[0] = attrs.get(_ODS_NS + "}name", "") or f"#{len(info.extents) + 1}"
            state.update(row=0, rows=0, cols=0, col=0, row_repeat=1)
        elif name == _ODS_NS + "}table-row":
            state["row_repeat"] = _int(attrs.get(_ODS_NS + "}number-rows-repeated"), 1)
            state["col"] = 0
        elif name in (_ODS_NS + "}table-cell", _ODS_NS + "}covered-table-cell"):
            repeat = _int(attrs.get(_ODS_NS + "}number-columns-repeated"), 1)
            if (_ODS_OFFICE + "}value-type") in attrs:
                state["cols"] = max(state["cols"], state["col"] + repeat)
                state["rows"] = max(state["rows"], state["row"] + state["row_repeat"])
            state["col"] += repeat

    def end(name: str) -> None:
        if name == _ODS_NS + "}table-row":
            state["row"] += state["row_repeat"]

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with zf.open("content.xml") as fh:
            while chunk := fh.read(_CHUNK):
                parser.Parse(chunk, False)
                _check_extent(f"sheet {table[0]!r}", state["rows"], state["cols"], limits)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _Stop(CorruptFile(note=f"content.xml is not well-formed XML ({exc})")) from None
    close_table()


def _int(text: str | None, default: int) -> int:
    try:
        return max(int(text), 1) if text is not None else default
    except ValueError:
        return default


# --------------------------------------------------------------------------- compound file


_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_DIRECTORY_SECTORS = 4096
"""A workbook's compound file has a few dozen directory entries; this allows 16,000+."""
_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF


class _Cfb:
    """The few parts of a Compound File Binary (OLE2) a check needs: names and stream heads."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            raise ValueError("shorter than its header")
        self.data = data
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            raise ValueError(f"bad sector size 2^{shift}")
        self.sector = 1 << shift
        self.mini_sector = 1 << struct.unpack_from("<H", data, 0x20)[0]
        n_fat, self.first_dir = struct.unpack_from("<II", data, 0x2C)
        self.cutoff, self.first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from(
            "<IIIII", data, 0x38
        )
        self.n_sectors = max((len(data) - self.sector) // self.sector, 0)
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < self.n_sectors]
        difat, seen = first_difat, set()
        while difat < self.n_sectors and difat not in seen and n_difat > 0:
            seen.add(difat)
            block = self._sector(difat)
            ids = struct.unpack(f"<{self.sector // 4}I", block)
            fat_sectors += [s for s in ids[:-1] if s < self.n_sectors]
            difat = ids[-1]
        # Enough FAT sectors to map every sector of the file; a file claiming more is lying.
        needed = self.n_sectors // (self.sector // 4) + 1
        fat: list[int] = []
        for s in (fat_sectors[:n_fat] if n_fat else fat_sectors)[:needed]:
            fat += struct.unpack(f"<{self.sector // 4}I", self._sector(s))
        self.fat = fat
        self.entries = self._directory()
        self.minifat: list[int] = []
        if n_minifat and self.first_minifat < self.n_sectors:
            raw = b"".join(self._sector(s) for s in self._chain(self.first_minifat))
            self.minifat = list(struct.unpack(f"<{len(raw) // 4}I", raw))

    def _sector(self, n: int) -> bytes:
        start = (n + 1) * self.sector
        block = self.data[start : start + self.sector]
        if len(block) < self.sector:
            raise ValueError(f"sector {n} lies beyond the end of the file")
        return block

    def _chain(self, start: int, table: list[int] | None = None) -> Iterator[int]:
        table = self.fat if table is None else table
        seen: set[int] = set()
        n = start
        while n not in (_ENDOFCHAIN, _FREESECT) and n < len(table):
            if n in seen:
                raise ValueError("a sector chain loops")
            seen.add(n)
            yield n
            n = table[n]

    def _directory(self) -> list[tuple[str, int, int, int]]:
        entries = []
        for n, s in enumerate(self._chain(self.first_dir)):
            if n >= _MAX_DIRECTORY_SECTORS:
                raise ValueError("the directory is implausibly long")
            block = self._sector(s)
            for off in range(0, self.sector, 128):
                raw = block[off : off + 128]
                name_len = struct.unpack_from("<H", raw, 64)[0]
                kind = raw[66]
                if kind == 0 or name_len < 2 or name_len > 64:
                    continue
                name = raw[: name_len - 2].decode("utf-16-le", errors="replace")
                start, size = struct.unpack_from("<IQ", raw, 116)
                entries.append((name, kind, start, size))
        if not entries:
            raise ValueError("no directory entries")
        return entries

    @property
    def names(self) -> set[str]:
        return {name for name, *_ in self.entries}

    def head(self, name: str, limit: int = 4096) -> bytes:
        """The first ``limit`` bytes of a stream."""
        found = [e for e in self.entries if e[0] == name and e[1] == 2]
        if not found:
            return b""
        _, _, start, size = found[0]
        out = b""
        if size < self.cutoff:
            root = self.entries[0]
            ministream = [self._sector(s) for s in self._chain(root[2])]
            mini = b"".join(ministream)
            for s in self._chain(start, self.minifat):
                out += mini[s * self.mini_sector : (s + 1) * self.mini_sector]
                if len(out) >= limit:
                    break
        else:
            for s in self._chain(start):
                out += self._sector(s)
                if len(out) >= limit:
                    break
        return out[: min(limit, size)]


def _check_cfb(path: Path, limits: Limits, info: ContainerInfo, data: bytes | None) -> None:
    if data is None:
        data = path.read_bytes()  # bounded by max_file_mb, checked above
    try:
        cfb = _Cfb(data)
        names = cfb.names
    except (ValueError, struct.error, IndexError) as exc:
        # A damaged directory still shows its stream names in the raw bytes.
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise _Stop(PasswordProtected()) from None
        raise _Stop(
            CorruptFile(note=f"the Office compound file is damaged or incomplete ({exc})")
        ) from None
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        raise _Stop(PasswordProtected())
    if "Workbook" in names or "Book" in names:
        info.kind = "xls"
        try:
            head = cfb.head("Workbook" if "Workbook" in names else "Book")
        except (ValueError, struct.error, IndexError):
            raise _Stop(CorruptFile(note="the .xls workbook stream is damaged")) from None
        if _xls_has_filepass(head):
            raise _Stop(PasswordProtected(note="the .xls file is encrypted"))
        try:
            stream = cfb.head("Workbook" if "Workbook" in names else "Book", limit=len(data))
        except (ValueError, struct.error, IndexError):
            raise _Stop(CorruptFile(note="the .xls workbook stream is damaged")) from None
        names_in_order = _xls_sheet_names(stream)
        for n, (rows, cols) in enumerate(_xls_extents(stream)):
            sheet = names_in_order[n] if n < len(names_in_order) else f"#{n + 1}"
            info.extents[sheet] = (rows, cols)
            _check_extent(f"sheet {sheet!r}", rows, cols, limits)
        macro = sorted(n for n in names if n in ("_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT"))
        if macro:
            info.has_macros = True
            info.macro_parts = tuple(macro)
            info.findings.append(
                Macros(note=", ".join(macro), hint="rmp never runs or copies them.")
            )
        return
    if "WordDocument" in names:
        raise _Stop(NotAWorkbook(note="this is a Word document (.doc); send the workbook"))
    if "PowerPoint Document" in names:
        raise _Stop(NotAWorkbook(note="this is a PowerPoint file (.ppt); send the workbook"))
    raise _Stop(NotAWorkbook(note="this is an Office compound file with no workbook inside"))


# BIFF8 records that place one cell: row and column are their first two 16-bit fields.
_XLS_CELL_RECORDS = frozenset(
    {0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x0406, 0x00D6}
)
_XLS_MULTI_RECORDS = frozenset({0x00BD, 0x00BE})
"""MULRK and MULBLANK: row, first column, ..., last column in the final 16 bits."""
_XLS_DIMENSIONS = 0x0200
_XLS_BOF = 0x0809


def _xls_extents(stream: bytes) -> list[tuple[int, int]]:
    """(rows, columns) each worksheet substream spans, from its cells and DIMENSIONS.

    A reader builds a dense grid from these: two cells at A1 and IV65536 in a 6 KB
    file cost more than a gigabyte, so they are measured before any reader runs.
    """
    extents: list[tuple[int, int]] = []
    rows = cols = 0
    pos, end = 0, len(stream)
    unpack = struct.unpack_from
    while pos + 4 <= end:
        rtype, length = unpack("<HH", stream, pos)
        body = pos + 4
        if rtype == _XLS_BOF:
            if pos:
                extents.append((rows, cols))
            rows = cols = 0
        elif rtype in _XLS_CELL_RECORDS and length >= 4 and body + 4 <= end:
            row, col = unpack("<HH", stream, body)
            rows, cols = max(rows, row + 1), max(cols, col + 1)
        elif rtype in _XLS_MULTI_RECORDS and length >= 6 and body + length <= end:
            row = unpack("<H", stream, body)[0]
            last = unpack("<H", stream, body + length - 2)[0]
            rows, cols = max(rows, row + 1), max(cols, last + 1)
        elif rtype == _XLS_DIMENSIONS and length >= 14 and body + 14 <= end:
            _, row_end, _, col_end = unpack("<IIHH", stream, body)
            rows, cols = max(rows, row_end), max(cols, col_end)
        pos = body + length
    if pos:
        extents.append((rows, cols))
    # The first substream is the workbook globals, not a sheet.
    return extents[1:] if len(extents) > 1 else []


def _xls_sheet_names(stream: bytes) -> list[str]:
    """Sheet names from the BOUNDSHEET records of the globals substream, in order."""
    names = []
    pos = 0
    while pos + 4 <= len(stream):
        rtype, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        if rtype == 0x000A:  # EOF of the globals
            break
        if rtype == 0x0085 and len(body) >= 8:
            count, flags = body[6], body[7]
            raw = body[8:]
            names.append(
                raw[: count * 2].decode("utf-16-le", "replace")
                if flags & 1
                else raw[:count].decode("latin-1")
            )
        pos += 4 + length
    return names


def _xls_has_filepass(head: bytes) -> bool:
    """True when a FILEPASS record sits among the first records of the globals substream."""
    pos = 0
    for _ in range(16):
        if pos + 4 > len(head):
            return False
        rtype, length = struct.unpack_from("<HH", head, pos)
        if rtype == 0x002F:
            return True
        if rtype == 0x0809 and pos != 0:
            return False
        pos += 4 + length
    return False
