"""Work done by a forked copy of the process (``rmp_workbook.forked``), and the reconciled
view it gives: the same as worked out in one process, on SQLite, PostgreSQL and frames."""

from __future__ import annotations

import dataclasses
import os
import threading
import time

import pytest
from fill import RELATIONSHIP_ID
from test_reconcile_source import (
    assert_same,
    sqlite_ledger,  # noqa: F401  (fixture)
    submissions,  # noqa: F401  (fixture)
    view,
)

from rmp_workbook import forked, reconcile
from rmp_workbook.ledger import Ledger
from rmp_workbook.records import Submission

pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="no fork on this system")


def test_the_copy_does_the_work() -> None:
    parent = os.getpid()
    with forked.Pending(os.getpid) as pending:
        assert pending.forked
        child = pending.result()
    assert child != parent
    assert pending.result() == child  # asked again: the same answer, no second copy


def test_a_failing_copy_leaves_the_work_to_the_parent() -> None:
    parent = os.getpid()

    def only_here() -> int:
        if os.getpid() != parent:
            raise RuntimeError("the copy fails")
        return os.getpid()

    with forked.Pending(only_here) as pending:
        assert pending.forked
        assert pending.result() == parent


def test_a_copy_that_dies_leaves_the_work_to_the_parent() -> None:
    parent = os.getpid()

    def killed_there() -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        return os.getpid()

    with forked.Pending(killed_there) as pending:
        assert pending.result() == parent


def test_prepare_runs_in_the_copy_only() -> None:
    seen: list[int] = []
    with forked.Pending(lambda: seen[:], prepare=lambda: seen.append(os.getpid())) as pending:
        in_copy = pending.result()
    assert len(in_copy) == 1 and in_copy[0] != os.getpid()
    assert seen == []


def test_not_wanted_or_with_threads_running_the_work_is_done_here() -> None:
    with forked.Pending(os.getpid, wanted=False) as pending:
        assert not pending.forked
        assert pending.result() == os.getpid()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forked.can_fork()
        with forked.Pending(os.getpid) as pending:
            assert not pending.forked and pending.result() == os.getpid()
    finally:
        stop.set()
        other.join()


def test_a_copy_whose_result_is_not_wanted_is_stopped() -> None:
    pending = forked.Pending(lambda: time.sleep(60))
    with pending:
        assert pending.forked
        pid = pending._pid
    assert pid is not None and not pending.forked
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no process left behind


# -- the reconciled view -------------------------------------------------------------


def _forking(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Fork whatever the size; returns whether each view's work went to a copy."""
    monkeypatch.setattr(reconcile, "BACKGROUND_SUBMISSIONS", 0)
    used: list[bool] = []
    real = forked.Pending

    class Spy(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            used.append(self.forked)

    monkeypatch.setattr(forked, "Pending", Spy)
    return used


@pytest.mark.parametrize("period", ["2026-10", "2026-11"])
def test_forked_view_is_the_one_process_view(
    sqlite_ledger: Ledger,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    period: str,
) -> None:
    alone = view(sqlite_ledger, period, sqlite_ledger.source(RELATIONSHIP_ID, period))
    frames = sqlite_ledger.frames(RELATIONSHIP_ID, period)
    used = _forking(monkeypatch)
    from_ledger = view(sqlite_ledger, period, sqlite_ledger.source(RELATIONSHIP_ID, period))
    from_frames = view(sqlite_ledger, period, frames)
    assert used == [True, True]
    for got in (from_ledger, from_frames):
        assert_same(alone, dataclasses.replace(got, generated_at=alone.generated_at))
    assert len(from_ledger.kpi_history) and len(from_ledger.tables["kpis"])


def test_forked_view_on_postgresql_leaves_the_parent_connected(
    submissions: list[Submission],  # noqa: F811
    postgres_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Ledger(postgres_database) as pg:
        for sub in submissions:
            pg.record([sub])
        alone = view(pg, "2026-11", pg.source(RELATIONSHIP_ID, "2026-11"))
        used = _forking(monkeypatch)
        for _ in range(2):  # the parent's pooled connection is used after each copy ended
            got = view(pg, "2026-11", pg.source(RELATIONSHIP_ID, "2026-11"))
            assert_same(alone, dataclasses.replace(got, generated_at=alone.generated_at))
        assert used == [True, True]
        assert len(pg.submissions_frame(RELATIONSHIP_ID)) == len(submissions)
