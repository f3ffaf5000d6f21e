"""One writer per data folder: an advisory file lock, waited for with a message and a timeout."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from store.errors import StoreError

POLL_SECONDS = 0.2


@contextmanager
def writer_lock(home: Path, timeout: float, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the data folder's write lock; wait up to `timeout` seconds for another writer to finish.

    The lock is the kernel's (flock): a writer that dies, even by kill -9, releases it."""
    path = Path(home) / ".write.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(f"{home}: another process is writing to this data folder (waited {timeout:.0f} s); "
                                     "try again when it has finished, or raise BUDGETQA_LOCK_TIMEOUT") from None
                if waiting and not told:
                    waiting(f"{home}: another process is writing to this data folder; waiting up to {timeout:.0f} s")
                    told = True
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_locked(home: Path) -> bool:
    """Whether another process holds the data folder's write lock right now."""
    path = Path(home) / ".write.lock"
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
