"""Write an output file atomically, with the permissions any file the user creates gets.

Every file rmp writes (templates, feedback copies, sign-off workbooks, the consolidated
workbook, reports, audit packs, handbooks, mail drafts, configs, docs) goes through
:func:`atomic_output`: the file is written under a temporary name in the target's
folder and renamed over the target only when complete, so a reader never sees half
a workbook and an interrupted run leaves the old file in place. The temporary name
starts with ``.~rmp-``, which ``rmp validate`` and ``rmp merge`` skip and name.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX = ".~rmp-"
"""How every temporary output file's name starts (see ``validate._LOCK``)."""


def current_umask() -> int:
    """The process's file-mode creation mask (reading it means setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def user_file_mode() -> int:
    """The mode a new file gets from ``open()``: 0o666 less the umask (0o644 usually)."""
    return 0o666 & ~current_umask()


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target``.

    The temporary file is made by :func:`tempfile.mkstemp`, which creates it 0600; the
    finished file gets :func:`user_file_mode` instead, so a template or feedback copy
    is as readable to colleagues as any file the user saves. On failure the temporary
    file is removed and ``target`` is left as it was. The folder must exist.
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(
        dir=target.parent,
        prefix=TEMP_PREFIX,
        suffix=suffix if suffix is not None else target.suffix,
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, user_file_mode())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` through :func:`atomic_output`; return the path."""
    target = Path(target)
    with atomic_output(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` through :func:`atomic_output`; return the path."""
    target = Path(target)
    with atomic_output(target) as tmp:
        tmp.write_bytes(data)
    return target


# ------------------------------------------------------------------ safe file names

_INVALID = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
"""Characters Windows refuses in a file name (and ``/``, which no system allows)."""

_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in [*"0123456789", "\u00b9", "\u00b2", "\u00b3"]]
)
"""Windows device names: ``CON`` or ``con.xlsx`` (any case) opens the device, not a file."""


def safe_file_name(name: str, *, fallback: str = "file") -> str:
    """``name`` made safe as one file name on every system rmp's users share folders from.

    Every output name built from a partner, relationship or workbook name ends here.
    Characters Windows refuses (``<>:"/\\|?*`` and control characters) become ``_``;
    trailing dots and spaces (which Windows drops, so two names could collide) go; a
    name whose part before the first dot is a device name (``CON``, ``nul.xlsx``,
    ``Com1 .txt``) gets ``_`` after that part; ``.``, ``..`` and an empty name become
    ``fallback``.
    """
    text = _INVALID.sub("_", name).rstrip(" .")
    if not text.strip(" ."):
        return fallback
    base, dot, rest = text.partition(".")
    if base.rstrip(" ").upper() in _RESERVED:
        text = f"{base.rstrip(' ')}_{dot}{rest}"
    return text
