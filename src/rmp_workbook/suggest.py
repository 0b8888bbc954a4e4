"""Did you mean …? The names a person most likely meant by what they typed.

One home for every "did you mean": renamed sheets ("Successes Dec", "KPI's"), renamed
headers ("Actual (Dec)") and drop-down typos ("Compelte", "Completed"). Matching ignores
case, spaces and punctuation; then a name typed with something added ("Successes Dec")
or cut short; then a close spelling.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable

CLOSE = 0.75
"""How alike (difflib's ratio, 0-1) a spelling must be to be suggested."""

_NOT_ALNUM = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=4096)
def squash(text: str) -> str:
    """Letters and digits only, case-folded: ``KPI's`` and ``kpis`` are the same name."""
    return _NOT_ALNUM.sub("", text.casefold())


def suggest(found: str, options: Iterable[str]) -> list[str]:
    """The options ``found`` most likely stands for, best first; [] when none is close.

    More than one option means the match is ambiguous: say so rather than pick one.
    """
    wanted = squash(found)
    choices = [o for o in dict.fromkeys(options) if squash(o)]
    if not wanted or not choices:
        return []
    same = [o for o in choices if squash(o) == wanted]
    if same:
        return same
    # Something added ("Successes Dec", "Actual (Dec)", "Completed") or cut ("In prog").
    affixed = [
        o
        for o in choices
        if min(len(squash(o)), len(wanted)) >= 3
        and (wanted.startswith(squash(o)) or squash(o).startswith(wanted))
    ]
    if affixed:
        return affixed
    scored = sorted(
        ((difflib.SequenceMatcher(None, wanted, squash(o)).ratio(), o) for o in choices),
        key=lambda pair: -pair[0],
    )
    return [o for ratio, o in scored if ratio >= CLOSE]


def did_you_mean(options: list[str]) -> str:
    """``Did you mean 'Complete'?`` (or 'A' or 'B'?), '' without options."""
    if not options:
        return ""
    quoted = [f"'{o}'" for o in options]
    if len(quoted) == 1:
        return f"Did you mean {quoted[0]}?"
    return f"Did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"
