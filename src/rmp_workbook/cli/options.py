"""Options shared by several commands, declared once, and the error wrapper."""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from rmp_workbook.findings import RmpError, UsageError

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_LEDGER = "rmp-ledger.sqlite"


LONG_RUN_GC_THRESHOLD = (100_000, 20, 20)
"""The cycle collector's thresholds during a long run (Python's default: 700, 10, 10)."""


def load_for_long_run(*modules: str) -> None:
    """Import what a long command will use, then keep the cycle collector off it.

    ``gc.freeze`` moves every object alive now (hundreds of thousands, from pandas,
    SQLAlchemy, pydantic…) out of the collector's generations: its full collections,
    which a merge triggers again and again while it builds rows, then walk only the
    run's own objects. A merge of 200 workbooks runs about 12 % faster.

    Then the collector looks for cycles every 100,000 new objects instead of every 700:
    the cells and rows a run makes by the million are freed by reference counting, so
    the frequent young collections found nothing (about 7 % of a merge's CPU time);
    the rare cycles are still collected, and peak memory grows by about 2 MB at 200
    workbooks. Reader processes forked later inherit both.
    """
    for name in modules:
        importlib.import_module(name)
    gc.freeze()
    gc.set_threshold(*LONG_RUN_GC_THRESHOLD)


def json_option(fn: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of text."
    )(fn)


def jobs_option(fn: F) -> F:
    """``--jobs N``: processes that read workbooks; default automatic (None)."""
    return click.option(
        "--jobs",
        type=click.IntRange(1, 64),
        default=None,
        help="Read this many workbooks at once (processes). Default: one per CPU (at most 8) "
        "from 20 workbooks, else 1.",
    )(fn)


def ledger_option(fn: F) -> F:
    return click.option(
        "--ledger",
        default=DEFAULT_LEDGER,
        show_default=True,
        metavar="PATH_OR_URL",
        help="The ledger: a SQLite file path, or a database URL such as postgresql://host/db.",
    )(fn)


def period_option(fn: F) -> F:
    return click.option(
        "--period", metavar="YYYY-MM", help="The reporting period (month), e.g. 2026-11."
    )(fn)


def config_option(fn: F) -> F:
    """``--config FILE``: the relationship config, for commands that read the ledger."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="The relationship config (rmp.toml, written by rmp init): partners with the "
        "dates they joined or left, agreed KPIs, thresholds, due day. Default: the ledger's "
        "record of the relationship, with the config versions rmp merge --config kept.",
    )(fn)


def relationship_option(fn: F) -> F:
    """``--relationship ID``: which of the ledger's relationships a command reads."""
    return click.option(
        "--relationship",
        "relationship_id",
        metavar="ID",
        help="The relationship's ID (its short code in the workbooks and the config), e.g. "
        "NW-CT-2026. Default: the config's ID when one is given, else the ledger's only "
        "relationship. With --config it must be the config's ID (exit 2 otherwise).",
    )(fn)


def as_of_option(fn: F) -> F:
    """``--as-of DATE``: the day gaps are aged against (default: the period's last day)."""
    return click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        metavar="YYYY-MM-DD",
        help="Age overdue actions, reviews and open bottlenecks against this day. Default: the "
        "period's last day, so a month rebuilt later shows what was issued.",
    )(fn)


def unpublished_option(fn: F) -> F:
    """``--unpublished``: closed months as the ledger holds them, not as published."""
    return click.option(
        "--unpublished",
        is_flag=True,
        help="Show closed months (rmp close) as the ledger holds them now, not their "
        "published figures: later restatements of them count in trends and changes.",
    )(fn)


def feedback_option(fn: F) -> F:
    """``--feedback DIR``: annotated copies of the workbooks that have problems."""
    return click.option(
        "--feedback",
        "feedback_dir",
        type=click.Path(file_okay=False),
        metavar="DIR",
        help="Write an annotated copy of each workbook with problems into DIR "
        "(<name>.feedback.xlsx: problem cells highlighted and commented, a Problems sheet "
        "first).",
    )(fn)


def output_option(help: str, required: bool = True) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        return click.option("-o", "--output", required=required, type=click.Path(), help=help)(fn)

    return decorate


@contextlib.contextmanager
def writing(target: object) -> Iterator[None]:
    """Turn a failure to write (a folder that cannot be created, a file open in Excel,
    a full disk) into one line naming the path, exit 2."""
    try:
        yield
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or target}: {exc.strerror or exc}") from None


def handle_errors(fn: F) -> F:
    """Turn library failures into one clear line on stderr and the failure's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RmpError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except click.ClickException:
            raise
        except Exception as exc:
            # A user sees one line, never a traceback; RMP_DEBUG=1 shows it for a bug report.
            if os.environ.get("RMP_DEBUG"):
                raise
            detail = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(
                f"Error: unexpected failure ({type(exc).__name__}: {detail}); "
                "nothing was changed. Run again with RMP_DEBUG=1 for details.",
                err=True,
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
