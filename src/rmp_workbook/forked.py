"""Work done by a forked copy of this process while this one goes on.

Reconciling runs on one CPU core while the other idles: the KPI and SLA histories (a
third of it at 200 partners) can be worked out by a copy of the process meanwhile. A
copy is used only where forking is safe: a POSIX system other than macOS, with no other
thread running (a copy holds one thread; a lock another thread held would never be
released in it). Anywhere else, and whenever the copy fails for any reason, the same
work is done here when its result is asked for, so the result never depends on where
it was worked out.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = ["Pending", "can_fork"]


def can_fork() -> bool:
    """Whether work may go to a forked copy of this process now."""
    return hasattr(os, "fork") and sys.platform != "darwin" and threading.active_count() == 1


class Pending(Generic[T]):
    """``work()`` being done by a forked copy of this process; :meth:`result` waits for it.

    ``prepare`` runs first in the copy (e.g. to open database connections of its own).
    The result travels back pickled through a pipe. With ``wanted`` false (too little work
    to be worth a copy) the work is done here, when its result is asked for. Use as a
    context manager, so a copy whose result is never asked for is stopped.
    """

    def __init__(
        self,
        work: Callable[[], T],
        *,
        prepare: Callable[[], Any] | None = None,
        wanted: bool = True,
    ) -> None:
        self._work = work
        self._pid: int | None = None
        self._fd: int | None = None
        self._value: tuple[T] | None = None
        if wanted and can_fork():
            self._start(prepare)

    @property
    def forked(self) -> bool:
        """Whether a copy of the process is doing the work."""
        return self._pid is not None

    def _start(self, prepare: Callable[[], Any] | None) -> None:
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the copy: never returns
            code = 1
            try:
                os.close(read)
                if prepare is not None:
                    prepare()
                data = pickle.dumps(self._work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            except BaseException:  # the parent does the work instead
                pass
            finally:
                # No exit handlers, no buffers flushed: they belong to the parent.
                os._exit(code)
        os.close(write)
        self._pid, self._fd = pid, read

    def result(self) -> T:
        """The work's result: the copy's, or worked out here when there is no copy or it
        failed."""
        if self._value is None:
            self._value = (self._collect(),)
        return self._value[0]

    def _collect(self) -> T:
        if self._fd is not None and self._pid is not None:
            fd, pid = self._fd, self._pid
            self._fd = self._pid = None
            try:
                with os.fdopen(fd, "rb") as got:
                    data = got.read()
            finally:
                _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) == 0 and data:
                return pickle.loads(data)  # written by this program's own copy
        return self._work()

    def cancel(self) -> None:
        """Stop the copy, if one is still working; its result is not wanted."""
        if self._fd is not None and self._pid is not None:
            fd, pid = self._fd, self._pid
            self._fd = self._pid = None
            os.close(fd)
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)

    def __enter__(self) -> Pending[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()
